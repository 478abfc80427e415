"""The event log (AMT_MessageLog) and the security audit log (AMT_AuditLog).

Record formats as the firmware stores them (see plugins/module_utils/amt/event_log.py and audit_log.py
for the byte layouts and their sources). The simulator writes records itself (struct.pack here, not the
collection's encoder, so a decoding bug in the collection cannot hide behind a matching encoder bug).

State: message_log [base64, newest first], audit_log [base64, oldest first], both seeded on first use with
records like a machine that was provisioned and booted a few times.
"""

import base64
import struct
import time

from tests.simulator.registry import ClassHandler, register, require_int

MESSAGE_LOG_MAX = 390
AUDIT_PAGE = 10            # ReadRecords returns at most 10 records per call
MESSAGE_LOG = {'CreationClassName': 'AMT_MessageLog', 'ElementName': 'Intel(r) AMT:MessageLog 1',
               'Name': 'Intel(r) AMT:MessageLog 1'}
AUDIT_LOG = {'CreationClassName': 'AMT_AuditLog', 'ElementName': 'Intel(r) AMT:Audit Log',
             'Name': 'Intel(r) AMT:Audit Log'}

# Events the control API can inject: (sensor type, event type, offset, severity, entity, data)
EVENT_KINDS = {
    'fan_failure': (4, 0x01, 2, 16, 29, [0x52, 0x00, 0x00]),           # fan, lower critical going low
    'temperature_critical': (1, 0x01, 9, 16, 3, [0x59, 0x5A, 0x55]),    # processor upper critical going high
    'voltage_low': (2, 0x01, 2, 8, 7, [0x52, 0x00, 0x00]),
    'boot_failure': (35, 0x6F, 0, 16, 34, [0x00, 0x00, 0x00]),          # system boot failure
    'no_bootable_media': (30, 0x6F, 0, 16, 34, [0x00]),
    'case_intrusion': (5, 0x6F, 0, 8, 23, [0x00]),
    'bios_progress': (15, 0x6F, 2, 1, 34, [0x40, 0x07]),
    'firmware_started': (37, 0x6F, 0, 2, 34, [0x00]),
    'auth_failed': (6, 0x6F, 5, 16, 38, [0xAA, 0x03, 0x00]),
}


def pet_record(timestamp, sensor_type, event_type, offset, severity, entity, data, entity_instance=0):
    data = (list(data) + [0] * 8)[:8]
    raw = struct.pack('<I', int(timestamp)) + bytes([0xFF, sensor_type, event_type, offset, 0x68, severity, 0xFF,
                                                     entity, entity_instance] + data)
    return base64.b64encode(raw).decode('ascii')


def audit_record(app, event, timestamp, user=None, net_address='', extended=b''):
    if user is None:
        head = struct.pack('>HHB', app, event, 2)                      # local initiator
    else:
        name = user.encode('utf-8')
        head = struct.pack('>HHBB', app, event, 0, len(name)) + name
    addr = net_address.encode('ascii')
    raw = head + struct.pack('>IBB', int(timestamp), 0 if addr else 2, len(addr)) + addr + \
        struct.pack('>B', len(extended)) + extended
    return base64.b64encode(raw).decode('ascii')


def _seed(device):
    s = device.state
    if 'message_log' in s and 'audit_log' in s:
        return
    t0 = int(s.get('log_epoch') or (time.time() - 3 * 86400))
    records = []
    for day in range(3):
        base = t0 + day * 86400
        records.append(pet_record(base, 15, 0x6F, 2, 1, 34, [0x40, 0x01]))     # memory initialization
        records.append(pet_record(base + 2, 15, 0x6F, 2, 1, 34, [0x40, 0x07]))  # PCI resource configuration
        records.append(pet_record(base + 4, 15, 0x6F, 2, 1, 34, [0x40, 0x13]))  # starting OS boot
        records.append(pet_record(base + 5, 37, 0x6F, 0, 2, 34, [0x00]))
    records.append(pet_record(t0 + 2 * 86400 + 3600, 6, 0x6F, 5, 16, 38, [0xAA, 0x0A, 0x00]))
    s.setdefault('message_log', list(reversed(records)))
    user = s.get('admin_username', 'admin')
    audit_seed = []
    if s.get('provisioning_state') == 2:        # an unprovisioned device has no audit history yet
        audit_seed = [
            audit_record(16, 0, t0 - 600),                                      # provisioning started
            audit_record(16, 1, t0 - 590, extended=b'\x03'),                    # provisioning completed
            audit_record(16, 7, t0 - 580, user=user, net_address='10.0.0.5', extended=b'\x01\x00'),
            audit_record(17, 0, t0 + 86400 - 30, user=user, net_address='10.0.0.5', extended=b'\x00' * 7),
            audit_record(21, 0, t0 + 86400 + 60, user=user, net_address='10.0.0.5'),
        ]
    s.setdefault('audit_log', audit_seed)


def audit(device, app, event, ctx=None, extended=b''):
    """Append one audit record for an operation done by ctx.username from the client address."""
    _seed(device)
    user = getattr(ctx, 'username', None) if ctx is not None else None
    addr = getattr(ctx, 'peer', None) or ('127.0.0.1' if user else '')
    device.state['audit_log'].append(audit_record(app, event, time.time(), user=user, net_address=addr,
                                                  extended=extended))
    del device.state['audit_log'][:-1000]


def log_event(device, kind=None, timestamp=None, **fields):
    """Add a platform event to the message log; returns (record_b64, fields)."""
    _seed(device)
    if kind is not None:
        if kind not in EVENT_KINDS:
            raise ValueError('unknown event kind %r; known: %s' % (kind, ', '.join(sorted(EVENT_KINDS))))
        sensor, etype, offset, severity, entity, data = EVENT_KINDS[kind]
    else:
        sensor, etype, offset = fields['sensor_type'], fields.get('event_type', 0x6F), fields.get('offset', 0)
        severity, entity, data = fields.get('severity', 2), fields.get('entity', 0), fields.get('data', [])
    rec = pet_record(timestamp or time.time(), sensor, etype, offset, severity, entity, data)
    log = device.state['message_log']
    log.insert(0, rec)
    del log[MESSAGE_LOG_MAX * 3:]
    return rec, {'sensor_type': sensor, 'event_type': etype, 'offset': offset, 'severity': severity,
                 'entity': entity}


@register
class MessageLog(ClassHandler):
    name = 'AMT_MessageLog'

    def instances(self, device, ctx):
        _seed(device)
        n = len(device.state['message_log'])
        return [dict(MESSAGE_LOG, Capabilities=[5, 6, 7, 8], CharacterSet=10, CurrentNumberOfRecords=n,
                     EnabledDefault=2, EnabledState=2, HealthState=5, IsFrozen=False, LastChange=0,
                     LogState=2, MaxLogSize=0, MaxNumberOfRecords=MESSAGE_LOG_MAX, MaxRecordSize=21,
                     OverwritePolicy=2, PercentageNearFull=int(100 * n / MESSAGE_LOG_MAX), RequestedState=12,
                     SizeOfHeader=0, SizeOfRecordHeader=0, Status='OK')]

    def method_PositionToFirstRecord(self, device, params, ctx):
        _seed(device)
        if not device.state['message_log']:
            return {'ReturnValue': 2}
        return {'IterationIdentifier': 1, 'ReturnValue': 0}

    def method_GetRecords(self, device, params, ctx):
        _seed(device)
        start = require_int(params, 'IterationIdentifier')
        count = min(max(require_int(params, 'MaxReadRecords'), 1), MESSAGE_LOG_MAX)
        log = device.state['message_log']
        if not log:
            return {'IterationIdentifier': start, 'NoMoreRecords': True, 'ReturnValue': 3}
        if start < 1 or start > len(log):
            return {'IterationIdentifier': start, 'NoMoreRecords': True, 'ReturnValue': 2}
        page = log[start - 1:start - 1 + count]
        nxt = start + len(page)
        out = {'IterationIdentifier': nxt, 'NoMoreRecords': nxt > len(log), 'RecordArray': page, 'ReturnValue': 0}
        return out

    def method_ClearLog(self, device, params, ctx):
        _seed(device)
        device.state['message_log'] = []
        audit(device, 24, 2, ctx)
        return {'ReturnValue': 0}


@register
class AuditLog(ClassHandler):
    name = 'AMT_AuditLog'

    def instances(self, device, ctx):
        _seed(device)
        n = len(device.state['audit_log'])
        return [dict(AUDIT_LOG, AuditState=16, CurrentNumberOfRecords=n, EnabledState=2, MaxAllowedAuditors=1,
                     MaxNumberOfRecords=0, MinDaysToKeep=0, OverwritePolicy=2, PercentageFree=95,
                     RequestedState=2, StoragePolicy=1)]

    def method_ReadRecords(self, device, params, ctx):
        _seed(device)
        start = require_int(params, 'StartIndex')
        log = device.state['audit_log']
        if start < 1 or (log and start > len(log)):
            return {'ReturnValue': 35}
        page = log[start - 1:start - 1 + AUDIT_PAGE]
        out = {'TotalRecordCount': len(log), 'RecordsReturned': len(page)}
        if page:
            out['EventRecords'] = page
        out['ReturnValue'] = 0
        return out

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device's event log (AMT_MessageLog): platform events (PET) kept by the firmware.

Each record is 21 bytes, base64 in GetRecords' RecordArray (layout as documented in
open-amt-cloud-toolkit/go-wsman-messages pkg/wsman/amt/messagelog/log.go and decoded the same way by
MeshCommander amt-0.2.0.js _GetMessageLog1):

  offset 0  UINT32 little endian  TimeStamp (seconds since 1970, the firmware clock)
         4  DeviceAddress   5 EventSensorType   6 EventType   7 EventOffset   8 EventSourceType
         9  EventSeverity  10 SensorNumber     11 Entity     12 EntityInstance
        13  EventData[8]

Descriptions follow the same rules as those two decoders (system firmware progress/error tables,
watchdog, authentication failures, boot errors) plus the IPMI generic threshold events for
temperature, voltage and fan sensors (IPMI v2.0 table 42-2), which both references leave as
"Unknown Sensor Type".
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation

import base64
import binascii
import datetime
import struct

MESSAGE_LOG_SELECTORS = {'CreationClassName': 'AMT_MessageLog', 'Name': 'Intel(r) AMT:MessageLog 1'}
RECORD_LENGTH = 21
MAX_READ_RECORDS = 390        # what MeshCommander and go-wsman-messages ask for per GetRecords

SEVERITIES = {0: 'unspecified', 1: 'monitor', 2: 'information', 4: 'ok', 8: 'non_critical', 16: 'critical',
              32: 'non_recoverable'}
SEVERITY_TEXT = {0: 'Unspecified', 1: 'Monitor', 2: 'Information', 4: 'OK', 8: 'Non-critical condition',
                 16: 'Critical condition', 32: 'Non-recoverable condition'}
SEVERITY_ORDER = ['unspecified', 'monitor', 'information', 'ok', 'non_critical', 'critical', 'non_recoverable']

# IPMI/SMBIOS entity IDs (IPMI v2.0 table 43-13) with Intel's names for 35 and 38.
ENTITIES = (
    'Unspecified', 'Other', 'Unknown', 'Processor', 'Disk', 'Peripheral', 'System management module',
    'System board', 'Memory module', 'Processor module', 'Power supply', 'Add in card', 'Front panel board',
    'Back panel board', 'Power system board', 'Drive backplane', 'System internal expansion board',
    'Other system board', 'Processor board', 'Power unit', 'Power module', 'Power management board',
    'Chassis back panel board', 'System chassis', 'Sub chassis', 'Other chassis board', 'Disk drive bay',
    'Peripheral bay', 'Device bay', 'Fan cooling', 'Cooling unit', 'Cable interconnect', 'Memory device',
    'System management software', 'BIOS', 'Intel(r) ME', 'System bus', 'Group', 'Intel(r) ME',
    'External environment', 'Battery', 'Processing blade', 'Connectivity switch', 'Processor/memory module',
    'I/O module', 'Processor I/O module', 'Management controller firmware', 'IPMI channel', 'PCI bus',
    'PCI express bus', 'SCSI bus', 'SATA/SAS bus', 'Processor front side bus',
)

# IPMI sensor types (IPMI v2.0 table 42-3), the ones AMT platforms report.
SENSOR_TYPES = {
    1: 'temperature', 2: 'voltage', 3: 'current', 4: 'fan', 5: 'physical_security', 6: 'platform_security',
    7: 'processor', 8: 'power_supply', 9: 'power_unit', 10: 'cooling_device', 12: 'memory',
    15: 'system_firmware_progress', 16: 'event_logging_disabled', 18: 'system_event', 19: 'critical_interrupt',
    30: 'boot_error', 31: 'os_boot', 32: 'os_critical_stop', 35: 'watchdog', 36: 'platform_alert',
    37: 'entity_presence', 192: 'amt_security_policy', 193: 'amt_user_request',
}

FIRMWARE_ERRORS = (
    'Unspecified.', 'No system memory is physically installed in the system.',
    'No usable system memory, all installed memory has experienced an unrecoverable failure.',
    'Unrecoverable hard-disk/ATAPI/IDE device failure.', 'Unrecoverable system-board failure.',
    'Unrecoverable diskette subsystem failure.', 'Unrecoverable hard-disk controller failure.',
    'Unrecoverable PS/2 or USB keyboard failure.', 'Removable boot media not found.',
    'Unrecoverable video controller failure.', 'No video device detected.',
    'Firmware (BIOS) ROM corruption detected.',
    'CPU voltage mismatch (processors that share same supply have mismatched voltage requirements)',
    'CPU speed matching failure',
)
FIRMWARE_PROGRESS = (
    'Unspecified.', 'Memory initialization.', 'Starting hard-disk initialization and test',
    'Secondary processor(s) initialization', 'User authentication', 'User-initiated system setup',
    'USB resource configuration', 'PCI resource configuration', 'Option ROM initialization', 'Video initialization',
    'Cache initialization', 'SM Bus initialization', 'Keyboard controller initialization',
    'Embedded controller/management controller initialization', 'Docking station attachment',
    'Enabling docking station', 'Docking station ejection', 'Disabling docking station',
    'Calling operating system wake-up vector', 'Starting operating system boot process',
    'Baseboard or motherboard initialization', 'reserved', 'Floppy initialization', 'Keyboard test',
    'Pointing device test', 'Primary processor initialization',
)
WATCHDOG_STATES = {1: 'Not Started', 2: 'Stopped', 4: 'Running', 8: 'Expired', 16: 'Suspended'}

# IPMI generic threshold event offsets (event type 0x01).
THRESHOLD_OFFSETS = (
    'lower non-critical going low', 'lower non-critical going high', 'lower critical going low',
    'lower critical going high', 'lower non-recoverable going low', 'lower non-recoverable going high',
    'upper non-critical going low', 'upper non-critical going high', 'upper critical going low',
    'upper critical going high', 'upper non-recoverable going low', 'upper non-recoverable going high',
)
THRESHOLD_SENSORS = {1: 'Temperature', 2: 'Voltage', 3: 'Current', 4: 'Fan speed'}


class EventLogError(AmtError):
    pass


def _hex2(value):
    return '%x' % value


def describe(sensor_type, offset, data, event_type=0x6F):
    """Human-readable description of one event (same texts as the reference decoders where they agree)."""
    data = list(data) + [0] * (8 - len(data))
    if sensor_type == 15:
        if data[0] == 235:
            return 'Invalid Data'
        if offset == 0:
            return FIRMWARE_ERRORS[data[1]] if data[1] < len(FIRMWARE_ERRORS) else 'Unknown firmware error %d' % data[1]
        return FIRMWARE_PROGRESS[data[1]] if data[1] < len(FIRMWARE_PROGRESS) else \
            'Unknown firmware progress %d' % data[1]
    if sensor_type == 18 and data[0] == 170:
        # As the references print it: bytes 4..1 and 6..5 without zero padding.
        agent = ''.join(_hex2(data[i]) for i in (4, 3, 2, 1)) + '-' + _hex2(data[6]) + _hex2(data[5])
        return 'Agent watchdog %s-... changed to %s' % (agent, WATCHDOG_STATES.get(data[7], 'state %d' % data[7]))
    if sensor_type == 5 and offset == 0:
        return 'Case intrusion'
    if event_type == 0x01 and sensor_type in THRESHOLD_SENSORS and offset < len(THRESHOLD_OFFSETS):
        text = '%s %s' % (THRESHOLD_SENSORS[sensor_type], THRESHOLD_OFFSETS[offset])
        if sensor_type == 4 and offset in (2, 4):
            text += ' (fan failure)'
        return text
    if sensor_type == 4 and event_type == 0x07 and offset == 2:
        return 'Fan failure'
    if sensor_type == 192 and offset == 0 and data[0] == 170 and data[1] == 48:
        texts = {0: 'A remote Serial Over LAN session was established.',
                 1: 'Remote Serial Over LAN session finished. User control was restored.',
                 2: 'A remote IDE-Redirection session was established.',
                 3: 'Remote IDE-Redirection session finished. User control was restored.'}
        if data[2] in texts:
            return texts[data[2]]
    if sensor_type == 192:
        if data[2] == 0:
            return 'Security policy invoked. Some or all network traffic (TX) was stopped.'
        if data[2] == 2:
            return 'Security policy invoked. Some or all network traffic (RX) was stopped.'
        return 'Security policy invoked.'
    if sensor_type == 193 and data[0:4] == [0xAA, 0x30, 0, 0]:
        return 'User request for remote connection.'
    if sensor_type == 6:
        return 'Authentication failed %d times. The system may be under attack.' % (data[1] + (data[2] << 8))
    if sensor_type == 30:
        return 'No bootable media'
    if sensor_type == 32:
        return 'Operating system lockup or power interrupt'
    if sensor_type == 35:
        if data[0] == 64:
            return 'BIOS POST (Power On Self-Test) Watchdog Timeout.'
        return 'System boot failure'
    if sensor_type == 37:
        return 'System firmware started (at least one CPU is properly executing).'
    return 'Unknown Sensor Type #%d' % sensor_type


def decode_record(raw):
    """One record (bytes, or its base64 text) -> dict; None for an empty/unused slot."""
    if not isinstance(raw, (bytes, bytearray)):
        try:
            raw = base64.b64decode(str(raw).strip(), validate=True)
        except (binascii.Error, ValueError):
            raise EventLogError('event record is not base64: %r' % str(raw)[:40])
    if len(raw) < RECORD_LENGTH:
        raise EventLogError('event record has %d bytes, expected %d' % (len(raw), RECORD_LENGTH))
    timestamp = struct.unpack('<I', bytes(raw[0:4]))[0]
    if timestamp in (0, 0xFFFFFFFF):
        return None
    fields = bytearray(raw[4:13])
    data = list(bytearray(raw[13:21]))
    sensor_type, event_type, offset, severity, entity = fields[1], fields[2], fields[3], fields[5], fields[7]
    when = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=timestamp)
    return {
        'time': when.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'timestamp': timestamp,
        'device_address': fields[0],
        'sensor_type': sensor_type,
        'sensor_type_name': SENSOR_TYPES.get(sensor_type, 'unknown'),
        'event_type': event_type,
        'event_offset': offset,
        'event_source_type': fields[4],
        'severity': SEVERITIES.get(severity, 'unknown'),
        'severity_value': severity,
        'severity_text': SEVERITY_TEXT.get(severity, 'Unknown'),
        'sensor_number': fields[6],
        'entity': ENTITIES[entity] if entity < len(ENTITIES) else 'Unknown',
        'entity_value': entity,
        'entity_instance': fields[8],
        'event_data': data,
        'description': describe(sensor_type, offset, data, event_type),
    }


def encode_record(timestamp, sensor_type, event_type, offset, severity, entity, data=(), device_address=0xFF,
                  source_type=0x68, sensor_number=0xFF, entity_instance=0):
    """The inverse of decode_record (used by the simulator and tests to build records)."""
    data = list(data)[:8] + [0] * (8 - len(list(data)[:8]))
    return struct.pack('<I', int(timestamp)) + bytes(bytearray(
        [device_address, sensor_type, event_type, offset, source_type, severity, sensor_number, entity,
         entity_instance] + data))


def _as_list(value):
    if value is None or value == '':
        return []
    if isinstance(value, list):
        return value
    return [value]


def _bool(value):
    return value is True or str(value).strip().lower() in ('true', '1')


def read_records(client, max_records=None):
    """All records, newest first as the firmware keeps them, with GetRecords iteration."""
    records = []
    identifier = 1
    for _page in range(10000):
        out = client.invoke('AMT_MessageLog', 'GetRecords',
                            [('IterationIdentifier', identifier), ('MaxReadRecords', MAX_READ_RECORDS)],
                            selectors=MESSAGE_LOG_SELECTORS, check_return=False)
        rv = out['ReturnValue']
        if rv == 3:          # no record exists in the log
            break
        if rv != 0:
            meaning = {1: 'not supported', 2: 'invalid record pointed'}.get(rv, 'unknown')
            raise EventLogError('GetRecords returned %d (%s)' % (rv, meaning), return_value=rv)
        for item in _as_list(out.get('RecordArray')):
            rec = decode_record(item)
            if rec is not None:
                records.append(rec)
        if _bool(out.get('NoMoreRecords')) or not _as_list(out.get('RecordArray')):
            break
        if max_records and len(records) >= max_records:
            break
        try:
            identifier = int(out.get('IterationIdentifier'))
        except (TypeError, ValueError):
            raise EventLogError('GetRecords answered without an IterationIdentifier to continue from')
    return records


def parse_since(value, now=None):
    """'2026-11-01T00:00:00Z', '2026-11-01', or a relative age like '24h', '7d', '30m' -> epoch seconds."""
    if value in (None, ''):
        return None
    text = str(value).strip()
    now = now or datetime.datetime.utcnow()
    units = {'m': 60, 'h': 3600, 'd': 86400, 'w': 604800}
    if text[-1:].lower() in units and text[:-1].isdigit():
        when = now - datetime.timedelta(seconds=int(text[:-1]) * units[text[-1:].lower()])
    else:
        when = None
        for fmt in ('%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d'):
            try:
                when = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if when is None:
            raise EventLogError('option since must be a UTC time (2026-11-01T00:00:00Z or 2026-11-01) or an age '
                                'such as 30m, 24h, 7d; got %r' % value)
    return int((when - datetime.datetime(1970, 1, 1)).total_seconds())


def filter_records(records, since=None, min_severity=None, sensor_types=None):
    out = []
    floor = SEVERITY_ORDER.index(min_severity) if min_severity else None
    for rec in records:
        if since is not None and rec['timestamp'] < since:
            continue
        if floor is not None and (rec['severity'] not in SEVERITY_ORDER or
                                  SEVERITY_ORDER.index(rec['severity']) < floor):
            continue
        if sensor_types and rec['sensor_type_name'] not in sensor_types:
            continue
        out.append(rec)
    return out


OPTIONS = dict(
    state=dict(type='str', default='read', choices=['read', 'cleared']),
    since=dict(type='str'),
    min_severity=dict(type='str', choices=list(SEVERITY_ORDER)),
    sensor_types=dict(type='list', elements='str'),
    max_records=dict(type='int'),
)


def validate(params):
    max_records = params.get('max_records')
    if max_records is not None and max_records < 1:
        raise EventLogError('option max_records must be a positive number')
    for name in params.get('sensor_types') or []:
        if name not in SENSOR_TYPES.values():
            raise EventLogError('option sensor_types: unknown sensor type %r; known: %s'
                                % (name, ', '.join(sorted(SENSOR_TYPES.values()))))
    parse_since(params.get('since'))
    if params.get('state') == 'cleared' and (params.get('since') or params.get('min_severity') or
                                             params.get('sensor_types')):
        raise EventLogError('state=cleared clears the whole log (ClearLog has no filter); drop since, '
                            'min_severity and sensor_types')
    return params


def run_event_log(client, params, check_mode=False, diff=False):
    validate(params)
    state = params.get('state') or 'read'
    max_records = params.get('max_records')
    since = parse_since(params.get('since'))
    filtered = since is not None or params.get('min_severity') or params.get('sensor_types')
    records = read_records(client, max_records if state == 'read' and not filtered else None)
    selected = filter_records(records, since, params.get('min_severity'), params.get('sensor_types'))
    if max_records:
        selected = selected[:max_records]
    result = {'changed': False, 'records': selected, 'total_records': len(records), 'returned': len(selected)}
    if state == 'cleared':
        result['records_before'] = len(records)
        if records:
            result['changed'] = True
            if not check_mode:
                client.invoke('AMT_MessageLog', 'ClearLog', [], selectors=MESSAGE_LOG_SELECTORS)
        if diff:
            result['diff'] = {'before': {'records': len(records)}, 'after': {'records': 0}}
    result['exchanges'] = client.exchanges
    return result


__all__ = ['decode_record', 'encode_record', 'describe', 'read_records', 'run_event_log', 'EventLogError']


OPERATION = Operation(OPTIONS, run_event_log, name=lambda params: 'event log %s' % (params.get('state') or 'read'), prepare=validate)

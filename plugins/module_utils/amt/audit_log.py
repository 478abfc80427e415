# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security audit log (AMT_AuditLog.ReadRecords): who did what on the device, for compliance.

Record layout (MeshCommander amt-0.2.0.js _GetAuditLog0 and go-wsman-messages
pkg/wsman/amt/auditlog/decoder.go convertToAuditLogResult; multi-byte numbers are big endian):

  0 UINT16 AuditAppID   2 UINT16 EventID   4 UINT8 InitiatorType
  initiator: type 0 (HTTP digest) UINT8 length + user name; type 1 (Kerberos) UINT32 in-domain flag,
             UINT8 length + SID; type 2 local; type 3 KVM default port (5900)
  then UINT32 TimeStamp, UINT8 MCLocationType, UINT8 length + network address, UINT8 length + extended data.

Extended data of a firmware update (1900) holds two versions as eight big-endian UINT16, as MeshCommander
reads them: the go-wsman-messages capture record "ABMAAAI/9M1uAgAQ..." then reads 12.0.40.1433 -> 12.0.36.1428.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation

import base64
import binascii
import datetime
import struct

from ansible_collections.oob.amt.plugins.module_utils.amt.event_log import parse_since

AUDIT_LOG_SELECTORS = {'CreationClassName': 'AMT_AuditLog', 'Name': 'Intel(r) AMT:Audit Log'}

APPLICATIONS = {
    16: 'Security Admin', 17: 'RCO', 18: 'Redirection Manager', 19: 'Firmware Update Manager',
    20: 'Security Audit Log', 21: 'Network Time', 22: 'Network Administration', 23: 'Storage Administration',
    24: 'Event Manager', 25: 'Circuit Breaker Manager', 26: 'Agent Presence Manager',
    27: 'Wireless Configuration', 28: 'EAC', 29: 'KVM', 30: 'User Opt-In Events', 32: 'Screen Blanking',
    33: 'Watchdog Events',
}

# Event names by AuditAppID * 100 + EventID (Intel AMT SDK "Security Audit Log events"; the same
# list MeshCommander shows).
EVENTS = {
    1600: 'Provisioning Started', 1601: 'Provisioning Completed', 1602: 'ACL Entry Added',
    1603: 'ACL Entry Modified', 1604: 'ACL Entry Removed', 1605: 'ACL Access with Invalid Credentials',
    1606: 'ACL Entry State', 1607: 'TLS State Changed', 1608: 'TLS Server Certificate Set',
    1609: 'TLS Server Certificate Remove', 1610: 'TLS Trusted Root Certificate Added',
    1611: 'TLS Trusted Root Certificate Removed', 1612: 'TLS Preshared Key Set',
    1613: 'Kerberos Settings Modified', 1614: 'Kerberos Main Key Modified', 1615: 'Flash Wear out Counters Reset',
    1616: 'Power Package Modified', 1617: 'Set Realm Authentication Mode',
    1618: 'Upgrade Client to Admin Control Mode', 1619: 'Unprovisioning Started',
    1700: 'Performed Power Up', 1701: 'Performed Power Down', 1702: 'Performed Power Cycle',
    1703: 'Performed Reset', 1704: 'Set Boot Options', 1705: 'Remote graceful power down initiated',
    1706: 'Remote graceful reset initiated', 1707: 'Remote Standby initiated', 1708: 'Remote Hibernate initiated',
    1709: 'Remote NMI initiated',
    1800: 'IDER Session Opened', 1801: 'IDER Session Closed', 1802: 'IDER Enabled', 1803: 'IDER Disabled',
    1804: 'SoL Session Opened', 1805: 'SoL Session Closed', 1806: 'SoL Enabled', 1807: 'SoL Disabled',
    1808: 'KVM Session Started', 1809: 'KVM Session Ended', 1810: 'KVM Enabled', 1811: 'KVM Disabled',
    1812: 'VNC Password Failed 3 Times',
    1900: 'Firmware Updated', 1901: 'Firmware Update Failed',
    2000: 'Security Audit Log Cleared', 2001: 'Security Audit Policy Modified', 2002: 'Security Audit Log Disabled',
    2003: 'Security Audit Log Enabled', 2004: 'Security Audit Log Exported', 2005: 'Security Audit Log Recovered',
    2100: 'Intel(R) ME Time Set',
    2200: 'TCPIP Parameters Set', 2201: 'Host Name Set', 2202: 'Domain Name Set', 2203: 'VLAN Parameters Set',
    2204: 'Link Policy Set', 2205: 'IPv6 Parameters Set',
    2300: 'Global Storage Attributes Set', 2301: 'Storage EACL Modified', 2302: 'Storage FPACL Modified',
    2303: 'Storage Write Operation',
    2400: 'Alert Subscribed', 2401: 'Alert Unsubscribed', 2402: 'Event Log Cleared', 2403: 'Event Log Frozen',
    2500: 'CB Filter Added', 2501: 'CB Filter Removed', 2502: 'CB Policy Added', 2503: 'CB Policy Removed',
    2504: 'CB Default Policy Set', 2505: 'CB Heuristics Option Set', 2506: 'CB Heuristics State Cleared',
    2600: 'Agent Watchdog Added', 2601: 'Agent Watchdog Removed', 2602: 'Agent Watchdog Action Set',
    2700: 'Wireless Profile Added', 2701: 'Wireless Profile Removed', 2702: 'Wireless Profile Updated',
    2800: 'EAC Posture Signer SET', 2801: 'EAC Enabled', 2802: 'EAC Disabled', 2803: 'EAC Posture State',
    2804: 'EAC Set Options',
    2900: 'KVM Opt-in Enabled', 2901: 'KVM Opt-in Disabled', 2902: 'KVM Password Changed',
    2903: 'KVM Consent Succeeded', 2904: 'KVM Consent Failed',
    3000: 'Opt-In Policy Change', 3001: 'Send Consent Code Event', 3002: 'Start Opt-In Blocked Event',
}

# Short machine names for filtering by area.
CATEGORIES = {16: 'security', 17: 'power', 18: 'redirection', 19: 'firmware', 20: 'audit', 21: 'time',
              22: 'network', 23: 'storage', 24: 'events', 25: 'circuit_breaker', 26: 'agent_presence',
              27: 'wireless', 28: 'eac', 29: 'kvm', 30: 'consent', 32: 'screen_blanking', 33: 'watchdog'}

INITIATORS = {0: 'digest', 1: 'kerberos', 2: 'local', 3: 'kvm_default_port'}
POLICY_NAMES = ('None', 'KVM', 'All')
UNPROVISION_INITIATORS = ('BIOS', 'MEBx', 'Local MEI', 'Local WSMAN', 'Remote WSMAN')


class AuditLogError(AmtError):
    pass


def _u16(data, pos):
    return struct.unpack('>H', bytes(data[pos:pos + 2]))[0]


def _u32(data, pos):
    return struct.unpack('>I', bytes(data[pos:pos + 4]))[0]


def _text(data):
    return bytes(data).decode('utf-8', 'replace')


def sid_string(raw):
    """Windows SID bytes -> S-1-5-21-... (Kerberos initiators)."""
    raw = bytearray(raw)
    if len(raw) < 8:
        return raw.hex() if hasattr(raw, 'hex') else binascii.hexlify(bytes(raw)).decode()
    count = raw[1]
    authority = int(binascii.hexlify(bytes(raw[2:8])), 16)
    subs = [struct.unpack('<I', bytes(raw[8 + 4 * i:12 + 4 * i]))[0] for i in range(count) if 12 + 4 * i <= len(raw)]
    return 'S-%d-%d' % (raw[0], authority) + ''.join('-%d' % s for s in subs)


def extended_text(event, ex):
    """Readable extended data for the events whose layout is known; None otherwise."""
    ex = bytearray(ex)
    try:
        if event in (1602, 1604) and len(ex) >= 2 and ex[0] == 0:
            return 'user %s' % _text(ex[2:2 + ex[1]])
        if event == 1605 and ex:
            return ('Invalid ME access', 'Invalid MEBx access')[ex[0]]
        if event == 1607 and len(ex) >= 2:
            auth = ('NoAuth', 'ServerAuth', 'MutualAuth')
            return 'Remote %s, Local %s' % (auth[ex[0]], auth[ex[1]])
        if event == 1619 and ex:
            return 'initiated by %s' % UNPROVISION_INITIATORS[ex[0]]
        if event == 1900 and len(ex) >= 16:
            old = '.'.join(str(_u16(ex, i)) for i in (0, 2, 4, 6))
            new = '.'.join(str(_u16(ex, i)) for i in (8, 10, 12, 14))
            return 'from %s to %s' % (old, new)
        if event == 2100 and len(ex) >= 4:
            return 'set to %s' % _iso(_u32(ex, 0))
        if event == 3000 and len(ex) >= 2:
            return 'from %s to %s' % (POLICY_NAMES[ex[0]], POLICY_NAMES[ex[1]])
        if event == 3001 and ex:
            return ('Success', 'Failed 3 times')[ex[0]]
    except IndexError:
        return None
    return None


def _iso(seconds):
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%dT%H:%M:%SZ')


def decode_record(raw):
    """One audit record (bytes or base64 text) -> dict."""
    if not isinstance(raw, (bytes, bytearray)):
        try:
            raw = base64.b64decode(str(raw).strip(), validate=True)
        except (binascii.Error, ValueError):
            raise AuditLogError('audit record is not base64: %r' % str(raw)[:40])
    data = bytearray(raw)
    try:
        app, event_id, itype = _u16(data, 0), _u16(data, 2), data[4]
        rec = {'app_id': app, 'event_id': event_id, 'application': APPLICATIONS.get(app, 'Unknown (%d)' % app),
               'category': CATEGORIES.get(app, 'other'), 'event_code': app * 100 + event_id,
               'initiator_type': INITIATORS.get(itype, 'unknown'), 'initiator': None}
        rec['event'] = EVENTS.get(rec['event_code'], '#%d' % event_id)
        if itype == 0:
            length = data[5]
            rec['initiator'] = _text(data[6:6 + length])
            ptr = 6 + length
        elif itype == 1:
            length = data[9]
            rec['initiator'] = sid_string(data[10:10 + length])
            ptr = 10 + length
        elif itype in (2, 3):
            rec['initiator'] = 'Local' if itype == 2 else 'KVM Default Port'
            ptr = 5
        else:
            raise AuditLogError('audit record with unknown initiator type %d' % itype)
        timestamp = _u32(data, ptr)
        ptr += 4
        rec['timestamp'] = timestamp
        rec['time'] = _iso(timestamp)
        rec['location_type'] = data[ptr]
        length = data[ptr + 1]
        rec['net_address'] = _text(data[ptr + 2:ptr + 2 + length]).replace(
            '0000:0000:0000:0000:0000:0000:0000:0001', '::1')
        ptr += 2 + length
        length = data[ptr]
        ex = data[ptr + 1:ptr + 1 + length]
        if len(ex) != length:
            raise IndexError
    except (IndexError, struct.error):
        raise AuditLogError('audit record is truncated (%d bytes)' % len(data))
    rec['extended_data'] = base64.b64encode(bytes(ex)).decode('ascii')
    rec['details'] = extended_text(rec['event_code'], ex)
    return rec


def encode_record(app, event_id, timestamp, user=None, initiator_type=0, net_address='', extended=b'',
                  location_type=0):
    """The inverse of decode_record (digest/local initiators), for the simulator and tests."""
    out = struct.pack('>HHB', app, event_id, initiator_type)
    if initiator_type == 0:
        name = (user or '').encode('utf-8')
        out += struct.pack('>B', len(name)) + name
    addr = net_address.encode('ascii')
    out += struct.pack('>IBB', int(timestamp), location_type, len(addr)) + addr
    out += struct.pack('>B', len(extended)) + bytes(extended)
    return out


def _as_list(value):
    if value is None or value == '':
        return []
    return value if isinstance(value, list) else [value]


def read_records(client, max_records=None):
    """All records via ReadRecords(StartIndex) pages until TotalRecordCount is reached."""
    records = []
    start = 1
    total = None
    for _page in range(10000):
        out = client.invoke('AMT_AuditLog', 'ReadRecords', [('StartIndex', start)], selectors=AUDIT_LOG_SELECTORS,
                            check_return=False)
        rv = out['ReturnValue']
        if rv != 0:
            raise AuditLogError('ReadRecords returned %d%s' % (rv, ' (the account lacks the Audit Log realm)'
                                                               if rv == 16 else ''), return_value=rv)
        try:
            total = int(out.get('TotalRecordCount') or 0)
            returned = int(out.get('RecordsReturned') or 0)
        except (TypeError, ValueError):
            raise AuditLogError('ReadRecords answered without record counts')
        items = _as_list(out.get('EventRecords'))
        records.extend(decode_record(item) for item in items[:returned or len(items)])
        if not returned or len(records) >= total or (max_records and len(records) >= max_records):
            break
        start += returned
    return records, total or 0


OPTIONS = dict(
    since=dict(type='str'),
    categories=dict(type='list', elements='str', choices=sorted(set(CATEGORIES.values()))),
    initiator=dict(type='str'),
    max_records=dict(type='int'),
)


def validate(params):
    max_records = params.get('max_records')
    if max_records is not None and max_records < 1:
        raise AuditLogError('option max_records must be a positive number')
    parse_since(params.get('since'))
    return params


def run_audit_log(client, params, check_mode=False, diff=False):
    validate(params)
    max_records = params.get('max_records')
    since = parse_since(params.get('since'))
    records, total = read_records(client)
    selected = []
    for rec in records:
        if since is not None and rec['timestamp'] < since:
            continue
        if params.get('categories') and rec['category'] not in params['categories']:
            continue
        if params.get('initiator') and rec['initiator'] != params['initiator']:
            continue
        selected.append(rec)
    if max_records:
        selected = selected[-max_records:]
    return {'changed': False, 'records': selected, 'total_records': total, 'returned': len(selected),
            'exchanges': client.exchanges}


__all__ = ['decode_record', 'encode_record', 'read_records', 'run_audit_log', 'AuditLogError']


OPERATION = Operation(OPTIONS, run_audit_log, name=lambda params: 'audit log read', prepare=validate)

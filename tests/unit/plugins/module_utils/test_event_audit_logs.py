"""Event-log and audit-log records decoded from the references' bytes, not only our own.

Reference records:
* AMT_MessageLog GetRecords capture (go-wsman-messages responses/amt/messagelog/getrecords.xml, in
  tests/fixtures/xml) and the expectations of go-wsman-messages messagelog/decoder_test.go
  TestConvertToEventLogResult and TestDecodeEventDetailString (same texts as MeshCommander amt-0.2.0.js).
* AMT_AuditLog ReadRecords capture (go-wsman-messages responses/amt/auditlog/readrecords.xml): firmware update
  records, read big-endian as MeshCommander does.
"""
import base64
import os
import struct

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt import audit_log, event_log
from ansible_collections.oob.amt.plugins.module_utils.wsman import soap as wx


def fixture_output(fixtures_dir, name):
    with open(os.path.join(fixtures_dir, 'xml', name), 'rb') as fh:
        out = wx.instance_to_dict(wx.parse_response(fh.read()).payload)
    out['ReturnValue'] = int(out['ReturnValue'])
    return out


class PagedClient:
    """Answers GetRecords/ReadRecords from a list of prepared outputs, recording the inputs."""

    def __init__(self, outputs):
        self.outputs = list(outputs)
        self.calls = []
        self.exchanges = 0

    def invoke(self, cls, method, params=None, selectors=None, check_return=True):
        self.calls.append((cls, method, list(params or []), selectors))
        self.exchanges += 1
        return self.outputs.pop(0)


# -- event log --------------------------------------------------------------------------------------

def test_getrecords_capture_decodes_like_the_references(fixtures_dir):
    out = fixture_output(fixtures_dir, 'AMT_MessageLog_GetRecords_response.xml')
    client = PagedClient([out])
    records = event_log.read_records(client)
    assert client.calls[0][1] == 'GetRecords'
    assert client.calls[0][2] == [('IterationIdentifier', 1), ('MaxReadRecords', 390)]
    assert len(records) == 3
    first, second = records[0], records[1]
    # go-wsman-messages TestConvertToEventLogResult, field by field
    assert first['timestamp'] == 0x6598c863
    assert (first['device_address'], first['sensor_type'], first['event_type'], first['event_offset'],
            first['event_source_type'], first['severity_value'], first['sensor_number'], first['entity_value'],
            first['entity_instance']) == (0xff, 0x6, 0x6f, 0x5, 0x68, 0x10, 0xff, 0x26, 0x61)
    assert first['event_data'] == [0xaa, 0xa, 0, 0, 0, 0, 0, 0]
    assert first['description'] == 'Authentication failed 10 times. The system may be under attack.'
    assert first['entity'] == 'Intel(r) ME'
    assert first['severity_text'] == 'Critical condition' and first['severity'] == 'critical'
    assert first['time'] == '2024-01-06T03:26:27Z'
    assert second['timestamp'] == 0x65010622
    assert second['description'] == 'PCI resource configuration'
    assert second['entity'] == 'BIOS'
    assert second['severity_text'] == 'Monitor'
    assert records[2] == second


def test_getrecords_iterates_until_no_more_records():
    rec = [base64.b64encode(event_log.encode_record(1700000000 + i, 15, 0x6F, 2, 1, 34, [0x40, 7])).decode()
           for i in range(5)]
    client = PagedClient([
        {'ReturnValue': 0, 'IterationIdentifier': '3', 'NoMoreRecords': 'false', 'RecordArray': rec[:2]},
        {'ReturnValue': 0, 'IterationIdentifier': '5', 'NoMoreRecords': 'false', 'RecordArray': rec[2:4]},
        {'ReturnValue': 0, 'IterationIdentifier': '6', 'NoMoreRecords': 'true', 'RecordArray': rec[4]},  # one: str
    ])
    records = event_log.read_records(client)
    assert [r['timestamp'] for r in records] == [1700000000 + i for i in range(5)]
    assert [c[2][0] for c in client.calls] == [('IterationIdentifier', 1), ('IterationIdentifier', 3),
                                               ('IterationIdentifier', 5)]


def test_empty_log_and_refusals():
    assert event_log.read_records(PagedClient([{'ReturnValue': 3}])) == []
    with pytest.raises(event_log.EventLogError, match='GetRecords returned 1'):
        event_log.read_records(PagedClient([{'ReturnValue': 1}]))


@pytest.mark.parametrize('sensor,offset,data,expected', [
    # go-wsman-messages TestDecodeEventDetailString
    (6, 0, [0, 5, 0], 'Authentication failed 5 times. The system may be under attack.'),
    (6, 0, [0, 1, 1], 'Authentication failed 257 times. The system may be under attack.'),
    (15, 0, [235], 'Invalid Data'),
    (15, 0, [0, 1], 'No system memory is physically installed in the system.'),
    (15, 1, [0, 2], 'Starting hard-disk initialization and test'),
    (18, 0, [170, 1, 2, 3, 4, 5, 6, 1], 'Agent watchdog 4321-65-... changed to Not Started'),
    (30, 0, [], 'No bootable media'),
    (32, 0, [], 'Operating system lockup or power interrupt'),
    (35, 0, [], 'System boot failure'),
    (37, 0, [], 'System firmware started (at least one CPU is properly executing).'),
    (0, 0, [], 'Unknown Sensor Type #0'),
    # MeshCommander _GetEventDetailStr
    (5, 0, [], 'Case intrusion'),
    (35, 0, [64, 2, 252, 84, 89], 'BIOS POST (Power On Self-Test) Watchdog Timeout.'),
    (192, 0, [170, 48, 2], 'A remote IDE-Redirection session was established.'),
])
def test_descriptions_match_the_references(sensor, offset, data, expected):
    assert event_log.describe(sensor, offset, data) == expected


def test_threshold_events_beyond_the_references():
    assert event_log.describe(4, 2, [0x52], event_type=0x01) == 'Fan speed lower critical going low (fan failure)'
    assert event_log.describe(1, 9, [0x59], event_type=0x01) == 'Temperature upper critical going high'
    # the same sensor with a sensor-specific event type keeps the references' text
    assert event_log.describe(4, 2, [0x52], event_type=0x6F) == 'Unknown Sensor Type #4'


def test_bad_records_are_refused():
    with pytest.raises(event_log.EventLogError, match='not base64'):
        event_log.decode_record('@@@not-base64@@@')
    with pytest.raises(event_log.EventLogError, match='20 bytes'):
        event_log.decode_record(base64.b64encode(b'\x01' * 20).decode())
    assert event_log.decode_record(b'\x00' * 21) is None                # unused slot
    assert event_log.decode_record(b'\xff\xff\xff\xff' + b'\x00' * 17) is None


def test_filters():
    recs = [event_log.decode_record(event_log.encode_record(t, s, 0x6F, 0, sev, 34))
            for t, s, sev in ((100, 35, 16), (200, 15, 1), (300, 6, 16), (400, 37, 2))]
    assert [r['timestamp'] for r in event_log.filter_records(recs, since=200)] == [200, 300, 400]
    assert [r['timestamp'] for r in event_log.filter_records(recs, min_severity='critical')] == [100, 300]
    assert [r['timestamp'] for r in event_log.filter_records(recs, min_severity='information')] == [100, 300, 400]
    assert [r['timestamp'] for r in event_log.filter_records(recs, sensor_types=['watchdog'])] == [100]


def test_since_parsing():
    import datetime
    now = datetime.datetime(2026, 11, 29, 12, 0, 0)
    assert event_log.parse_since('2026-11-29T00:00:00Z') == 1795910400
    assert event_log.parse_since('2026-11-29') == 1795910400
    assert event_log.parse_since('12h', now=now) == 1795910400
    assert event_log.parse_since(None) is None
    with pytest.raises(event_log.EventLogError, match='option since'):
        event_log.parse_since('yesterday')


def test_bad_options_before_contact():
    for params, match in (({'max_records': 0}, 'max_records'), ({'sensor_types': ['fans']}, 'unknown sensor type'),
                          ({'since': 'soon'}, 'option since'),
                          ({'state': 'cleared', 'min_severity': 'critical'}, 'clears the whole log')):
        with pytest.raises(event_log.EventLogError, match=match):
            event_log.validate(dict(params))


# -- audit log --------------------------------------------------------------------------------------

def test_readrecords_capture_decodes(fixtures_dir):
    out = fixture_output(fixtures_dir, 'AMT_AuditLog_ReadRecords_response.xml')
    client = PagedClient([out])
    records, total = audit_log.read_records(client)
    assert total == 2 and len(records) == 2
    assert client.calls[0][2] == [('StartIndex', 1)]
    first = records[0]
    assert (first['app_id'], first['event_id'], first['event_code']) == (19, 0, 1900)
    assert first['application'] == 'Firmware Update Manager' and first['event'] == 'Firmware Updated'
    assert first['initiator_type'] == 'local' and first['initiator'] == 'Local'
    assert first['timestamp'] == 1073007982 and records[1]['timestamp'] == 1073007983
    assert first['location_type'] == 2 and first['net_address'] == ''
    # MeshCommander reads the versions as big-endian words: real AMT 12.0 builds
    assert first['details'] == 'from 12.0.40.1433 to 12.0.36.1428'


def test_readrecords_pages_until_total():
    recs = [base64.b64encode(audit_log.encode_record(17, i % 4, 1700000000 + i, user='admin',
                                                     net_address='10.0.0.5')).decode() for i in range(12)]
    client = PagedClient([
        {'ReturnValue': 0, 'TotalRecordCount': '12', 'RecordsReturned': '10', 'EventRecords': recs[:10]},
        {'ReturnValue': 0, 'TotalRecordCount': '12', 'RecordsReturned': '2', 'EventRecords': recs[10:]},
    ])
    records, total = audit_log.read_records(client)
    assert total == 12 and len(records) == 12
    assert [c[2] for c in client.calls] == [[('StartIndex', 1)], [('StartIndex', 11)]]
    assert records[3]['event'] == 'Performed Reset' and records[3]['initiator'] == 'admin'
    assert records[3]['net_address'] == '10.0.0.5' and records[3]['category'] == 'power'


def test_audit_initiators_and_details():
    kerberos_sid = bytes([1, 2, 0, 0, 0, 0, 0, 5]) + struct.pack('<II', 21, 500)
    raw = struct.pack('>HHB', 16, 19, 1) + struct.pack('>I', 1) + bytes([len(kerberos_sid)]) + kerberos_sid + \
        struct.pack('>IBB', 1700000000, 0, 8) + b'10.0.0.7' + b'\x01\x03'
    rec = audit_log.decode_record(raw)
    assert rec['initiator_type'] == 'kerberos' and rec['initiator'] == 'S-1-5-21-500'
    assert rec['event'] == 'Unprovisioning Started' and rec['details'] == 'initiated by Local WSMAN'
    policy = audit_log.decode_record(audit_log.encode_record(30, 0, 1, user='admin', extended=b'\x02\x01'))
    assert policy['event'] == 'Opt-In Policy Change' and policy['details'] == 'from All to KVM'
    consent = audit_log.decode_record(audit_log.encode_record(30, 1, 1, user='admin', extended=b'\x01'))
    assert consent['details'] == 'Failed 3 times'
    kvm = audit_log.decode_record(struct.pack('>HHB', 18, 8, 3) + struct.pack('>IBB', 5, 2, 0) + b'\x00')
    assert kvm['initiator'] == 'KVM Default Port' and kvm['event'] == 'KVM Session Started'


def test_truncated_audit_record():
    full = audit_log.encode_record(17, 0, 1, user='admin', net_address='10.0.0.5', extended=b'\x00' * 7)
    for cut in (3, 8, len(full) - 1):
        with pytest.raises(audit_log.AuditLogError, match='truncated'):
            audit_log.decode_record(full[:cut])
    with pytest.raises(audit_log.AuditLogError, match='not base64'):
        audit_log.decode_record('%%%')

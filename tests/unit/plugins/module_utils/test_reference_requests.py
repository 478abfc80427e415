"""Requests fixed after comparing with Intel's hardware-tested clients (issue 15): our bytes against the
reference client's expected request, and the simulator refusing the old behaviour.

References (read, not copied; the expected fragments below are the references' request shapes):
- MeshCommander index.html (powerActionResponse*: ChangeBootOrder(null) before the Put of AMT_BootSettingData;
  amt-wsman-0.2.0.js ExecMethod leaves null arguments out);
- go-wsman-messages pkg/wsman/amt/alarmclock/service.go + service_test.go (AddAlarm, Interval P{d}DT{h}H{m}M);
- james-crowley/ansible-collection-intel-amt docs (CIM_Chassis by Get; CIM_MediaAccessDevice; AMT 10 Enumerate 400;
  empty <Source/> refused; sleep/hibernate refused on 16.1 and 19).
"""
import datetime
import os

import pytest
from lxml import etree

from ansible_collections.oob.amt.plugins.module_utils.amt import alarm as amt_alarm
from ansible_collections.oob.amt.plugins.module_utils.amt import boot as amt_boot
from ansible_collections.oob.amt.plugins.module_utils.amt import compat
from ansible_collections.oob.amt.plugins.module_utils.amt import info as amt_info
from ansible_collections.oob.amt.plugins.module_utils.wsman import soap as wx
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import EPR, WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault, WsmanHTTPError

BOOT_CONFIG = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_BootConfigSetting'


def c14n(element):
    return etree.tostring(element, method='c14n', exclusive=True, with_comments=False)


def body_payload(request_bytes):
    root = etree.fromstring(request_bytes)
    return root.find('{%s}Body' % wx.NS_SOAP)[0]


def normalised(element):
    """Namespace/prefix-independent form: (ns, local name, text, children) - what the firmware's parser sees."""
    text = (element.text or '').strip()
    return (etree.QName(element).namespace, etree.QName(element).localname, text,
            tuple(normalised(c) for c in element if isinstance(c.tag, str)))


@pytest.fixture(scope='module')
def sim():
    from tests.simulator.harness import Simulator
    spec = {'devices': {}}
    with Simulator(devices=4, fleet_spec=spec) as s:
        yield s


def client(sim, addr, **kw):
    opts = dict(use_tls=True, ca_path=sim.ca_path, password=sim.admin_password, timeout=10)
    opts.update(kw)
    return WsmanClient(addr, **opts)


# -- boot -----------------------------------------------------------------------------------------------

def test_change_boot_order_without_source_matches_meshcommander():
    # MeshCommander: amtstack.CIM_BootConfigSetting_ChangeBootOrder(null, ...) -> ExecMethod skips the null
    # argument -> '<r:ChangeBootOrder_INPUT xmlns:r="...CIM_BootConfigSetting"></r:ChangeBootOrder_INPUT>'
    reference = etree.fromstring('<r:ChangeBootOrder_INPUT xmlns:r="%s"></r:ChangeBootOrder_INPUT>' % BOOT_CONFIG)
    ours = body_payload(wx.invoke_request('CIM_BootConfigSetting', 'ChangeBootOrder', []))
    assert normalised(ours) == normalised(reference)
    assert len(ours) == 0          # no empty <Source/>: firmware refuses that with HTTP 400


def test_change_boot_order_with_source_matches_go_wsman_messages(fixtures_dir):
    with open(os.path.join(fixtures_dir, 'xml', 'CIM_BootConfigSetting_ChangeBootOrder_request.xml'), 'rb') as fh:
        reference = body_payload(fh.read())
    ours = body_payload(wx.invoke_request('CIM_BootConfigSetting', 'ChangeBootOrder', [(
        'Source', EPR('CIM_BootSourceSetting', {'InstanceID': 'Intel(r) AMT: Force Hard-drive Boot'}))]))
    ref_sel = [(s.get('Name'), s.text) for s in reference.iter('{%s}Selector' % wx.NS_WSMAN)]
    our_sel = [(s.get('Name'), s.text) for s in ours.iter('{%s}Selector' % wx.NS_WSMAN)]
    assert our_sel == ref_sel
    assert ours.find('.//{%s}ResourceURI' % wx.NS_WSMAN).text == reference.find('.//{%s}ResourceURI' % wx.NS_WSMAN).text


class Recorder(object):
    """Client stand-in that records the order of calls."""

    def __init__(self):
        self.calls = []
        self.exchanges = 0

    def get(self, cls, selectors=None):
        self.calls.append(('get', cls))
        if cls == 'AMT_BootCapabilities':
            return {'ForcePXEBoot': True, 'BIOSSetup': True}
        return {'InstanceID': 'Intel(r) AMT:BootSettingData 0', 'BIOSSetup': False, 'BIOSPause': False,
                'UseSOL': True, 'BootMediaIndex': 0}

    def put(self, cls, instance, selectors=None):
        self.calls.append(('put', cls, dict(instance)))
        return instance

    def invoke(self, cls, method, params=None, selectors=None, check_return=True):
        self.calls.append(('invoke', method, list(params or [])))
        return {'ReturnValue': 0}


@pytest.mark.parametrize('device,source', [('bios_setup', None), ('pxe', 'Intel(r) AMT: Force PXE Boot')])
def test_boot_sequence_is_meshcommanders(device, source):
    rec = Recorder()
    amt_boot.run_boot(rec, {'device': device, 'power': False})
    writes = [c for c in rec.calls if c[0] != 'get']
    assert writes[0] == ('invoke', 'ChangeBootOrder', [])                 # clear first, no Source
    assert writes[1][:2] == ('put', 'AMT_BootSettingData')
    assert writes[2][1] == 'SetBootConfigRole'
    put = writes[1][2]
    assert put['BIOSSetup'] is (device == 'bios_setup') and put['BIOSPause'] is False
    if source:
        assert writes[3][1] == 'ChangeBootOrder' and writes[3][2][0][1].selectors == {'InstanceID': source}
        assert len(writes) == 4
    else:
        assert len(writes) == 3                                           # BIOS setup: no source at all


def test_simulator_refuses_the_old_boot_sequence(sim):
    addr = sim.addresses[1]
    c = client(sim, addr)
    amt_boot.run_boot(c, {'device': 'pxe', 'power': False})                # leaves PXE in the boot order
    assert sim.state(addr)['boot']['source'] == 'Intel(r) AMT: Force PXE Boot'
    current = c.get('AMT_BootSettingData', {'InstanceID': 'Intel(r) AMT:BootSettingData 0'})
    wanted = amt_boot.desired_settings(current, 'bios_setup')
    with pytest.raises(WsmanFault):                                       # old order: Put before clearing
        c.put('AMT_BootSettingData', wanted, {'InstanceID': 'Intel(r) AMT:BootSettingData 0'})
    with pytest.raises(WsmanFault) as err:                                # an empty <Source/> is refused too
        c.invoke('CIM_BootConfigSetting', 'ChangeBootOrder', [('Source', '')])
    assert err.value.status == 400
    amt_boot.run_boot(c, {'device': 'bios_setup', 'power': False})         # the new sequence works
    state = sim.state(addr)['boot']
    assert state['source'] is None and state['settings']['BIOSSetup'] is True and state['role'] == 1
    c.close()


# -- alarm ----------------------------------------------------------------------------------------------

def test_add_alarm_template_matches_go_wsman_messages(fixtures_dir):
    # go-wsman-messages service_test.go: Interval 1 day 23 h 59 min -> P1DT23H59M, StartTime without fraction
    with open(os.path.join(fixtures_dir, 'xml', 'AMT_AlarmClockService_AddAlarm_request.xml'), 'rb') as fh:
        reference = body_payload(fh.read())
    interval = amt_alarm.parse_interval('P1DT23H59M')
    template = amt_alarm._template('Instance', '2022-12-31T23:59:00Z', interval, True)
    ours = body_payload(wx.invoke_request('AMT_AlarmClockService', 'AddAlarm', [('AlarmTemplate', template)]))
    ref_occ = reference[0]
    our_occ = ours[0]
    ref_fields = [normalised(e) for e in ref_occ if etree.QName(e).localname != 'ElementName']
    our_fields = [normalised(e) for e in our_occ if etree.QName(e).localname != 'ElementName']
    assert our_fields == ref_fields


@pytest.mark.parametrize('user,sent', [('daily', 'P1DT0H0M'), ('weekly', 'P7DT0H0M'), ('hourly', 'P0DT1H0M'),
                                       ('PT90M', None), ('P1DT6H30M', 'P1DT6H30M'), (None, 'P0DT0H0M')])
def test_interval_forms(user, sent):
    if user == 'PT90M':
        with pytest.raises(amt_alarm.AlarmError):
            amt_alarm.parse_interval(user)
        return
    parsed = amt_alarm.parse_interval(user)
    template = amt_alarm._template('n', '2099-01-01T00:00:00Z', parsed, False)
    ours = body_payload(wx.invoke_request('AMT_AlarmClockService', 'AddAlarm', [('AlarmTemplate', template)]))
    occ = wx.resource_uri('IPS_AlarmClockOccurrence')
    # one-shot alarms are sent as go-wsman-messages sends Interval 0: P0DT0H0M
    assert ours.find('.//{%s}Interval/{%s}Interval' % (occ, wx.NS_COMMON)).text == sent


def test_simulator_refuses_the_old_interval_forms(sim):
    addr = sim.addresses[2]
    c = client(sim, addr)
    start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime('%Y-%m-%dT%H:%M:00Z')
    for name, interval in (('old-short', 'P1D'), ('old-hours', 'PT1H')):
        tpl = wx.Embedded('IPS_AlarmClockOccurrence', [('InstanceID', name), ('StartTime', wx.Datetime(start)),
                                                       ('Interval', wx.Interval(interval)),
                                                       ('DeleteOnCompletion', False)])
        out = c.invoke('AMT_AlarmClockService', 'AddAlarm', [('AlarmTemplate', tpl)], check_return=False)
        assert out['ReturnValue'] == 36, interval
    old_one_shot = wx.Embedded('IPS_AlarmClockOccurrence', [('InstanceID', 'no-interval'),
                                                            ('StartTime', wx.Datetime(start)),
                                                            ('DeleteOnCompletion', True)])
    assert c.invoke('AMT_AlarmClockService', 'AddAlarm', [('AlarmTemplate', old_one_shot)],
                    check_return=False)['ReturnValue'] == 36
    result = amt_alarm.run_alarm(c, {'name': 'once', 'start': start, 'interval': None, 'state': 'present',
                                     'delete_on_completion': True})
    assert result['changed']
    stored = [a for a in sim.state(addr)['alarms'] if a['name'] == 'once'][0]
    assert stored['interval'] is None                     # P0DT0H0M = fires once
    assert [a for a in amt_alarm.read_alarms(c) if a['name'] == 'once'][0]['interval'] is None
    c.close()


# -- hardware facts ---------------------------------------------------------------------------------------

def test_chassis_by_get_and_storage(sim):
    addr = sim.addresses[0]
    c = client(sim, addr)
    classes = [p.get('_class') for p in c.enumerate('CIM_PhysicalPackage')]
    assert 'CIM_Chassis' not in classes and 'CIM_Card' in classes       # as real firmware: old code got nulls
    hw = amt_info.gather_hardware(c)
    chassis = sim.state(addr)['hardware']['chassis']
    assert hw['chassis']['serial'] == chassis['SerialNumber'] and hw['chassis']['model'] == chassis['Model']
    assert hw['storage'] and hw['storage'][0]['max_media_size_kb'] > 0
    assert isinstance(hw['storage'][0]['capabilities'], list)
    root = etree.fromstring(wx.get_request('CIM_Chassis'))         # a Get: empty body, no selectors needed
    assert len(root.find('{%s}Body' % wx.NS_SOAP)) == 0
    assert root.findtext('.//{%s}ResourceURI' % wx.NS_WSMAN) == \
        'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Chassis'
    c.close()


# -- AMT 10: Enumerate of AMT_ classes is HTTP 400 ---------------------------------------------------------

def test_amt10_enumerate_falls_back_to_get(sim):
    addr = sim.addresses[3]
    sim.patch(addr, amt_version='10.0.56.3002')
    try:
        c = client(sim, addr)
        with pytest.raises(WsmanHTTPError) as err:
            c.enumerate('AMT_EthernetPortSettings')
        assert err.value.status == 400
        ports = compat.enumerate_instances(c, 'AMT_EthernetPortSettings')
        assert [p['InstanceID'] for p in ports] == ['Intel(r) AMT Ethernet Port Settings 0']
        assert amt_info.gather_network(c)['interfaces'][0]['mac']
        assert c.enumerate('CIM_SoftwareIdentity')                         # CIM_ classes are not affected
        c.close()
    finally:
        sim.patch(addr, amt_version='15.0.23.1706')


# -- power: sleep/hibernate refused by 16.1 and 19 ---------------------------------------------------------

def test_sleep_refused_on_16_1(sim):
    addr = sim.addresses[0]
    assert sim.state(addr)['amt_version'].startswith('16.1')
    sim.patch(addr, power_state=2, os_agent=True)
    c = client(sim, addr)
    for value in (4, 7):
        out = c.invoke('CIM_PowerManagementService', 'RequestPowerStateChange', [
            ('PowerState', value), ('ManagedElement', EPR('CIM_ComputerSystem', {
                'CreationClassName': 'CIM_ComputerSystem', 'Name': 'ManagedSystem'}))],
            selectors={'Name': 'Intel(r) AMT Power Management Service'}, check_return=False)
        assert out['ReturnValue'] == 2
    assert sim.state(addr)['power_state'] == 2
    c.close()


def test_fault_closes_the_connection(sim):
    import socket
    import ssl
    addr = sim.addresses[0]
    ctx = ssl.create_default_context(cafile=sim.ca_path)
    ctx.check_hostname = False
    raw = ctx.wrap_socket(socket.create_connection((addr, 16993), timeout=5))
    body = wx.get_request('CIM_NoSuchClass')
    from ansible_collections.oob.amt.plugins.module_utils.wsman.digest import DigestAuth  # noqa: F401
    raw.sendall(b'POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: %d\r\n\r\n'
                % len(body) + body)
    head = raw.recv(4096)
    raw.close()
    assert head.startswith(b'HTTP/1.1 401')          # first the challenge (Connection: close)
    c = client(sim, addr, retries=0)
    c.get('AMT_GeneralSettings')
    before = c.transport.connections if hasattr(c.transport, 'connections') else None
    with pytest.raises(WsmanFault):
        c.get('CIM_NoSuchClass')
    c.get('AMT_GeneralSettings')                      # reconnects after the fault's Connection: close
    entries = [e for e in sim.log_entries(addr) if e['status'] == 400]
    assert entries
    if before is not None:
        assert c.transport.connections >= before + 1
    c.close()

"""Envelope building and hardened parsing, against every captured AMT response in tests/fixtures/xml."""
import glob
import os

import pytest
from lxml import etree

from ansible_collections.oob.amt.plugins.module_utils.wsman import soap as wx
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault, WsmanMalformedResponse


def xml_files(fixtures_dir, pattern):
    return sorted(glob.glob(os.path.join(fixtures_dir, 'xml', pattern)) +
                  glob.glob(os.path.join(fixtures_dir, 'xml', 'synthesized', pattern)))


def test_every_capture_parses(fixtures_dir):
    files = [f for f in xml_files(fixtures_dir, '*.xml') if not f.endswith(('_body_maas.xml', '_body_maas_pxe.xml'))]
    assert len(files) > 60
    for path in files:
        with open(path, 'rb') as fh:
            response = wx.parse_response(fh.read())
        assert response.body is not None, path


def parse(fixtures_dir, name):
    for path in xml_files(fixtures_dir, name):
        with open(path, 'rb') as fh:
            return wx.parse_response(fh.read())
    raise AssertionError(name)


def test_power_pull_typed_and_array(fixtures_dir):
    items, context, end = wx.enumeration_result(parse(fixtures_dir, 'CIM_ServiceAvailableToElement_Pull_response.xml'))
    assert end is True and context is None
    item = items[0]
    assert item['_class'] == 'CIM_AssociatedPowerManagementService'
    assert item['PowerState'] == 2
    assert item['AvailableRequestedPowerStates'] == [10, 8, 5, 11, 4, 7, 14, 12]
    assert item['ServiceProvided']['selectors']['Name'] == 'Intel(r) AMT Power Management Service'


def test_pull_with_context_and_no_end(fixtures_dir):
    items, context, end = wx.enumeration_result(parse(fixtures_dir, 'CIM_Chip_Pull_response.xml'))
    assert context and not end and items[0]['_class'] == 'CIM_Chip'


def test_polymorphic_pull_with_context_and_end(fixtures_dir):
    items, context, end = wx.enumeration_result(parse(fixtures_dir, 'CIM_PhysicalPackage_Pull_response.xml'))
    assert end is True and items[0]['_class'] == 'CIM_Card'


def test_general_settings_values(fixtures_dir):
    resp = parse(fixtures_dir, 'AMT_GeneralSettings_Get_response_rps_capture_amt15.xml')
    inst = wx.instance_to_dict(resp.payload)
    assert inst['DigestRealm'] == 'Digest:62FFAC181B3F3457C5B3894ED21F3E6E'
    assert inst['AMTNetworkEnabled'] == 1 and inst['RmcpPingResponseEnabled'] is True and inst['HostName'] == ''
    assert resp.action.endswith('/GetResponse')


def test_datetime_wrapper_unwrapped(fixtures_dir):
    inst = wx.instance_to_dict(parse(fixtures_dir, 'CIM_BIOSElement_Get_response.xml').payload)
    assert inst['ReleaseDate'].endswith('Z')


def test_single_value_array_is_list(fixtures_dir):
    inst = wx.instance_to_dict(parse(fixtures_dir, 'IPS_HostBasedSetupService_Get_response.xml').payload)
    assert inst['AllowedControlModes'] == [2, 1] and inst['CurrentControlMode'] == 2


@pytest.mark.parametrize('name,subcode', [('Fault_DestinationUnreachable_response.xml', 'DestinationUnreachable'),
                                          ('Fault_AlreadyExists_response.xml', 'AlreadyExists'),
                                          ('Fault_SchemaValidationError_response.xml', 'SchemaValidationError'),
                                          ('Fault_InvalidSelectors_response.xml', 'InvalidSelectors')])
def test_faults(fixtures_dir, name, subcode):
    resp = parse(fixtures_dir, name)
    assert resp.is_fault
    fault = wx.fault_from(resp, status=400, host='h', operation='op')
    assert isinstance(fault, WsmanFault)
    assert fault.subcode == subcode and fault.code == 'Sender' and fault.reason
    assert 'h' in fault.message and 'op' in fault.message


def test_return_value_2(fixtures_dir):
    resp = parse(fixtures_dir, 'CIM_PowerManagementService_RequestPowerStateChange_response_ReturnValue2.xml')
    assert wx.instance_to_dict(resp.payload)['ReturnValue'] == 2


def _semantic(data):
    root = etree.fromstring(data)
    ns = {'s': wx.NS_SOAP, 'a': wx.NS_WSA, 'w': wx.NS_WSMAN}
    action = root.findtext('s:Header/a:Action', namespaces=ns)
    resource = root.findtext('s:Header/w:ResourceURI', namespaces=ns)
    body = root.find('s:Body', ns)
    payload = body[0] if len(body) else None
    return action.strip() if action else None, resource.strip() if resource else None, payload


def test_power_request_matches_capture(fixtures_dir):
    with open(xml_files(fixtures_dir, 'CIM_PowerManagementService_RequestPowerStateChange_request.xml')[0], 'rb') as fh:
        cap_action, cap_res, cap_body = _semantic(fh.read())
    ours = wx.invoke_request('CIM_PowerManagementService', 'RequestPowerStateChange',
                             [('PowerState', 8), ('ManagedElement', wx.EPR('CIM_ComputerSystem', {
                                 'CreationClassName': 'CIM_ComputerSystem', 'Name': 'ManagedSystem'}))])
    action, res, body = _semantic(ours)
    assert (action, res) == (cap_action, cap_res)
    assert body.tag == cap_body.tag
    assert [c.tag for c in body] == [c.tag for c in cap_body]
    ours_sel = {s.get('Name'): s.text for s in body.iter('{%s}Selector' % wx.NS_WSMAN)}
    cap_sel = {s.get('Name'): s.text for s in cap_body.iter('{%s}Selector' % wx.NS_WSMAN)}
    assert ours_sel == cap_sel


def test_enumerate_request_is_optimized():
    action, res, body = _semantic(wx.enumerate_request('CIM_ServiceAvailableToElement', True, 50))
    assert action == wx.ACTION_ENUMERATE
    assert body.find('{%s}OptimizeEnumeration' % wx.NS_WSMAN) is not None
    assert body.findtext('{%s}MaxElements' % wx.NS_WSMAN) == '50'


def test_selectors_and_escaping():
    data = wx.get_request('AMT_BootSettingData', {'InstanceID': 'Intel(r) AMT:BootSettingData 0 <&>'})
    root = etree.fromstring(data)
    sel = root.find('.//{%s}Selector' % wx.NS_WSMAN)
    assert sel.get('Name') == 'InstanceID' and sel.text == 'Intel(r) AMT:BootSettingData 0 <&>'


def test_embedded_and_datetime_params():
    body = wx.invoke_request('AMT_AlarmClockService', 'AddAlarm', [('AlarmTemplate', wx.Embedded(
        'IPS_AlarmClockOccurrence', [('InstanceID', 'n'), ('StartTime', wx.Datetime('2030-01-01T00:00:00Z')),
                                     ('Interval', wx.Interval('P1D')), ('DeleteOnCompletion', False)]))])
    root = etree.fromstring(body)
    occ = wx.resource_uri('IPS_AlarmClockOccurrence')
    assert root.find('.//{%s}StartTime/{%s}Datetime' % (occ, wx.NS_COMMON)).text == '2030-01-01T00:00:00Z'
    assert root.find('.//{%s}DeleteOnCompletion' % occ).text == 'false'


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                  b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body>&lol2;</Body></Envelope>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body>&xxe;</Body></Envelope>')


@pytest.mark.parametrize('data', [BILLION_LAUGHS, XXE, b'', b'not xml', b'<a><b></a>', b'\xff\xfe<\x00x\x00',
                                  b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope">\xc3\x28</Envelope>',
                                  b'<x/>', b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"/>',
                                  b'<a>' * 5000 + b'</a>' * 5000])
def test_hostile_documents_refused(data):
    with pytest.raises(WsmanMalformedResponse):
        wx.parse_response(data, 'h', 'op')


def test_resource_uri():
    assert wx.resource_uri('CIM_Chassis').startswith('http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/')
    assert wx.resource_uri('AMT_GeneralSettings').startswith('http://intel.com/wbem/wscim/1/amt-schema/1/')
    assert wx.resource_uri('IPS_OptInService').startswith('http://intel.com/wbem/wscim/1/ips-schema/1/')
    with pytest.raises(ValueError):
        wx.resource_uri('Foo')


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_parser_raises_only_its_own_error(data):
    try:
        response = wx.parse_response(data, 'h', 'op')
    except WsmanMalformedResponse:
        return
    # whatever parses must be usable by the extractors without crashing
    wx.enumeration_result(response)
    wx.identify_result(response)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(max_size=80))
def test_fuzz_envelopes_with_arbitrary_values(name, value):
    try:
        data = wx.get_request('AMT_GeneralSettings', {name or 'k': value})
    except ValueError as exc:
        assert 'XML cannot carry' in str(exc)
        return
    root = wx.parse_xml(data)
    sel = root.find('.//{%s}Selector' % wx.NS_WSMAN)
    attr = (name or 'k').replace('\r\n', '\n').replace('\r', '\n').replace('\n', ' ').replace('\t', ' ')
    assert sel.get('Name') == attr and (sel.text or '') == value.replace('\r\n', '\n').replace('\r', '\n')

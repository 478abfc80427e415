"""The simulator held to the protocol reference and the captured XML, with a raw client (not ours)."""
import hashlib
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile

import pytest
from lxml import etree

SOAP = 'http://www.w3.org/2003/05/soap-envelope'
WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing'
WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
CAPTURED_401 = re.compile(r'^Digest realm="Digest:[0-9A-F]{32}", nonce="[^"]+",stale="(true|false)",qop="(auth|auth-int, auth)"$')


class RawClient:
    """A minimal conforming WS-Man client: http.client + hashlib digest (MeshCommander-style unquoted qop/nc)."""

    def __init__(self, host, password, port=16992, context=None):
        """Plain HTTP on 16992; with an ssl context, TLS (pass port=16993): CSME 16.1 and later refuse remote plain
        HTTP once provisioned, so 16.1 behaviour is tested over TLS."""
        self.host, self.password, self.port, self.context = host, password, port, context
        self.nonce = None
        self.nc = 0
        self.conn = self._connect()

    def _connect(self):
        if self.context is not None:
            return http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=10)
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def post(self, body, auth=True):
        headers = {'Content-Type': 'application/soap+xml;charset=UTF-8'}
        for _unused in range(2):
            if auth and self.nonce:
                self.nc += 1
                ha1 = hashlib.md5(('admin:%s:%s' % (self.realm, self.password)).encode()).hexdigest()
                ha2 = hashlib.md5(b'POST:/wsman').hexdigest()
                nc = '%08x' % self.nc
                resp = hashlib.md5(('%s:%s:%s:c0ffee:auth:%s' % (ha1, self.nonce, nc, ha2)).encode()).hexdigest()
                headers['Authorization'] = ('Digest username="admin", realm="%s", nonce="%s", uri="/wsman", '
                                            'response="%s", qop=auth, nc=%s, cnonce="c0ffee"' % (self.realm, self.nonce, resp, nc))
            self.conn.request('POST', '/wsman', body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read()
            if r.status == 401 and auth:
                self.last_challenge = r.getheader('WWW-Authenticate')
                self.realm = re.search(r'realm="([^"]+)"', self.last_challenge).group(1)
                self.nonce = re.search(r'nonce="([^"]+)"', self.last_challenge).group(1)
                self.nc = 0
                self.conn.close()
                self.conn = self._connect()
                continue
            return r, data
        return r, data


@pytest.fixture(scope='module')
def sim():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2) as s:
        yield s


def local(el):
    return etree.QName(el).localname


def body_payload(data):
    root = etree.fromstring(data)
    body = root.find('{%s}Body' % SOAP)
    return root, (body[0] if len(body) else None)


REQUESTS = ['AMT_GeneralSettings_Get_request.xml', 'CIM_ServiceAvailableToElement_Enumerate_request.xml',
            'CIM_PowerManagementService_RequestPowerStateChange_request.xml',
            'CIM_PowerManagementService_RequestPowerStateChange_request_amtc_graceful_off.xml',
            'CIM_AssociatedPowerManagementService_Get_request_sdague.xml',
            'AMT_SetupAndConfigurationService_GetUuid_request.xml',
            'AMT_SetupAndConfigurationService_CommitChanges_request.xml', 'Enumerate_Optimized_request_amtc.xml']


@pytest.mark.parametrize('name', REQUESTS)
def test_captured_requests_get_captured_shapes(sim, fixtures_dir, name):
    path = os.path.join(fixtures_dir, 'xml', name)
    with open(path, 'rb') as fh:
        body = fh.read()
    if b'%s' in body:  # amtc template: resource URI placeholder
        body = body.replace(b'%s', b'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ServiceAvailableToElement')
    addr = sim.addresses[1]
    sim.patch(addr, power_state=2, redirection_session=False)
    client = RawClient(addr, sim.admin_password)
    resp, data = client.post(body)
    assert resp.status == 200, data[:500]
    assert resp.getheader('Server').startswith('Intel(R) Active Management Technology ')
    assert resp.getheader('Transfer-Encoding') == 'chunked'
    assert resp.getheader('Content-Type').startswith('application/soap+xml')
    req_root = etree.fromstring(body)
    req_action = req_root.findtext('.//{%s}Action' % WSA).strip()
    req_id = req_root.findtext('.//{%s}MessageID' % WSA)
    root, payload = body_payload(data)
    header = root.find('{%s}Header' % SOAP)
    assert [local(c) for c in header] == ['To', 'RelatesTo', 'Action', 'MessageID', 'ResourceURI']
    assert header.findtext('{%s}Action' % WSA) == req_action + 'Response'
    assert header.findtext('{%s}RelatesTo' % WSA) == (req_id or '').strip()
    assert re.match(r'uuid:00000000-8086-8086-8086-[0-9A-F]{12}$', header.findtext('{%s}MessageID' % WSA))
    # same body element as the captured response for that operation
    captured = {'AMT_GeneralSettings_Get_request.xml': 'AMT_GeneralSettings_Get_response.xml',
                'CIM_PowerManagementService_RequestPowerStateChange_request.xml':
                    'CIM_PowerManagementService_RequestPowerStateChange_response.xml',
                'AMT_SetupAndConfigurationService_CommitChanges_request.xml':
                    'AMT_SetupAndConfigurationService_CommitChanges_response.xml'}.get(name)
    if captured:
        with open(os.path.join(fixtures_dir, 'xml', captured), 'rb') as fh:
            _unused, cap_payload = body_payload(fh.read())
        assert payload.tag == cap_payload.tag
        ours = {local(c) for c in payload}
        theirs = {local(c) for c in cap_payload}
        assert theirs <= ours | {'ThunderboltDockEnabled', 'DHCPSyncRequiresHostname'}, theirs - ours


def test_properties_alphabetical_and_captured_set(sim, fixtures_dir):
    addr = sim.addresses[1]
    client = RawClient(addr, sim.admin_password)
    with open(os.path.join(fixtures_dir, 'xml', 'AMT_GeneralSettings_Get_request.xml'), 'rb') as fh:
        _unused, data = client.post(fh.read())
    _unused, payload = body_payload(data)
    names = [local(c) for c in payload]
    assert names == sorted(names)


def tls_context(sim):
    return ssl.create_default_context(cafile=sim.ca_path)


def test_401_has_captured_shape(sim):
    addr = sim.addresses[1]                 # the capture is from AMT 15, which still serves plain HTTP remotely
    assert sim.state(addr)['amt_version'].startswith('15.')
    conn = http.client.HTTPConnection(addr, 16992, timeout=10)
    conn.request('POST', '/wsman', body=b'<x/>', headers={'Content-Type': 'application/soap+xml'})
    r = conn.getresponse()
    r.read()
    assert r.status == 401
    assert r.getheader('Connection') == 'close' and r.getheader('Content-Type') == 'text/html'
    assert CAPTURED_401.match(r.getheader('WWW-Authenticate')), r.getheader('WWW-Authenticate')


def test_two_qop_variant_for_16_1(sim):
    addr = sim.addresses[0]
    assert sim.state(addr)['amt_version'].startswith('16.1')
    client = RawClient(addr, sim.admin_password, port=16993, context=tls_context(sim))
    client.post(b'<x/>')
    assert client.last_challenge.endswith('qop="auth-int, auth"')


def test_replayed_nonce_count_rejected(sim, fixtures_dir):
    addr = sim.addresses[1]
    client = RawClient(addr, sim.admin_password)
    with open(os.path.join(fixtures_dir, 'xml', 'AMT_GeneralSettings_Get_request.xml'), 'rb') as fh:
        get = fh.read()
    r, _unused = client.post(get)
    assert r.status == 200
    client.nc -= 1  # send the same nc again
    client.conn.request('POST', '/wsman', body=get, headers={'Authorization': 'x'})
    r2 = client.conn.getresponse()
    r2.read()
    assert r2.status == 401


def test_identify_unauthenticated(sim):
    addr = sim.addresses[0]
    client = RawClient(addr, None, port=16993, context=tls_context(sim))
    body = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:i="http://schemas.dmtf.org/wbem/wsman/'
            b'identity/1/wsmanidentity.xsd"><s:Header/><s:Body><i:Identify/></s:Body></s:Envelope>')
    r, data = client.post(body, auth=False)
    assert r.status == 200
    _unused, payload = body_payload(data)
    assert local(payload) == 'IdentifyResponse'
    assert payload.findtext('{*}ProductVendor') == 'Intel(r)'


@pytest.mark.parametrize('body,subcode', [
    (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
     b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/'
     b'transfer/Get</a:Action><w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/AMT_Nope</w:ResourceURI>'
     b'<a:MessageID>7</a:MessageID></s:Header><s:Body/></s:Envelope>', 'DestinationUnreachable'),
    (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
     b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://intel.com/wbem/wscim/1/amt-schema/1/'
     b'AMT_GeneralSettings/Explode</a:Action><w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings'
     b'</w:ResourceURI><a:MessageID>7</a:MessageID></s:Header><s:Body/></s:Envelope>', 'ActionNotSupported'),
    (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><broken', 'SchemaValidationError'),
    (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
     b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/'
     b'enumeration/Pull</a:Action><w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Chassis</w:ResourceURI>'
     b'<a:MessageID>7</a:MessageID></s:Header><s:Body><n:Pull xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">'
     b'<n:EnumerationContext>DEAD0000-0000-0000-0000-000000000000</n:EnumerationContext></n:Pull></s:Body></s:Envelope>',
     'InvalidEnumerationContext'),
    (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
     b'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/'
     b'transfer/Get</a:Action><w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings</w:ResourceURI>'
     b'<a:MessageID>7</a:MessageID><w:SelectorSet><w:Selector Name="InstanceID">nope</w:Selector></w:SelectorSet>'
     b'</s:Header><s:Body/></s:Envelope>', 'InvalidSelectors'),
])
def test_faults_on_http_400(sim, body, subcode):
    client = RawClient(sim.addresses[1], sim.admin_password)
    r, data = client.post(body)
    assert r.status == 400
    _unused, payload = body_payload(data)
    assert local(payload) == 'Fault'
    assert payload.findtext('{*}Code/{*}Subcode/{*}Value').split(':')[1] == subcode


def test_power_state_machine_and_redirection(sim):
    from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient, EPR
    addr = sim.addresses[0]
    c = WsmanClient(**sim.connection(addr))
    me = ('ManagedElement', EPR('CIM_ComputerSystem', {'CreationClassName': 'CIM_ComputerSystem', 'Name': 'ManagedSystem'}))

    def req(v):
        return c.invoke('CIM_PowerManagementService', 'RequestPowerStateChange', [('PowerState', v), me],
                        check_return=False)['ReturnValue']
    sim.patch(addr, power_state=2, redirection_session=True, os_agent=True)
    assert req(8) == 2 and req(5) == 2 and req(10) == 0
    sim.patch(addr, redirection_session=False)
    assert req(8) == 0 and sim.state(addr)['power_state'] == 8
    assert req(5) == 2                                        # cycle refused while off
    items = c.enumerate('CIM_ServiceAvailableToElement')
    assert items[0]['AvailableRequestedPowerStates'] == [2]
    assert 'OSPowerSavingState' not in c.get('IPS_PowerManagementService')
    assert req(2) == 0 and sim.state(addr)['power_state'] == 2
    sim.patch(addr, os_agent=False)
    assert req(12) == 2


def test_enumeration_paging(sim):
    from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
    c = WsmanClient(**sim.connection(sim.addresses[0]))
    c.get('AMT_GeneralSettings')
    before = c.exchanges
    assert len(c.enumerate('CIM_SoftwareIdentity', max_elements=4)) == 11
    assert c.exchanges - before == 3                         # 4 + 4 + 3
    before = c.exchanges
    assert len(c.enumerate('CIM_SoftwareIdentity', max_elements=100)) == 11
    assert c.exchanges - before == 1


def test_request_log_lines(sim):
    sim.clear_log()
    client = RawClient(sim.addresses[1], sim.admin_password)       # AMT 15: plain HTTP on 16992
    client.post(b'<x/>')
    entries = sim.log_entries()
    assert entries and set(entries[0]) == {'device', 'port', 'status', 'action', 'resource'}
    assert entries[0]['status'] == 401 and entries[0]['port'] == 16992


def test_remote_plain_http_refused_from_16_1(sim):
    """amt-wsman.md 1.1: from CSME 16.1 remote connections to 16992 and 16994 are no longer accepted (provisioned
    devices; AMT 15 still answers)."""
    import socket
    new, old = sim.addresses
    assert sim.state(new)['amt_version'].startswith('16.1') and sim.state(new)['provisioning_state'] == 2
    for port in (16992, 16994):
        try:
            with socket.create_connection((new, port), timeout=10) as sock:
                sock.sendall(b'POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')
                answer = sock.recv(64)
        except (ConnectionResetError, BrokenPipeError):
            answer = b''
        assert answer == b'', (port, answer)
    conn = http.client.HTTPConnection(old, 16992, timeout=10)
    conn.request('POST', '/wsman', body=b'<x/>')
    assert conn.getresponse().status == 401


def test_tls_with_fleet_ca(sim):
    ctx = ssl.create_default_context(cafile=sim.ca_path)
    conn = http.client.HTTPSConnection(sim.addresses[0], 16993, context=ctx, timeout=10)
    conn.request('POST', '/wsman', body=b'<x/>')
    assert conn.getresponse().status == 401


def test_cli_contract_ready_sigterm_and_persistence():
    state = tempfile.mkdtemp()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from tests.simulator.harness import pick_first_address
    first = pick_first_address()
    cmd = [sys.executable, '-m', 'tests.simulator', '--devices', '3', '--first-address', first, '--state-dir', state,
           '--admin-password', 'Other-Passw0rd!', '--mode', 'acm', '--request-log', os.path.join(state, 'log')]
    proc = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'READY 3'
    path = os.path.join(state, 'devices', '%s.json' % first)
    data = json.load(open(path))
    assert data['control_mode'] == 2 and data['admin_password'] == 'Other-Passw0rd!'
    from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
    c = WsmanClient(first, password='Other-Passw0rd!', ca_path=os.path.join(state, 'ca.pem'), timeout=10)
    c.put('AMT_GeneralSettings', {'HostName': 'persisted-name'}, {'InstanceID': 'Intel(r) AMT: General Settings'})
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert os.path.exists(os.path.join(state, 'ca.pem'))
    proc = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == 'READY 3'
        assert json.load(open(path))['hostname'] == 'persisted-name'
    finally:
        proc.terminate()
        proc.wait(timeout=20)

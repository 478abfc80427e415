"""Issue 17 logic without a running simulator: the null-signed PKCS#10 and its signing by the device handler, the
zone CA's signature, what makes a bound certificate acceptable, TLS-mode refusals, digest hashes, user/network/clock
input rules, and the simulator classes' firmware rules (limits, names, realms, stale Ta0, pending TLS)."""
import base64
import datetime
import hashlib
import ipaddress
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.oob.amt.plugins.module_utils.amt import network, tls, users
from ansible_collections.oob.amt.plugins.module_utils.amt import time as amt_time
from ansible_collections.oob.amt.plugins.module_utils.formats import certs
from tests.simulator.model import Device, default_state
from tests.simulator.registry import Context, SoapFault
from tests.simulator.classes import clock as sim_clock
from tests.simulator.classes import tls as sim_tls
from tests.simulator.classes import users as sim_users


def _ca(days=3650):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Unit Zone CA')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert, key


def _device(version='16.1.25.1917', mode='acm', tmp_path=None):
    state = default_state('127.0.0.9', 0, mode=mode)
    state['amt_version'] = version
    state['key_generation_seconds'] = 0
    return Device(state, str(tmp_path or '/tmp'))


CTX = Context('network', tls=True, username='admin')


def _device_csr(device, dns, ips, cn='pc.example.com'):
    """The module's flow against the simulator handler: key pair, null-signed request, device signature."""
    svc = sim_tls.PublicKeyManagementService()
    out = svc.method_GenerateKeyPair(device, {'KeyAlgorithm': '0', 'KeyLength': '2048'}, CTX)
    assert out['ReturnValue'] == 0
    handle = out['KeyPair'].selectors['InstanceID']
    der_key = next(k['der'] for k in device.state['tls']['keys'] if k['id'] == handle)
    public = serialization.load_der_public_key(base64.b64decode(der_key))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    request = tls.null_signed_request(public, subject, tls.request_extensions(dns, ips))
    out = svc.method_GeneratePKCS10RequestEx(device, {
        'KeyPair': {'resource_uri': None, 'selectors': {'InstanceID': handle}}, 'SigningAlgorithm': '1',
        'NullSignedCertificateRequest': base64.b64encode(request).decode()}, CTX)
    return handle, request, out


def test_null_signed_request_is_a_pkcs10_with_the_wanted_info(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'pc-7.corp.example.com')])
    der = tls.null_signed_request(key.public_key(), subject, tls.request_extensions(['pc-7.corp.example.com'],
                                                                                    ['10.0.0.7']))
    csr = x509.load_der_x509_csr(der)
    assert csr.subject == subject and not csr.is_signature_valid        # null-signed: the device signs it
    assert certs.same_public_key(csr.public_key(), key.public_key())
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ['pc-7.corp.example.com']
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address('10.0.0.7')]
    eku = csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert csr.extensions.get_extension_for_class(x509.KeyUsage).critical
    # the DER helpers: long lengths and multi-byte OID arcs
    assert tls._der_len(300) == b'\x82\x01\x2c' and tls._oid('1.2.840.113549.1.1.11').hex() == '06092a864886f70d01010b'


def test_device_signs_with_its_key_after_generation_and_the_zone_ca_issues(tmp_path):
    device = _device(tmp_path=tmp_path)
    device.state['key_generation_seconds'] = 30
    _handle, _request, out = _device_csr(device, ['pc.example.com'], ['10.0.0.7'])
    assert out['ReturnValue'] == 2061                           # still generating: PKI_GENERATING_KEYS
    assert sim_tls.PublicPrivateKeyPair().instances(device, CTX) == []
    device.state['key_generation_seconds'] = 0
    handle, request, out = _device_csr(device, ['pc.example.com'], ['10.0.0.7'])
    assert out['ReturnValue'] == 0
    csr = x509.load_der_x509_csr(base64.b64decode(out['SignedCertificateRequest']))
    assert csr.is_signature_valid and csr.subject == x509.load_der_x509_csr(request).subject
    ca, ca_key = _ca(days=100)
    cert = tls.sign_request(csr, ca_key, ca, 365)
    assert certs.signed_by(cert, ca) and certs.not_after(cert) <= certs.not_after(ca)     # capped by the CA
    assert tls.cert_names(cert) == (['pc.example.com'], ['10.0.0.7'])
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    keys = dict((k['InstanceID'], k['DERKey']) for k in sim_tls.PublicPrivateKeyPair().instances(device, CTX))
    assert tls.key_of(cert, keys) == handle
    # a request for another key is refused by the device
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = tls.null_signed_request(other.public_key(), csr.subject, [])
    out = sim_tls.PublicKeyManagementService().method_GeneratePKCS10RequestEx(device, {
        'KeyPair': {'selectors': {'InstanceID': handle}}, 'SigningAlgorithm': '1',
        'NullSignedCertificateRequest': base64.b64encode(forged).decode()}, CTX)
    assert out['ReturnValue'] == 2064


def test_add_certificate_context_settings_and_commit_rules(tmp_path):
    device = _device(tmp_path=tmp_path)
    svc = sim_tls.PublicKeyManagementService()
    _handle, _request, out = _device_csr(device, ['pc.example.com'], [])
    csr = x509.load_der_x509_csr(base64.b64decode(out['SignedCertificateRequest']))
    ca, ca_key = _ca()
    der = tls.sign_request(csr, ca_key, ca, 30).public_bytes(serialization.Encoding.DER)
    added = svc.method_AddCertificate(device, {'CertificateBlob': base64.b64encode(der).decode()}, CTX)
    assert added['ReturnValue'] == 0
    assert svc.method_AddCertificate(device, {'CertificateBlob': base64.b64encode(der).decode()}, CTX)['ReturnValue'] == 2058
    lone = ca.public_bytes(serialization.Encoding.DER)     # no key on the device for it
    assert svc.method_AddCertificate(device, {'CertificateBlob': base64.b64encode(lone).decode()}, CTX)['ReturnValue'] == 2064
    settings = sim_tls.TLSSettingData()
    remote = {'InstanceID': sim_tls.REMOTE_ID}
    # 16.1: plain HTTP cannot be accepted again on the network interface
    with pytest.raises(SoapFault):
        settings.put(device, remote, {'Enabled': 'true', 'MutualAuthentication': 'false',
                                      'AcceptNonSecureConnections': 'true'}, CTX)
    sim_tls.TLSCredentialContext().create(device, {'ElementInContext': {
        'selectors': {'InstanceID': added['CreatedCertificate'].selectors['InstanceID']}}}, CTX)
    with pytest.raises(SoapFault) as err:
        sim_tls.TLSCredentialContext().create(device, {'ElementInContext': {'selectors': {'InstanceID': 'x'}}}, CTX)
    assert err.value.subcode == 'AlreadyExists'
    with pytest.raises(SoapFault):      # mutual TLS needs a trusted root first
        settings.put(device, remote, {'Enabled': 'true', 'MutualAuthentication': 'true',
                                      'AcceptNonSecureConnections': 'false'}, CTX)
    settings.put(device, remote, {'Enabled': 'true', 'MutualAuthentication': 'false',
                                  'AcceptNonSecureConnections': 'false'}, CTX)
    assert sim_tls.plain_http_allowed(device)                  # nothing applies before CommitChanges
    sim_tls.SetupAndConfigurationService().method_CommitChanges(device, {}, CTX)
    assert not sim_tls.plain_http_allowed(device) and device.drop_connection
    assert not sim_tls.port_open(device, False, 'network') and sim_tls.port_open(device, False, 'local')


def test_current_ok_names_each_reason(tmp_path):
    ca, ca_key = _ca()
    other, other_key = _ca()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'pc.example.com')])
    csr = x509.load_der_x509_csr(tls.null_signed_request(key.public_key(), subject,
                                                         tls.request_extensions(['pc.example.com'], ['10.0.0.7'])))
    cert = tls.sign_request(csr, ca_key, ca, 10)
    keys = {'k1': tls._pkcs1(key.public_key())}
    state = {'bound': 'c1', 'certs': [{'id': 'c1', 'cert': cert}], 'keys': keys}
    names = ('pc.example.com', ['pc.example.com'], ['10.0.0.7'])
    assert tls.current_ok(state, [ca], names, 1) == (True, [])
    ok, reasons = tls.current_ok(state, [other], ('pc.example.com', ['other.example.com'], []), 30)
    assert not ok and len(reasons) == 3          # wrong CA, wrong names, within renew_before_days
    assert not tls.current_ok(dict(state, keys={}), [ca], names, 1)[0]
    assert tls.current_ok(dict(state, bound=None), [ca], names, 1) == (False, ['no certificate is bound to TLS'])


def test_names_modes_and_input_checks():
    base = {'host': '10.0.0.7', 'dns_names': None, 'ip_addresses': None, 'common_name': None}
    wanted = ('pc-7.corp.example.com', ['pc-7.corp.example.com'], ['10.0.0.7'])
    assert tls.wanted_names(base, 'pc-7.corp.example.com') == wanted
    assert tls.wanted_names(dict(base, host='pc-7.corp.example.com'), None)[1:] == (['pc-7.corp.example.com'], [])
    remote16 = {tls.REMOTE_ID: {'NonSecureConnectionsSupported': 'false'}}
    with pytest.raises(tls.TLSError, match='NonSecureConnectionsSupported'):
        tls.wanted_settings({'mode': 'mutual_and_non_tls'}, remote16)
    want = tls.wanted_settings({'mode': 'server', 'local_tls': True},
                               dict(remote16, **{tls.LOCAL_ID: {'AcceptNonSecureConnections': 'true'}}))
    assert want[tls.REMOTE_ID]['AcceptNonSecureConnections'] is False and want[tls.LOCAL_ID]['Enabled'] is True
    params = dict(state='present', ca='internal', ca_dir=None, mode='server', valid_days=30, renew_before_days=1,
                  key_timeout=10)
    with pytest.raises(tls.TLSError, match='ca_dir'):
        tls.check_params(params)
    with pytest.raises(tls.TLSError, match='client_ca'):
        tls.check_params(dict(params, ca_dir='/tmp', mode='mutual'))


def test_digest_password_and_user_rules():
    raw = hashlib.md5(b'helpdesk:Digest:ABC:Helpd3sk!pw').digest()
    assert users.digest_password('helpdesk', 'Digest:ABC', 'Helpd3sk!pw') == base64.b64encode(raw).decode()
    assert users._list({'RealmValue': ['2', '5']}) == [2, 5] and users._list('3') == [3] and users._list(None) == []
    ok = dict(name='helpdesk', user_password='Helpd3sk!pw', state='present', realms=['redirection'], username='admin')
    assert users.check_params(dict(ok)) == ok
    for bad, fragment in ((dict(ok, name='x' * 17), 'option name'), (dict(ok, name='a b'), 'option name'),
                          (dict(ok, user_password='password'), 'password rules'),
                          (dict(ok, realms=['root']), 'unknown root'), (dict(ok, realms=[]), 'realms is required'),
                          (dict(ok, name='admin', realms=['redirection']), 'every realm'),
                          (dict(ok, name='admin', state='absent'), 'cannot be removed')):
        with pytest.raises(users.UserError, match=fragment):
            users.check_params(bad)


def test_simulator_user_table_limits_names_realms(tmp_path):
    device = _device(tmp_path=tmp_path)
    svc = sim_users.AuthorizationService()
    digest = users.digest_password('u', device.state['realm'], 'Helpd3sk!pw')

    def add(name, realms=('2',), access='1'):
        return svc.method_AddUserAclEntryEx(device, {'DigestUsername': name, 'DigestPassword': digest,
                                                     'AccessPermission': access,
                                                     'Realms': {'RealmValue': list(realms)}}, CTX)['ReturnValue']
    assert add('admin') == 12 and add('bad:name') == 12 and add('x' * 17) == 12
    assert add('u0', realms=('1',)) == 2055 and add('u0', realms=('99',)) == 2055 and add('u0', access='7') == 36
    assert [add('u%d' % i) for i in range(sim_users.MAX_USERS)] == [0] * sim_users.MAX_USERS
    assert add('one-more') == 23 and add('u1') in (23, 2058)
    out = svc.method_EnumerateUserAclEntries(device, {'StartIndex': '1'}, CTX)
    assert out['TotalCount'] == sim_users.MAX_USERS
    handle = out['Handles'][0]
    entry = svc.method_GetUserAclEntryEx(device, {'Handle': str(handle)}, CTX)
    assert entry['DigestUsername'] == 'u0' and entry['Realms'] == [2] and 'DigestPassword' not in entry
    assert svc.method_RemoveUserAclEntry(device, {'Handle': '999'}, CTX)['ReturnValue'] == 2053
    # an update without DigestPassword keeps the password
    before = device.state['users'][0]['ha1']
    assert svc.method_UpdateUserAclEntryEx(device, {'Handle': str(handle), 'DigestUsername': 'u0',
                                                    'AccessPermission': '2', 'Realms': {'RealmValue': '5'}},
                                           CTX)['ReturnValue'] == 0
    assert device.state['users'][0]['ha1'] == before and device.state['users'][0]['realms'] == [5]


def test_network_input_table():
    base = dict((k, None) for k in network.OPTIONS)
    network.check_params(dict(base, dhcp=True, host_dhcp=True))
    network.check_params(dict(base, dhcp=False, ip_address='10.0.0.9', subnet_mask='255.255.255.0', host_dhcp=False))
    network.check_params(dict(base, dhcp=False, ip_sync=True))
    for bad, fragment in ((dict(base, dhcp=True, gateway='10.0.0.1'), 'cannot be combined'),
                          (dict(base, dhcp=False, ip_sync=True, ip_address='10.0.0.9'), 'ip_sync=true'),
                          (dict(base, ip_address='10.0.0.9', subnet_mask='255.255.255.0'), 'need dhcp=false'),
                          (dict(base, dhcp=False, ip_address='10.0.0.9', subnet_mask='255.255.255.0',
                                host_dhcp=True), 'host DHCP \\+ AMT static'),
                          (dict(base, hostname='-bad'), 'one DNS label'), (dict(base, domain='a..b'), 'domain'),
                          (dict(base, dhcp=False, ip_address='10.0.0.300', subnet_mask='255.0.0.0'), 'IPv4')):
        with pytest.raises(network.NetworkError, match=fragment):
            network.check_params(bad)


class _ClockClient:
    exchanges = 0

    def __init__(self, device):
        self.device = device
        self.svc = sim_clock.TimeSynchronizationService()

    def invoke(self, cls, method, params, check_return=False):
        self.exchanges += 1
        return getattr(self.svc, 'method_' + method)(self.device, dict(params), CTX)


def test_clock_drift_and_set_through_the_simulator_service(tmp_path):
    device = _device(tmp_path=tmp_path)
    device.state['clock_offset'] = -125.0
    client = _ClockClient(device)
    result = amt_time.run_time(client, {'state': 'read', 'max_drift': 2}, diff=True)
    assert not result['changed'] and -126 < result['drift_seconds'] < -124
    result = amt_time.run_time(client, {'state': 'synced', 'max_drift': 2}, check_mode=True)
    assert result['changed'] and device.state['clock_offset'] == -125.0
    result = amt_time.run_time(client, {'state': 'synced', 'max_drift': 2})
    assert result['changed'] and abs(result['drift_after_seconds']) < 1.5 and abs(device.state['clock_offset']) < 1.5
    assert not amt_time.run_time(client, {'state': 'synced', 'max_drift': 2})['changed']
    # firmware refuses a Ta0 it did not hand out, and changes before activation
    assert client.svc.method_SetHighAccuracyTimeSynch(device, {'Ta0': '5', 'Tm1': str(int(time.time())),
                                                               'Tm2': str(int(time.time()))}, CTX)['ReturnValue'] == 36
    device.state['provisioning_state'] = 0
    ta0 = client.svc.method_GetLowAccuracyTimeSynch(device, {}, CTX)['Ta0']
    assert client.svc.method_SetHighAccuracyTimeSynch(device, {'Ta0': str(ta0), 'Tm1': '1', 'Tm2': '1'},
                                                      CTX)['ReturnValue'] == 32

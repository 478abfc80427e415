"""amt/provisioning.py _activate_secure_hbc (CSME 19 ACM) with fake MEI and WS-Man sides: the order of the calls
rpc-go makes (internal/commands/activate/local.go activateACMWithTLS), StopConfiguration after any failure past the
start and never before, the lost CommitChanges answer decided by the device state (rpc-go commitActivation)."""
import base64
import datetime
import hashlib

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.oob.amt.plugins.module_utils.amt import provisioning
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanConnectionError, WsmanReturnValueError

REALM = 'Digest:0123456789ABCDEF0123456789ABCDEF'
PASSWORD = 'N3w-Admin!pw'


def leaf(hash_algorithm=None):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'prov.corp.example.com')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hash_algorithm or hashes.SHA256()))
    return cert, key


class FakeClient(object):
    def __init__(self, fail=None):
        self.calls = []
        self.fail = fail or {}
        self.closed = False

    def get(self, cls):
        self.calls.append(cls)
        return {'DigestRealm': REALM}

    def invoke(self, cls, method, params=None):
        self.calls.append((method, params))
        if method in self.fail:
            raise self.fail[method]
        return {'ReturnValue': 0}

    def close(self):
        self.closed = True


class FakeSecure(object):
    tls_enforced_local = True

    def __init__(self, status=0, client=None):
        self.status = status
        self.started = []
        self.stopped = 0
        self.client_ = client or FakeClient()

    def start(self, algorithm, digest):
        self.started.append((algorithm, digest))
        return {'status': self.status, 'hash_algorithm': 'SHA256', 'device_cert_hash': b'\x01' * 32}

    def client(self, password, chain, key, answer):
        assert password == PASSWORD and answer['device_cert_hash'] == b'\x01' * 32
        return self.client_

    def stop(self):
        self.stopped += 1
        return 0

    @staticmethod
    def status_name(status):
        return str(status)


@pytest.fixture(autouse=True)
def no_preflight(monkeypatch):
    monkeypatch.setattr(provisioning, 'ACM', provisioning.ACM._replace(check=lambda *args: None))


def run(secure, cert_key=None, admin_state=None):
    cert, key = cert_key or leaf()
    result = {'changed': False, 'actions': []}
    params = {'admin_password': PASSWORD}
    factory = (lambda password: admin_state()) if admin_state else None
    if admin_state:
        params['current_password'] = None
    provisioning._activate_secure_hbc(params, {'realm': REALM}, {'chain': [cert], 'key': key}, None, secure, False,
                                      result, factory)
    return result, cert


def test_order_and_bytes_of_a_successful_activation():
    secure = FakeSecure()
    result, cert = run(secure)
    der = cert.public_bytes(provisioning.serialization.Encoding.DER)
    assert secure.started == [(2, hashlib.sha256(der).digest())] and secure.stopped == 0
    digest = base64.b64encode(hashlib.md5(('admin:%s:%s' % (REALM, PASSWORD)).encode()).digest()).decode()
    assert secure.client_.calls == ['AMT_GeneralSettings',
                                    ('SetAdminAclEntryEx', [('Username', 'admin'), ('DigestPassword', digest)]),
                                    ('CommitChanges', [])]
    assert secure.client_.closed and result['changed'] and result['actions'] == [provisioning.HBC_ACTION]


def test_sha384_leaf_and_unsupported_signature_hash():
    secure = FakeSecure()
    cert, key = leaf(hashes.SHA384())
    run(secure, (cert, key))
    assert secure.started[0] == (3, hashlib.sha384(cert.public_bytes(provisioning.serialization.Encoding.DER)).digest())
    secure = FakeSecure()
    with pytest.raises(provisioning.ProvisionError) as err:
        run(secure, leaf(hashes.SHA512()))
    assert 'SHA-256 or SHA-384' in err.value.msg and secure.started == [] and secure.stopped == 0


def test_refused_start_changes_nothing_and_sends_no_stop():
    secure = FakeSecure(status=16)
    with pytest.raises(provisioning.ProvisionError) as err:
        run(secure)
    assert 'StartConfigurationHBased' in err.value.msg and err.value.details['refusal'] == 'hbc_start_refused'
    assert secure.stopped == 0 and secure.client_.calls == []


@pytest.mark.parametrize('method,value', [('SetAdminAclEntryEx', 36), ('CommitChanges', 1),
                                          ('SetMEBxPassword', 2054)])
def test_failure_after_the_start_sends_stop(method, value):
    error = WsmanReturnValueError('%s returned %d' % (method, value), method=method, return_value=value)
    fail = {method: error}
    if method == 'SetMEBxPassword':
        fail['CommitChanges'] = WsmanReturnValueError('2057', method='CommitChanges', return_value=2057)
    secure = FakeSecure(client=FakeClient(fail=fail))
    with pytest.raises(provisioning.ProvisionError) as err:
        run(secure)
    assert secure.stopped == 1 and method in err.value.details['step']
    assert 'StopConfiguration was sent' in err.value.msg and 'back in pre-provisioning' in err.value.msg
    if method == 'SetMEBxPassword':
        assert 'MEBx password rules' in err.value.msg


def test_data_missing_sets_the_mebx_password_and_commits_again():
    class Once(FakeClient):
        def invoke(self, cls, method, params=None):
            if method == 'CommitChanges' and not any(c[0] == 'SetMEBxPassword' for c in self.calls if c != cls
                                                     and isinstance(c, tuple)):
                self.calls.append((method, params))
                raise WsmanReturnValueError('2057', method=method, return_value=2057)
            return FakeClient.invoke(self, cls, method, params)
    secure = FakeSecure(client=Once())
    result, _cert = run(secure)
    assert [c[0] for c in secure.client_.calls[1:]] == ['SetAdminAclEntryEx', 'CommitChanges', 'SetMEBxPassword',
                                                        'CommitChanges']
    assert secure.client_.calls[3] == ('SetMEBxPassword', [('Password', PASSWORD)])
    assert result['actions'] == [provisioning.HBC_ACTION, provisioning.HBC_MEBX_ACTION] and secure.stopped == 0
    assert 'MEBx' in result['warnings'][0]


def test_lost_commit_answer_decided_by_the_device_state():
    class Admin(FakeClient):
        def get(self, cls):
            return {'AMT_SetupAndConfigurationService': {'ProvisioningState': 2},
                    'IPS_HostBasedSetupService': {'CurrentControlMode': 2},
                    'AMT_GeneralSettings': {'DigestRealm': REALM}}[cls]
    lost = WsmanConnectionError('connection reset')
    secure = FakeSecure(client=FakeClient(fail={'CommitChanges': lost}))
    result, _cert = run(secure, admin_state=Admin)
    assert secure.stopped == 0 and 'went through' in result['warnings'][0]
    # still pre-provisioning: a real failure, stopped
    secure = FakeSecure(client=FakeClient(fail={'CommitChanges': lost}))

    class Pre(Admin):
        def get(self, cls):
            answer = Admin.get(self, cls)
            return {'ProvisioningState': 0} if cls == 'AMT_SetupAndConfigurationService' else answer
    with pytest.raises(provisioning.ProvisionError):
        run(secure, admin_state=Pre)
    assert secure.stopped == 1

"""amt_hash tls_host (issue 13): a root read over TLS is added to a device only from an authenticated server (pinned
fingerprint or verified against a given CA), and the module says which certificate it took."""
import hashlib
import ssl

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt import hashes
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.formats import certs


def _params(addr, **kw):
    params = dict(host=None, state=None, certificate=None, hash=None, algorithm=None, name=None, tls_host=addr,
                  tls_port=16993, tls_fingerprint=None, tls_ca_path=None, timeout=10)
    params.update(kw)
    return params


def _leaf_sha256(addr):
    der = ssl.get_server_certificate((addr, 16993))
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(der)).hexdigest()


@pytest.mark.parametrize('state', ['present', 'enabled'])
def test_unauthenticated_tls_host_is_never_added(simulator, state):
    with pytest.raises(AmtError) as err:
        hashes.prepare(_params(simulator.addresses[0], host=simulator.addresses[0], state=state))
    assert 'never added' in err.value.msg and 'tls_fingerprint' in err.value.msg and 'tls_ca_path' in err.value.msg


def test_report_only_warns_that_nothing_was_verified(simulator):
    out = hashes.prepare(_params(simulator.addresses[0]))
    report = out['_report']
    assert report['tls_verified'] is False
    assert 'NOT verified' in report['warnings'][0] and report['root_hash']['sha256']['hex'] in report['warnings'][0]


def test_pinned_server_gives_its_root_and_a_wrong_pin_fails(simulator):
    addr = simulator.addresses[0]
    pin = _leaf_sha256(addr)
    out = hashes.prepare(_params(addr, host=addr, state='present', tls_fingerprint=':'.join(
        pin[i:i + 2] for i in range(0, 64, 2))))
    assert out['_report']['tls_verified'] is True and 'pinned by tls_fingerprint' in out['_report']['warnings'][0]
    with pytest.raises(AmtError) as err:
        hashes.prepare(_params(addr, host=addr, state='present', tls_fingerprint='00' * 32))
    assert 'does not match tls_fingerprint' in err.value.msg


def test_ca_verified_server_gives_the_ca_root_and_another_ca_fails(simulator, tmp_path):
    addr = simulator.addresses[0]
    out = hashes.prepare(_params(addr, host=addr, state='present', tls_ca_path=simulator.ca_path))
    ca_root = certs.root_of(certs.load_certificate_file(simulator.ca_path))
    assert out['hash'] == certs.certificate_hashes(ca_root)['sha256']['hex']
    assert 'verified against tls_ca_path' in out['_report']['warnings'][0]
    key = certs.generate_key('ecdsa', 256)
    other = certs.make_ca(key, {'ca_common_name': 'Other Root', 'common_name': 'Other Root'}, 30)
    path = tmp_path / 'other.pem'
    path.write_bytes(certs.pem(other))
    with pytest.raises(AmtError) as err:
        hashes.prepare(_params(addr, host=addr, state='present', tls_ca_path=str(path)))
    assert 'not verified by tls_ca_path' in err.value.msg


def test_tls_pins_need_tls_host():
    with pytest.raises(AmtError, match='give tls_host'):
        hashes.prepare(_params(None, hash='ab' * 32, tls_fingerprint='00' * 32))

"""The client certificate of the CSME 19 secure host-based configuration: ssl loads it only from a file, and that
file must never hold the provisioning key in the clear."""
import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.oob.amt.plugins.module_utils import local_access


def _self_signed():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'prov.example.com')])
    now = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return cert, key


def test_key_file_is_encrypted_and_removed(monkeypatch):
    cert, key = _self_signed()
    seen = {}
    real_rmtree = local_access.shutil.rmtree

    def capture(directory, ignore_errors=False):
        with open(directory + '/client.pem', 'rb') as fh:
            seen['pem'] = fh.read()
        seen['dir'] = directory
        real_rmtree(directory, ignore_errors=ignore_errors)
    monkeypatch.setattr(local_access.shutil, 'rmtree', capture)
    ctx = local_access.client_certificate_context([cert], key)
    assert ctx is not None
    assert b'BEGIN ENCRYPTED PRIVATE KEY' in seen['pem'] and b'BEGIN PRIVATE KEY' not in seen['pem']
    assert b'BEGIN CERTIFICATE' in seen['pem']
    assert not os.path.exists(seen['dir'])

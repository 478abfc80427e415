"""legacy_tls_ciphers: the RSA key exchange suites go-wsman-messages adds with AllowInsecureCipherSuites
(pkg/wsman/client/wsman.go), against a TLS 1.2 server that offers nothing else (firmware before AMT 16)."""
import datetime
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.oob.amt.plugins.module_utils import device
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError, WsmanTLSError


@pytest.fixture(scope='module')
def legacy_server(tmp_path_factory):
    d = tmp_path_factory.mktemp('legacy')
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'AMT 11')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    (d / 'c.pem').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / 'k.pem').write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers('AES128-SHA:AES256-SHA')            # RSA key exchange only, as old firmware
    ctx.load_cert_chain(str(d / 'c.pem'), str(d / 'k.pem'))
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(8)
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except socket.timeout:
                continue
            try:
                tls = ctx.wrap_socket(conn, server_side=True)
                tls.recv(65536)
                tls.sendall(b'HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
                tls.close()
            except (ssl.SSLError, OSError):
                conn.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    yield listener.getsockname()[1], fingerprint
    stop.set()
    t.join(2)
    listener.close()


def params(port, fingerprint, **kw):
    p = dict((k, v.get('default')) for k, v in device.CONNECTION_ARGSPEC.items())
    p.update(host='127.0.0.1', port=port, password='x', cert_fingerprint=fingerprint, timeout=5)
    p.update(kw)
    return p


def test_without_the_option_the_handshake_fails(legacy_server):
    port, fp = legacy_server
    client = device.client_from_params(params(port, fp))
    with pytest.raises(WsmanTLSError):
        client.get('AMT_GeneralSettings')


def test_with_the_option_the_handshake_succeeds_and_warns(legacy_server):
    port, fp = legacy_server
    p = params(port, fp, legacy_tls_ciphers=True)
    client = device.client_from_params(p)
    with pytest.raises(WsmanError) as err:
        client.get('AMT_GeneralSettings')          # past TLS: the server's HTTP 503 is what fails
    assert not isinstance(err.value, WsmanTLSError)
    assert client.tls_version == 'TLSv1.2'
    assert device.legacy_tls_warnings(p) and 'no forward secrecy' in device.legacy_tls_warnings(p)[0]
    assert device.legacy_tls_warnings(params(port, fp)) == []


def test_cipher_list_is_go_wsman_messages_three_plus_defaults():
    ciphers = device.effective_ciphers({'legacy_tls_ciphers': True})
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers(ciphers)
    names = [c['name'] for c in ctx.get_ciphers()]
    for legacy in ('AES128-GCM-SHA256', 'AES128-SHA', 'AES256-SHA'):     # TLS_RSA_WITH_AES_128_GCM_SHA256 ...
        assert legacy in names
    assert names.index('ECDHE-RSA-AES128-GCM-SHA256') < names.index('AES128-SHA')   # forward secrecy preferred
    assert device.effective_ciphers({'ciphers': 'HIGH'}) == 'HIGH'
    assert device.effective_ciphers({'ciphers': 'HIGH', 'legacy_tls_ciphers': True}).startswith('HIGH:AES128')

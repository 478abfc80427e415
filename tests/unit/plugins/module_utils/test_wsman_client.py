"""The client against the simulator (every fault class) and against a deliberately hostile server."""
import hashlib
import socket
import threading
import time

import pytest

from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanAuthError, WsmanConnectionError, WsmanHTTPError, WsmanMalformedResponse, WsmanTimeoutError, WsmanTLSError)


@pytest.fixture(scope='module')
def sim():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2) as s:
        yield s


def client(sim, addr=None, **kw):
    opts = dict(sim.connection(addr or sim.addresses[0]))
    opts.update(kw)
    return WsmanClient(**opts)


@pytest.fixture(autouse=True)
def clear_faults(sim):
    yield
    for addr in sim.addresses:
        sim.faults(addr)


def test_one_challenge_then_one_exchange_per_request_on_one_connection(sim):
    c = client(sim)
    c.get('AMT_GeneralSettings')
    assert c.exchanges == 2
    c.get('AMT_SetupAndConfigurationService')
    c.enumerate('CIM_ServiceAvailableToElement')
    assert c.exchanges == 4
    assert c.transport.connections == 2  # the 401 closes the first connection; then keep-alive
    assert c.transport.tls_resumed >= 1   # the reconnect after the 401 resumes the TLS session
    assert c.realm == sim.state(sim.addresses[0])['realm']
    assert c.amt_version == sim.state(sim.addresses[0])['amt_version']


def test_plain_http(sim):
    # AMT 15: plain HTTP still answers from the network (16.1 and later refuse it once provisioned)
    with client(sim, sim.addresses[1], use_tls=False) as c:     # closed: later tests cap this device's connections
        assert c.port == 16992
        assert c.get('AMT_GeneralSettings')['InstanceID'] == 'Intel(r) AMT: General Settings'


def test_wrong_password(sim):
    with pytest.raises(WsmanAuthError) as exc:
        client(sim, password='Wrong-pw1!').get('AMT_GeneralSettings')
    assert sim.addresses[0] in str(exc.value) and 'Wrong-pw1!' not in str(exc.value)


def test_locked_account(sim):
    sim.faults(sim.addresses[0], lockout=True)
    with pytest.raises(WsmanAuthError, match='locks the account'):
        client(sim).get('AMT_GeneralSettings')


def test_no_password(sim):
    with pytest.raises(WsmanAuthError, match='AMT_PASSWORD'):
        client(sim, password=None).get('AMT_GeneralSettings')


def test_latency_beyond_timeout(sim):
    sim.faults(sim.addresses[0], latency=3)
    start = time.monotonic()
    with pytest.raises(WsmanTimeoutError):
        client(sim, timeout=0.5).get('AMT_GeneralSettings')
    assert time.monotonic() - start < 2.5


def test_latency_within_timeout(sim):
    sim.faults(sim.addresses[0], latency=0.2)
    assert client(sim, timeout=5).get('AMT_GeneralSettings')


def test_never_answering(sim):
    sim.faults(sim.addresses[0], never_answer=True)
    with pytest.raises(WsmanTimeoutError) as exc:
        client(sim, timeout=0.5).get('AMT_GeneralSettings')
    assert 'timeout' in str(exc.value)


def test_slow_tls_handshake(sim):
    sim.faults(sim.addresses[0], tls_delay=3)
    with pytest.raises(WsmanTimeoutError):
        client(sim, timeout=0.5).get('AMT_GeneralSettings')


def test_dropped_mid_response_read_retried(sim):
    sim.faults(sim.addresses[0], drop=True, count=1)
    c = client(sim)
    assert c.get('AMT_GeneralSettings')


def test_dropped_mid_response_every_time(sim):
    sim.faults(sim.addresses[0], drop=True)
    with pytest.raises(WsmanConnectionError, match='attempts'):
        client(sim, retries=1).get('AMT_GeneralSettings')


def test_http_500_read_retried_write_not(sim):
    addr = sim.addresses[0]
    c = client(sim)
    c.get('AMT_GeneralSettings')
    sim.faults(addr, http_500=True, count=1)
    assert c.get('AMT_GeneralSettings')          # retried after the 500
    sim.faults(addr, http_500=True, count=1)
    sim.clear_log()
    with pytest.raises((WsmanHTTPError, WsmanConnectionError)):
        c.invoke('AMT_SetupAndConfigurationService', 'CommitChanges')
    assert len(sim.log_entries(addr)) == 1       # the write was sent once


def test_400_without_body(sim):
    c = client(sim)
    c.get('AMT_GeneralSettings')
    sim.faults(sim.addresses[0], http_400_empty=True)
    with pytest.raises(WsmanHTTPError, match='400'):
        c.get('AMT_GeneralSettings')


@pytest.mark.parametrize('fault', ['garbage', 'truncated'])
def test_garbage_and_truncated(sim, fault):
    c = client(sim)
    c.get('AMT_GeneralSettings')
    sim.faults(sim.addresses[0], **{fault: True})
    with pytest.raises(WsmanMalformedResponse):
        c.get('AMT_GeneralSettings')


def test_rebooting_device_refuses(sim):
    sim.faults(sim.addresses[0], rebooting=30)
    with pytest.raises(WsmanConnectionError):
        client(sim, retries=1).get('AMT_GeneralSettings')


def test_connection_cap_with_backoff(sim):
    addr = sim.addresses[1]
    sim.faults(addr, max_connections=1)
    holders = [client(sim, addr)]
    holders[0].get('AMT_GeneralSettings')          # keeps its connection open
    with pytest.raises(WsmanConnectionError):
        client(sim, addr, retries=1).get('AMT_GeneralSettings')
    holders[0].close()
    assert client(sim, addr).get('AMT_GeneralSettings')


def test_tls_without_ca_fails_clearly(sim):
    with pytest.raises(WsmanTLSError) as exc:
        client(sim, ca_path=None).get('AMT_GeneralSettings')
    assert 'validate_certs' in str(exc.value) and 'ca_path' in str(exc.value)


def test_fingerprint_pinning(sim):
    c = client(sim)
    c.get('AMT_GeneralSettings')
    right = c.peer_cert_sha256
    assert client(sim, ca_path=None, cert_fingerprint=right).get('AMT_GeneralSettings')
    with pytest.raises(WsmanTLSError, match='fingerprint'):
        client(sim, ca_path=None, cert_fingerprint='00' * 32).get('AMT_GeneralSettings')


def test_unknown_class_fault(sim):
    from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault
    with pytest.raises(WsmanFault) as exc:
        client(sim).get('AMT_DoesNotExist')
    assert exc.value.subcode == 'DestinationUnreachable' and exc.value.status == 400


def test_return_value_error_has_meaning(sim):
    from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanReturnValueError
    c = client(sim)
    with pytest.raises(WsmanReturnValueError) as exc:
        c.invoke('AMT_RedirectionService', 'RequestStateChange', [('RequestedState', 7)])
    assert exc.value.return_value == 5


def test_refused_port():
    with pytest.raises(WsmanConnectionError, match='refused'):
        WsmanClient('127.0.0.1', port=1, use_tls=False, password='x', timeout=2, retries=0).get('AMT_GeneralSettings')


# --- a hostile server ------------------------------------------------------------------------

class Hostile:
    """One-thread HTTP server whose answers a test scripts (list of raw byte responses or callables)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while self.answers:
            conn, _unused = self.sock.accept()
            with conn:
                while self.answers:
                    data = b''
                    while b'\r\n\r\n' not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if not data:
                        break
                    head, _unused, body = data.partition(b'\r\n\r\n')
                    length = int([h.split(b':')[1] for h in head.split(b'\r\n') if h.lower().startswith(b'content-length')][0])
                    while len(body) < length:
                        body += conn.recv(65536)
                    self.requests.append(head)
                    answer = self.answers.pop(0)
                    try:
                        if callable(answer):
                            answer(conn)
                        else:
                            conn.sendall(answer)
                    except OSError:
                        break
                    if b'Connection: close' in (answer if isinstance(answer, bytes) else b'Connection: close'):
                        break

    def client(self, **kw):
        opts = dict(port=self.port, use_tls=False, password='P@ssw0rd', timeout=2, retries=0)
        opts.update(kw)
        return WsmanClient('127.0.0.1', **opts)


def http(status, body, extra=b'', ctype=b'application/soap+xml; charset=UTF-8'):
    return (b'HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n' % (status, ctype, len(body), extra)) + body


def challenge(stale=b'false'):
    return http(401, b'no', b'WWW-Authenticate: Digest realm="Digest:00112233445566778899AABBCCDDEEFF", '
                b'nonce="N' + stale + b'",stale="' + stale + b'",qop="auth"\r\nConnection: close\r\n', b'text/html')


GS = (b'<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:g="http://intel.com/wbem/wscim/1/amt-schema/1/'
      b'AMT_GeneralSettings"><a:Header/><a:Body><g:AMT_GeneralSettings><g:HostName>x</g:HostName></g:AMT_GeneralSettings>'
      b'</a:Body></a:Envelope>')


def test_stale_nonce_rehashed_once():
    srv = Hostile([challenge(), http(200, GS), challenge(b'true'), http(200, GS)])
    c = srv.client()
    assert c.get('AMT_GeneralSettings')['HostName'] == 'x'
    assert c.get('AMT_GeneralSettings')['HostName'] == 'x'
    assert b'nonce="Ntrue"' in srv.requests[-1]


def test_billion_laughs_response():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope"><a:Body>&b;</a:Body></a:Envelope>')
    srv = Hostile([challenge(), http(200, bomb)])
    with pytest.raises(WsmanMalformedResponse, match='DTD'):
        srv.client().get('AMT_GeneralSettings')


def test_invalid_utf8_response():
    srv = Hostile([challenge(), http(200, GS.replace(b'>x<', b'>\xc3\x28<'))])
    with pytest.raises(WsmanMalformedResponse):
        srv.client().get('AMT_GeneralSettings')


def test_oversized_response_capped():
    big = GS.replace(b'>x<', b'>' + b'x' * 300000 + b'<')
    srv = Hostile([challenge(), http(200, big)])
    with pytest.raises(WsmanMalformedResponse, match='larger than'):
        srv.client(max_response_bytes=100000).get('AMT_GeneralSettings')


def test_never_ending_response_bounded_by_timeout():
    def trickle(conn):
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\n\r\n')
        for _unused in range(100):
            conn.sendall(b'1\r\nx\r\n')
            time.sleep(0.1)
    srv = Hostile([challenge(), trickle])
    start = time.monotonic()
    with pytest.raises(WsmanTimeoutError):
        srv.client(timeout=1).get('AMT_GeneralSettings')
    assert time.monotonic() - start < 3


def test_redirect_not_followed():
    srv = Hostile([challenge(), http(302, b'', b'Location: http://evil.example/\r\n', b'text/html')])
    with pytest.raises(WsmanHTTPError, match='redirect'):
        srv.client().get('AMT_GeneralSettings')


def test_digest_header_sent_is_valid():
    srv = Hostile([challenge(), http(200, GS)])
    srv.client().get('AMT_GeneralSettings')
    header = [h for h in srv.requests[-1].split(b'\r\n') if h.lower().startswith(b'authorization')][0].decode()
    fields = dict(p.strip().split('=', 1) for p in header.split(' ', 2)[2].split(', '))
    fields = dict((k, v.strip('"')) for k, v in fields.items())
    ha1 = hashlib.md5(b'admin:Digest:00112233445566778899AABBCCDDEEFF:P@ssw0rd').hexdigest()
    ha2 = hashlib.md5(b'POST:/wsman').hexdigest()
    expect = hashlib.md5(('%s:Nfalse:%s:%s:auth:%s' % (ha1, fields['nc'], fields['cnonce'], ha2)).encode()).hexdigest()
    assert fields['response'] == expect and fields['realm'] == 'Digest:00112233445566778899AABBCCDDEEFF'


def test_wrong_ca_fails_clearly(sim, tmp_path):
    from ansible_collections.oob.amt.plugins.module_utils.zone_ca import run_mgmtcert
    params = dict(state='present', ca='internal', path=str(tmp_path), common_name='other.example.com', dns_names=[],
                  country=None, state_or_province=None, locality=None, organization=None, organizational_unit=[],
                  is_ca=False, key_type='rsa', key_size=2048, valid_days=5, ca_common_name='Some other CA',
                  ca_key_size=2048, ca_valid_days=10, renew_before_days=1, force=False, force_ca=False,
                  seed_compatibility=False, certificate=None, ca_chain=None, remove_ca=False)
    other_ca = run_mgmtcert(params)['files']['ca_certificate']
    with pytest.raises(WsmanTLSError) as exc:
        client(sim, ca_path=other_ca).get('AMT_GeneralSettings')
    assert 'ca_path' in str(exc.value) and sim.addresses[0] in str(exc.value)


def test_minimum_tls_version_is_applied_and_reported(sim):
    c = client(sim, min_tls_version='1.2')
    c.get('AMT_GeneralSettings')
    assert c.tls_version in ('TLSv1.2', 'TLSv1.3')
    c13 = client(sim, min_tls_version='1.3')
    c13.get('AMT_GeneralSettings')
    assert c13.tls_version == 'TLSv1.3'


def test_plaintext_warning(sim):
    from ansible_collections.oob.amt.plugins.module_utils.device import warn_plaintext
    warnings = []

    class Module(object):
        def warn(self, msg):
            warnings.append(msg)
    warn_plaintext(Module(), {'use_tls': False, 'port': None})
    warn_plaintext(Module(), {'use_tls': True})
    assert len(warnings) == 1 and 'plain text' in warnings[0] and '16992' in warnings[0]


def test_kept_nonce_refused_with_stale_false_is_rechallenged_once():
    # firmware that forgot the nonce answers stale="false": one fresh challenge before calling it a wrong password
    srv = Hostile([challenge(), http(200, GS), challenge(), http(200, GS)])
    c = srv.client()
    assert c.get('AMT_GeneralSettings')['HostName'] == 'x'
    assert c.get('AMT_GeneralSettings')['HostName'] == 'x'
    assert c._auth.rechallenges == 1 and c.exchanges == 4


def test_fresh_nonce_refused_is_an_authentication_failure():
    srv = Hostile([challenge(), challenge(), http(200, GS)])
    with pytest.raises(WsmanAuthError, match='authentication failed'):
        srv.client().get('AMT_GeneralSettings')
    assert len(srv.requests) == 2

"""ASF/RMCP presence ping encoder, pong parser (byte-exact and fuzzed) and the UDP ping loop."""
import socket
import struct
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.oob.amt.plugins.module_utils.host import rmcp


# The device side of the exchange, for these tests only (the simulator has its own, written independently).
def build_pong(tag, iana=rmcp.ASF_IANA, oem=b'\x00' * 4, entities=0x01, interactions=0x00, reserved=b'\x00' * 6):
    """A Presence Pong."""
    if len(oem) != 4 or len(reserved) != 6:
        raise rmcp.RmcpError('oem is 4 bytes and reserved 6')
    return rmcp._HEADER.pack(rmcp.RMCP_VERSION, 0, rmcp.RMCP_SEQ_NO_ACK, rmcp.RMCP_CLASS_ASF, rmcp.ASF_IANA,
                             rmcp.ASF_PRESENCE_PONG, int(tag) & 0xFF, 0, rmcp.PONG_DATA_LENGTH) + \
        rmcp._PONG_DATA.pack(iana & 0xFFFFFFFF, bytes(oem), entities, interactions, bytes(reserved))


def parse_ping(data):
    """Message tag of a well-formed Presence Ping, or None."""
    if not isinstance(data, (bytes, bytearray)) or len(data) != rmcp.PING_LENGTH:
        return None
    version, _res, _seq, klass, iana, mtype, tag, _res2, length = rmcp._HEADER.unpack(bytes(data))
    if version != rmcp.RMCP_VERSION or klass != rmcp.RMCP_CLASS_ASF or iana != rmcp.ASF_IANA \
            or mtype != rmcp.ASF_PRESENCE_PING or length:
        return None
    return tag


# Presence Ping, tag 0x2A: RMCP 06 00 FF 06 | ASF 000011BE 80 2A 00 00
PING_2A = bytes.fromhex('0600ff06000011be802a0000')

# A pong as Intel AMT 11.8 in post-provisioning with TLS sends it (Intel SDK layout): IANA 343,
# OEM = port 16993, version byte 0xB8, state 2; entities ASF 1.0; interactions DASH.
AMT_PONG = bytes.fromhex('0600ff06000011be402a0010' + '00000157' + '4261b802' + '01' + '20' + '000000000000')


def test_ping_is_byte_exact():
    assert rmcp.build_ping(0x2A) == PING_2A
    assert len(rmcp.build_ping(0)) == 12
    assert rmcp.build_ping(0xFE)[9] == 0xFE
    for bad in (-1, 0xFF, 256):
        with pytest.raises(rmcp.RmcpError):
            rmcp.build_ping(bad)


def test_parse_ping_roundtrip_and_refusals():
    assert parse_ping(rmcp.build_ping(7)) == 7
    assert parse_ping(PING_2A[:-1]) is None
    assert parse_ping(PING_2A + b'\x00') is None
    assert parse_ping(PING_2A[:8] + b'\x40' + PING_2A[9:]) is None
    assert parse_ping(AMT_PONG) is None


def test_amt_pong_parsed():
    pong = rmcp.parse_pong(AMT_PONG, expect_tag=0x2A)
    assert pong == {
        'tag': 0x2A, 'iana': 343, 'oem': '4261b802', 'ipmi': False, 'asf_version': '1.0',
        'supported_entities': 1, 'supported_interactions': 0x20, 'security_extensions': False, 'dash': True,
        'amt_port': 16993, 'amt_port_raw': 16993, 'amt_version': '11.8', 'amt_provisioning_state': 'post'}


def test_amt_16_version_in_reserved_bytes_and_unprovisioned_port_zero():
    pong = rmcp.parse_pong(build_pong(1, iana=343, oem=b'\x00\x00\x00\x00', interactions=0x20,
                                      reserved=b'\x10\x01\x00\x00\x00\x00'))
    assert pong['amt_version'] == '16.1' and pong['amt_port'] == 0 and pong['amt_provisioning_state'] == 'pre'


def test_little_endian_port_accepted_only_when_it_is_an_amt_port():
    le = rmcp.parse_pong(build_pong(1, iana=343, oem=struct.pack('<H', 16992) + b'\x60\x01'))
    assert le['amt_port'] == 16992 and le['amt_version'] == '6.0' and le['amt_provisioning_state'] == 'in'
    odd = rmcp.parse_pong(build_pong(1, iana=343, oem=b'\x12\x34\x00\x07'))
    assert odd['amt_port'] is None and odd['amt_port_raw'] == 0x1234 and odd['amt_provisioning_state'] is None


def test_generic_asf_pong_has_no_intel_fields():
    pong = rmcp.parse_pong(build_pong(9, entities=0x81, interactions=0x80))
    assert pong['iana'] == 4542 and pong['ipmi'] and pong['asf_version'] == '1.0' and pong['security_extensions']
    assert not any(k.startswith('amt_') for k in pong)


@pytest.mark.parametrize('mutate', [
    lambda b: b[:-1],                                  # short
    lambda b: b + b'\x00',                             # long
    lambda b: b'\x07' + b[1:],                         # RMCP version
    lambda b: b[:3] + b'\x86' + b[4:],                 # RMCP ACK, not a message
    lambda b: b[:3] + b'\x07' + b[4:],                 # IPMI class
    lambda b: b[:4] + b'\x00\x00\x01\x57' + b[8:],     # ASF header IANA must be 4542
    lambda b: b[:8] + b'\x80' + b[9:],                 # a ping, not a pong
    lambda b: b[:11] + b'\x0f' + b[12:],               # data length
    lambda b: b[:9] + b'\x2b' + b[10:],                # other tag
])
def test_malformed_pongs_refused(mutate):
    assert rmcp.parse_pong(mutate(AMT_PONG), expect_tag=0x2A) is None


def test_non_bytes_refused():
    for value in (None, 'x' * 28, 28, [0] * 28):
        assert rmcp.parse_pong(value) is None
        assert parse_ping(value) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_fuzz_garbage_never_raises(data):
    pong = rmcp.parse_pong(data)
    assert pong is None or (len(data) == 28 and data[8] == 0x40)
    parse_ping(data)


@settings(max_examples=300, deadline=None)
@given(tag=st.integers(0, 255), iana=st.integers(0, 2 ** 32 - 1), oem=st.binary(min_size=4, max_size=4),
       entities=st.integers(0, 255), interactions=st.integers(0, 255), reserved=st.binary(min_size=6, max_size=6),
       header=st.binary(min_size=12, max_size=12), use_header=st.booleans())
def test_fuzz_structured_pongs(tag, iana, oem, entities, interactions, reserved, header, use_header):
    data = build_pong(tag, iana, oem, entities, interactions, reserved)
    if use_header:
        data = header + data[12:]
    pong = rmcp.parse_pong(data)
    if not use_header:
        assert pong['tag'] == tag and pong['iana'] == iana and pong['oem'] == oem.hex()
        assert pong['ipmi'] == bool(entities & 0x80) and pong['dash'] == bool(interactions & 0x20)
        assert (pong['asf_version'] == '1.0') == (entities & 0x0F == 1)
        assert ('amt_version' in pong) == (iana == 343)
        if 'amt_version' in pong:
            assert pong['amt_port'] in (None, 0, 16992, 16993)
            assert pong['amt_version'] is None or pong['amt_version'].count('.') == 1
    elif pong is not None:
        assert header[0] == 6 and header[3] == 6 and header[4:9] == b'\x00\x00\x11\xbe\x40' and header[11] == 0x10


class Responder:
    """UDP pong server on one loopback address: answers pings well, with a wrong tag, or with garbage."""

    def __init__(self, addr, port, behaviour='ok'):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, port))
        self.behaviour = behaviour
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(512)
            except OSError:
                return
            tag = parse_ping(data)
            if tag is None:
                continue
            if self.behaviour == 'ok':
                self.sock.sendto(build_pong(tag, iana=343, oem=b'\x42\x60\x60\x02', interactions=0x20), peer)
            elif self.behaviour == 'wrong_tag':
                self.sock.sendto(build_pong((tag + 1) % 255), peer)
            elif self.behaviour == 'garbage':
                self.sock.sendto(b'\x06\x00\xff\x06garbage', peer)

    def close(self):
        self.sock.close()


def _free_loopback_port(addrs):
    """One UDP port free on every address (responders all use the same port, like 623)."""
    for _attempt in range(50):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind((addrs[0], 0))
        port = probe.getsockname()[1]
        probe.close()
        socks = []
        try:
            for a in addrs:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError('no common free port')


def _responders(specs):
    port = _free_loopback_port([a for a, _b in specs])
    return port, [Responder(addr, port, behaviour) for addr, behaviour in specs]


def test_presence_ping_matches_by_address_and_tag():
    base = '127.61.%d' % (time.monotonic_ns() % 200 + 1)
    port, rs = _responders([(base + '.1', 'ok'), (base + '.2', 'wrong_tag'), (base + '.3', 'garbage'),
                            (base + '.4', 'ok')])
    try:
        stats = {}
        start = time.monotonic()
        result = rmcp.presence_ping(['%s.%d' % (base, i) for i in range(1, 11)] + ['::1', 'no-such-host.invalid'],
                                    timeout=0.5, concurrency=3, port=port, stats=stats)
        elapsed = time.monotonic() - start
    finally:
        for r in rs:
            r.close()
    assert sorted(result) == [base + '.1', base + '.4']
    assert result[base + '.1']['amt_port'] == 16992 and result[base + '.1']['amt_version'] == '6.0'
    assert stats['pinged'] == 10 and stats['answered'] == 2 and stats['ignored'] == 2
    assert stats['peak_in_flight'] <= 3
    # 8 silent addresses, 3 at a time, 0.5 s each: about 3 rounds, never 10 sequential timeouts
    assert elapsed < 2.5


def test_presence_ping_concurrency_bounds_unanswered_pings():
    base = '127.62.%d' % (time.monotonic_ns() % 200 + 1)
    stats = {}
    start = time.monotonic()
    result = rmcp.presence_ping(('%s.%d' % (base, i) for i in range(1, 21)), timeout=0.2, concurrency=5,
                                port=9, stats=stats)
    elapsed = time.monotonic() - start
    assert result == {} and stats['pinged'] == 20 and stats['peak_in_flight'] == 5
    assert 0.75 <= elapsed < 2.0       # 4 windows of 0.2 s


def test_presence_ping_duplicates_pinged_once():
    base = '127.63.%d' % (time.monotonic_ns() % 200 + 1)
    port, rs = _responders([(base + '.1', 'ok')])
    try:
        result = rmcp.presence_ping([base + '.1', 'localhost', base + '.1'], timeout=0.3, port=port)
        stats = {}
        again = rmcp.presence_ping(iter([base + '.1', base + '.1']), timeout=0.3, concurrency=1, port=port, stats=stats)
    finally:
        for r in rs:
            r.close()
    assert list(result) == [base + '.1'] and list(again) == [base + '.1']
    assert stats['pinged'] == 1 and stats['answered'] == 1


def test_presence_ping_empty():
    assert rmcp.presence_ping([], timeout=0.1) == {}

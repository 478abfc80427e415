"""The connect pass (host/sweep.py) and the address stream of discovery: work per address kept minimal."""
import errno
import socket

from ansible_collections.oob.amt.plugins.module_utils.amt.discovery import iter_addresses
from ansible_collections.oob.amt.plugins.module_utils.host.sweep import connect_sweep


def _listener():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(16)
    srv.setblocking(False)
    return srv


def _accepted(srv):
    count = 0
    while True:
        try:
            conn, _peer = srv.accept()
        except (BlockingIOError, InterruptedError):
            return count
        conn.close()
        count += 1


def test_an_address_open_on_the_first_port_gets_no_connection_on_the_next():
    first, second = _listener(), _listener()
    try:
        ports = [first.getsockname()[1], second.getsockname()[1]]
        stats = {}
        out = list(connect_sweep(['127.0.0.1', '127.0.0.2'], ports, timeout=2.0, in_flight=8, stats=stats))
        assert sorted(out) == [('127.0.0.1', 'open', None), ('127.0.0.2', 'closed', None)]
        assert stats['open'] == 1 and stats['closed'] == 1 and stats['swept'] == 2
        assert _accepted(first) == 1 and _accepted(second) == 0
    finally:
        first.close()
        second.close()


def test_an_address_open_only_on_the_second_port_is_open():
    first, second = _listener(), _listener()
    port_closed = first.getsockname()[1]
    first.close()
    try:
        out = list(connect_sweep(['127.0.0.1'], [port_closed, second.getsockname()[1]], timeout=2.0, in_flight=8))
        assert out == [('127.0.0.1', 'open', None)]
        assert _accepted(second) == 1
    finally:
        second.close()


def test_address_stream_text_and_overlaps():
    out = list(iter_addresses(['10.0.0.0/30', '10.0.0.1-10.0.0.4', '192.168.255.254-192.169.0.1'], ['amt-host']))
    assert out == ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '192.168.255.254', '192.168.255.255', '192.169.0.0',
                   '192.169.0.1', 'amt-host']


class _ResetAfterHandshake(object):
    """A socket whose connect the peer accepted and dropped at once (RST after the handshake): what an AMT at its
    connection limit, or CSME 19 refusing plain HTTP, does. On loopback the reset is there before the first check."""
    closed = 0

    def __init__(self, *_args):
        pass

    def connect_ex(self, _address):
        return errno.EINPROGRESS

    def getsockopt(self, *_args):
        return errno.ECONNRESET

    def setblocking(self, _flag):
        pass

    def close(self):
        _ResetAfterHandshake.closed += 1


def test_a_reset_after_the_handshake_is_an_answer_not_a_refusal(monkeypatch):
    from ansible_collections.oob.amt.plugins.module_utils.host import sweep
    monkeypatch.setattr(sweep.socket, 'socket', _ResetAfterHandshake)
    stats = {}
    out = list(connect_sweep(['192.0.2.7'], [16992, 16993], timeout=2.0, in_flight=8, stats=stats))
    assert out == [('192.0.2.7', 'open', None)] and stats['open'] == 1
    assert _ResetAfterHandshake.closed == 1           # open on the first port: the second is not tried

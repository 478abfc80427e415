"""MEI state queries, APF messages and WS-Man over an APF channel (the no-LMS path), against the simulator's
MEI stand-in and against a scripted fake firmware for the flow-control corner cases."""
import socket
import struct
import threading
import time
import uuid

import pytest

from ansible_collections.oob.amt.plugins.module_utils.host import apf, heci, lme, mei
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanConnectionError

SPEC = {'devices': {}}


@pytest.fixture(scope='module')
def standin():
    from tests.simulator.harness import Simulator
    with Simulator(devices=3, mode='pre', extra_args=['--mei']) as sim:
        yield sim


# -- byte layouts (go-wsman-messages pkg/apf/types.go, rpc-go pkg/pthi) -----------------------------------

def test_apf_layouts_match_the_reference_structs():
    # APF_PROTOCOL_VERSION_MESSAGE: type, 3 x uint32, UUID[16], Reserved[64] -> 93 bytes, big-endian
    pv = apf.protocol_version(1, 0, 9)
    assert len(pv) == 93 and pv[:13] == b'\xc0\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x09'
    # APF_CHANNEL_OPEN_MESSAGE as rpc-go sends it: "forwarded-tcpip", window 4096, reserved 0xFFFFFFFF,
    # "::1" port 16992, originator "::1" port 123
    co = apf.channel_open(2, 16992)
    assert co == (b'\x5a' + struct.pack('>I', 15) + b'forwarded-tcpip' + struct.pack('>III', 2, 4096, 0xFFFFFFFF)
                  + struct.pack('>I', 3) + b'::1' + struct.pack('>I', 16992) + struct.pack('>I', 3) + b'::1'
                  + struct.pack('>I', 123))
    assert len(co) == 54
    # service accept: 18-byte name, as ServiceAccept() pads it
    assert apf.service_accept('pfwd@amt.intel.com') == b'\x06' + struct.pack('>I', 18) + b'pfwd@amt.intel.com'
    assert apf.channel_data(7, b'abc') == b'\x5e\x00\x00\x00\x07\x00\x00\x00\x03abc'
    assert apf.window_adjust(7, 4096) == b'\x5d\x00\x00\x00\x07\x00\x00\x10\x00'
    assert apf.channel_close(7) == b'\x61\x00\x00\x00\x07'


def test_apf_parse_round_trip_and_truncation():
    data = (apf.global_request_forward(16993) + apf.channel_open_confirmation(1, 256, 4096) + apf.channel_data(1, b'xyz')
            + apf.channel_open_failure(3, 1) + apf.request_success(16992) + apf.channel_close(1))
    msgs = apf.parse(data)
    assert [m['type'] for m in msgs] == [80, 91, 94, 92, 81, 97]
    assert msgs[0]['request'] == 'tcpip-forward' and msgs[0]['port'] == 16993 and msgs[0]['want_reply']
    assert (msgs[1]['recipient'], msgs[1]['sender'], msgs[1]['window']) == (1, 256, 4096)
    assert msgs[2]['data'] == b'xyz' and msgs[3]['reason'] == 1 and msgs[4]['port'] == 16992
    with pytest.raises(apf.APFError):
        apf.parse(apf.channel_data(1, b'xyz')[:-1])


def test_change_enabled_flags_and_requests():
    # rpc-go internal/amt/commands.go ChangeEnabledResponse: bit0 transition allowed, bit1 enabled, bit6 TLS
    # enforced on local ports, bit7 new interface
    assert mei.decode_change_enabled(b'\xc3') == {'transition_allowed': True, 'amt_enabled': True,
                                                  'tls_enforced_local': True, 'new_interface': True, 'raw': 0xc3}
    assert mei.decode_change_enabled(b'\x81')['amt_enabled'] is False
    assert mei.IS_CHANGE_TO_AMT_ENABLED == b'\x05\x02\x51\x10'
    assert mei.encode_set_operational_state(True) == b'\x05\x03\x53\x10\x01'
    assert mei.decode_set_operational_state(b'\x05\x03\x53\x10' + struct.pack('<I', 0)) == 0
    assert mei.encode_request(mei.GET_CONTROL_MODE_REQUEST) == struct.pack('<BBHII', 1, 1, 0, 0x0400006B, 0)
    assert str(heci.LME_GUID) == '6733a4db-0476-4e7b-b3af-bcfc29bee7a7'
    assert heci.LME_GUID.bytes_le == bytes([0xdb, 0xa4, 0x33, 0x67, 0x76, 0x04, 0x7b, 0x4e, 0xb3, 0xaf, 0xbc, 0xfc,
                                            0x29, 0xbe, 0xe7, 0xa7])  # MEI_LMEIF in rpc-go pkg/heci/linux.go


# -- against the simulator's MEI stand-in ------------------------------------------------------------------

def test_state_queries_over_the_standin(standin):
    addr = standin.addresses[0]
    path = standin.mei_path(addr)
    flags = mei.amt_operational_state(path)
    assert flags['amt_enabled'] and flags['new_interface'] and not flags['tls_enforced_local']
    client = mei.MEIClient(path)
    state = standin.state(addr)
    assert client.local_system_account() == (state['local_username'], state['local_password'])
    assert client.control_mode() == 0
    client.close()


def test_wsman_over_apf_plain_and_tls(standin):
    addr = standin.addresses[1]
    state = standin.state(addr)
    session = lme.LMESession(standin.mei_path(addr), timeout=10).start()
    try:
        assert session.firmware_version == (1, 0) and {16992, 16993} <= session.forwarded_ports
        plain = WsmanClient('localhost', port=16992, use_tls=False, username=state['local_username'],
                            password=state['local_password'], socket_factory=session.socket_factory, timeout=10)
        assert plain.get('AMT_GeneralSettings')['DigestRealm'] == state['realm']
        # a response larger than the 4096-byte receive window comes through (WINDOW_ADJUST returned)
        assert len(plain.enumerate('AMT_ProvisioningCertificateHash')) == len(state['hashes'])
        assert len(plain.enumerate('CIM_SoftwareIdentity', max_elements=200)) >= 5
        tls = WsmanClient('localhost', port=16993, use_tls=True, validate_certs=False,
                          username=state['local_username'], password=state['local_password'],
                          socket_factory=session.socket_factory, timeout=10)
        assert tls.get('IPS_HostBasedSetupService')['CurrentControlMode'] == 0
        assert tls.tls_version and tls.peer_cert_sha256
        assert session.channels_opened >= 3       # the 401 closes the connection: a new channel per connection
    finally:
        session.close()


def test_local_tls_enforced_refuses_the_plain_channel(standin):
    addr = standin.addresses[2]
    standin.patch(addr, local_tls_enforced=True)
    try:
        assert mei.amt_operational_state(standin.mei_path(addr))['tls_enforced_local'] is True
        session = lme.LMESession(standin.mei_path(addr), timeout=10).start()
        try:
            with pytest.raises(lme.LMEError, match='administratively prohibited'):
                session.open_channel(16992)
            state = standin.state(addr)
            client = WsmanClient('localhost', port=16992, use_tls=False, username=state['local_username'],
                                 password=state['local_password'], socket_factory=session.socket_factory, timeout=5,
                                 retries=0)
            with pytest.raises(WsmanConnectionError, match='administratively prohibited'):
                client.get('AMT_GeneralSettings')
            sock = session.open_channel(16993)
            sock.close()
        finally:
            session.close()
    finally:
        standin.patch(addr, local_tls_enforced=False)


def test_amt_disabled_then_enabled_over_mei(standin):
    addr = standin.addresses[2]
    standin.patch(addr, amt_enabled=False)
    path = standin.mei_path(addr)
    assert mei.amt_operational_state(path)['amt_enabled'] is False
    session = lme.LMESession(path, timeout=10).start()
    try:
        with pytest.raises(lme.LMEError, match='connect failed'):
            session.open_channel(16992)
        mei.set_amt_enabled(path, True)
        assert standin.state(addr)['amt_enabled'] is True
        assert mei.amt_operational_state(path)['amt_enabled'] is True
        session.open_channel(16992).close()
    finally:
        session.close()


def test_old_firmware_does_not_answer_the_state_query(standin):
    addr = standin.addresses[0]
    standin.patch(addr, amt_version='11.8.50.3425')
    try:
        assert mei.amt_operational_state(standin.mei_path(addr), timeout=0.5) is None
    finally:
        standin.patch(addr, amt_version='16.1.25.1917')


# -- flow control against a scripted firmware ---------------------------------------------------------------

class FakeConnection(object):
    """HeciConnection look-alike on a SEQPACKET pair; the test plays the firmware on the other end."""

    def __init__(self):
        self.ours, self.fw = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.max_message = 128

    def fileno(self):
        return self.ours.fileno()

    def connect(self):
        return self

    def send(self, data):
        assert len(data) <= self.max_message
        self.ours.send(data)

    def recv(self, timeout=None):
        self.ours.settimeout(timeout)
        try:
            data = self.ours.recv(4096)
        except socket.timeout:
            raise heci.MEITimeout('timeout')
        except OSError as exc:
            raise heci.MEIError(str(exc))
        if not data:
            raise heci.MEIError('closed')
        return data

    def close(self):
        self.ours.close()


def test_send_window_and_message_size_are_honoured():
    conn = FakeConnection()
    fw = conn.fw
    fw.settimeout(5)
    session = lme.LMESession(connection=conn, timeout=5)
    threading.Thread(target=lambda: fw.send(apf.protocol_version(1, 0, 9)), daemon=True).start()
    session.start(settle=0.05)
    assert apf.parse(fw.recv(4096))[0]['type'] == apf.PROTOCOL_VERSION          # ours
    assert apf.parse(fw.recv(4096))[0]['type'] == apf.PROTOCOL_VERSION          # echo of the firmware's
    opened = {}

    def open_it():
        opened['sock'] = session.open_channel(16992)
    t = threading.Thread(target=open_it)
    t.start()
    req = apf.parse(fw.recv(4096))[0]
    assert req['type'] == apf.CHANNEL_OPEN and req['port'] == 16992 and req['channel_type'] == 'forwarded-tcpip'
    fw.send(apf.channel_open_confirmation(req['sender'], 900, window=10))
    t.join(5)
    sock = opened['sock']
    sock.sendall(b'A' * 300)
    first = apf.parse(fw.recv(4096))[0]
    assert first['type'] == apf.CHANNEL_DATA and first['recipient'] == 900 and first['data'] == b'A' * 10
    fw.settimeout(0.3)
    with pytest.raises(socket.timeout):
        fw.recv(4096)                      # window exhausted: nothing more until the firmware adjusts it
    fw.settimeout(5)
    fw.send(apf.window_adjust(req['sender'], 1000))
    got = b''
    while len(got) < 290:
        msg = apf.parse(fw.recv(4096))[0]
        assert msg['type'] == apf.CHANNEL_DATA and len(apf.channel_data(900, msg['data'])) <= conn.max_message
        got += msg['data']
    assert got == b'A' * 290
    # firmware -> host data is delivered and acknowledged with WINDOW_ADJUST
    fw.send(apf.channel_data(req['sender'], b'hello'))
    sock.settimeout(5)
    assert sock.recv(100) == b'hello'
    adj = apf.parse(fw.recv(4096))[0]
    assert adj == {'type': apf.CHANNEL_WINDOW_ADJUST, 'recipient': 900, 'count': 5}
    # the firmware closes: the socket sees EOF and the close is answered
    fw.send(apf.channel_close(req['sender']))
    assert sock.recv(100) == b''
    assert apf.parse(fw.recv(4096))[0] == {'type': apf.CHANNEL_CLOSE, 'recipient': 900}
    session.close()
    fw.close()


def test_no_answer_to_the_protocol_version_is_a_clear_error():
    conn = FakeConnection()
    session = lme.LMESession(connection=conn, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(lme.LMEError, match='did not answer the APF protocol version'):
        session.start()
    assert time.monotonic() - started < 3
    session.close()
    conn.fw.close()


def test_uuid_of_the_stand_in_is_sent_in_the_version(standin):
    addr = standin.addresses[0]
    conn = heci.HeciConnection(heci.LME_GUID, standin.mei_path(addr)).connect()
    try:
        conn.send(apf.protocol_version())
        msg = apf.parse(conn.recv(5))[0]
        assert msg['type'] == apf.PROTOCOL_VERSION
        assert uuid.UUID(bytes_le=msg['uuid']) == uuid.UUID(standin.state(addr)['uuid'])
    finally:
        conn.close()


@pytest.mark.parametrize('timeout', [None, 5.0])
def test_close_from_another_thread_ends_a_waiting_recv_cleanly(timeout):
    # issue 13: the oob-amt-lme reader waits in recv() while the session is closed by the module thread; before,
    # close() dropped the descriptor under the reader, which then called os.read(None, ...) (TypeError in the
    # thread) or waited on a closed descriptor until its timeout.
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    conn = heci.HeciConnection(heci.LME_GUID)
    conn.sock = ours
    outcome = {}

    def reader():
        started = time.monotonic()
        try:
            conn.recv(timeout)
        except BaseException as exc:      # pylint: disable=broad-except
            outcome['exc'] = exc
        outcome['took'] = time.monotonic() - started

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.2)
    conn.close()
    thread.join(3)
    theirs.close()
    assert not thread.is_alive()
    assert type(outcome['exc']) is heci.MEIError, outcome      # pylint: disable=unidiomatic-typecheck
    assert 'closed' in str(outcome['exc'])
    assert outcome['took'] < 1.5
    # a message already waiting is still read before a close, and a closed connection refuses recv at once
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    conn = heci.HeciConnection(heci.LME_GUID)
    conn.sock = ours
    theirs.send(b'hello')
    assert conn.recv(1) == b'hello'
    conn.close()
    theirs.close()
    with pytest.raises(heci.MEIError):
        conn.recv(1)


@pytest.mark.parametrize('stopping', [False, True])
def test_an_answer_to_a_closed_connection_ends_the_reader_cleanly(stopping):
    # the reader answered data (window adjust) while the module thread closed the MEI connection: the
    # MEIError ended the oob-amt-lme thread with a traceback; now the reader stops, and reports it unless closing
    conn = FakeConnection()
    session = lme.LMESession(connection=conn, timeout=1)
    session.stopping = stopping

    def answer(msg):
        raise heci.MEIError('the MEI connection is closed')
    session._dispatch = answer
    conn.fw.send(apf.protocol_version(1, 0, 9))
    session._read_loop()                # returns instead of raising in the thread
    assert session.error == (None if stopping else 'the LME connection ended (the MEI connection is closed)')
    conn.close()
    conn.fw.close()

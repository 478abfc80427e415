"""The redirection protocol client (plugins/module_utils/redir/) against scripted devices.

Each test runs a small device on a local socket that sends exactly the bytes a firmware would (layouts as read in
MeshCommander amt-redir/amt-ider and amtterm RedirectionConstants.h) and checks what the client sends back, byte
by byte, independently of the client's own encoder and of the simulator.
"""
import hashlib
import socket
import struct
import threading
import time

import pytest

from ansible_collections.oob.amt.plugins.module_utils.redir import session as rs
from ansible_collections.oob.amt.plugins.module_utils.redir.errors import (
    RedirAuthError, RedirBusyError, RedirDroppedError, RedirProtocolError, RedirRefusedError)
from ansible_collections.oob.amt.plugins.module_utils.redir.ider import IderServer, Media
from ansible_collections.oob.amt.plugins.module_utils.redir.sol import SolConsole, encode_keys
from ansible_collections.oob.amt.plugins.module_utils.amt.sol import console_text

USER, PASSWORD, REALM, NONCE = 'admin', 'P@ssw0rd', 'Digest:0123456789ABCDEF0123456789ABCDEF', 'abcdef0123456789'


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class Device:
    """A one-connection TCP server running script(sock) in a thread; records an exception for the test."""

    def __init__(self, script):
        self.srv = socket.socket()
        self.srv.bind(('127.0.0.1', 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(script,), daemon=True)
        self.thread.start()

    def _run(self, script):
        conn, _peer = self.srv.accept()
        conn.settimeout(5)
        try:
            script(conn)
        except Exception as exc:     # surfaced by join()
            self.error = exc
        finally:
            conn.close()
            self.srv.close()

    def join(self):
        self.thread.join(5)
        if self.error:
            raise self.error


def recv_exact(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError('client closed after %d of %d bytes' % (len(data), n))
        data += chunk
    return data


def lp_fields(data, count):
    out, pos = [], 0
    for _unused in range(count):
        n = data[pos]
        out.append(data[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    return out


def auth_message(conn):
    head = recv_exact(conn, 9)
    assert head[0] == 0x13 and head[1:4] == b'\x00\x00\x00'
    return head[4], recv_exact(conn, struct.unpack_from('<I', head, 5)[0])


def reply(conn, status, auth_type, data=b''):
    conn.sendall(bytes([0x14, status, 0, 0, auth_type]) + struct.pack('<I', len(data)) + data)


def handshake(conn, tag, password=PASSWORD, offered=(3, 4)):
    """Device side of StartRedirectionSession + digest; checks the client's digest independently."""
    assert recv_exact(conn, 8) == b'\x10\x00\x00\x00' + tag
    conn.sendall(bytes([0x11, 0, 0, 0, 1, 0, 16, 1, 0, 0, 0, 0, 0]))
    assert auth_message(conn) == (0, b'')
    reply(conn, 0, 0, bytes(offered))
    kind, data = auth_message(conn)
    # the first digest message: user name and URI, every other field empty (MeshCommander's layout)
    assert kind == 4
    assert data == bytes([5]) + b'admin' + b'\x00\x00' + bytes([19]) + b'/RedirectionService' + b'\x00' * 4
    conn.sendall(bytes([0x14, 1, 0, 0, 4]) + struct.pack('<I', 3 + len(REALM) + len(NONCE) + 4)
                 + bytes([len(REALM)]) + REALM.encode() + bytes([len(NONCE)]) + NONCE.encode() + b'\x04auth')
    kind, data = auth_message(conn)
    user, realm, nonce, uri, cnonce, nc, response, qop = lp_fields(data, 8)
    assert (kind, user, realm, nonce, uri, qop) == (4, USER, REALM, NONCE, '/RedirectionService', 'auth')
    expected = md5('%s:%s:%s:%s:%s:%s' % (md5('%s:%s:%s' % (USER, REALM, password)), NONCE, nc, cnonce, qop,
                                          md5('POST:/RedirectionService')))
    ok = response == expected
    reply(conn, 0 if ok else 1, 4)
    return ok


def session(dev, password=PASSWORD):
    return rs.RedirSession('127.0.0.1', port=dev.port, use_tls=False, username=USER, password=password, timeout=3)


def test_digest_response_matches_rfc2617():
    ha1, ha2 = md5('admin:%s:secret' % REALM), md5('POST:/RedirectionService')
    want = md5('%s:%s:00000002:c0ffee:auth:%s' % (ha1, NONCE, ha2))
    assert rs.digest_response('admin', 'secret', REALM, NONCE, 'c0ffee', '00000002', 'auth') == want
    assert rs.digest_response('admin', 'secret', REALM, NONCE, '', '', '') == md5('%s:%s:%s' % (ha1, NONCE, ha2))


def test_storage_protocol_by_version():
    assert rs.storage_protocol_name('10.0.56.3002') == 'ide-r'
    assert rs.storage_protocol_name('11.8.50.3425') == 'usb-r'
    assert rs.storage_protocol_name('16.1.25.1917') == 'usb-r'
    assert rs.storage_protocol_name(None) is None


def test_open_and_authenticate():
    dev = Device(lambda c: handshake(c, b'SOL ') and recv_exact(c, 4) == b'\x12\x00\x00\x00')
    s = session(dev).open('sol')
    assert s.auth_methods == [3, 4]
    s.close()
    dev.join()


@pytest.mark.parametrize('status,cls,text', [(2, RedirBusyError, 'session limit'), (3, RedirRefusedError, 'disabled'),
                                             (0xFF, RedirRefusedError, 'status 0xff')])
def test_start_refused(status, cls, text):
    def script(conn):
        recv_exact(conn, 8)
        conn.sendall(bytes([0x11, status, 0, 0]) + bytes(9))
    dev = Device(script)
    with pytest.raises(cls) as err:
        session(dev).open('ider')
    assert text in str(err.value) and err.value.details['status'] == status
    dev.join()


def test_closed_port_means_listener_off():
    def script(conn):
        recv_exact(conn, 8)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    dev = Device(script)
    with pytest.raises(RedirRefusedError) as err:
        session(dev).open('ider')
    assert 'listener' in str(err.value)
    dev.join()


def test_wrong_password_is_an_auth_error_without_secret():
    results = []
    dev = Device(lambda c: results.append(handshake(c, b'IDER', password='the-real-one')))
    with pytest.raises(RedirAuthError) as err:
        session(dev).open('ider')
    dev.join()
    assert results == [False]
    assert 'digest authentication failed' in str(err.value) and PASSWORD not in str(err.value)


def test_no_digest_offered():
    def script(conn):
        recv_exact(conn, 8)
        conn.sendall(bytes([0x11, 0, 0, 0]) + bytes(9))
        auth_message(conn)
        reply(conn, 0, 0, bytes([1]))
    dev = Device(script)
    with pytest.raises(RedirAuthError) as err:
        session(dev).open('sol')
    assert 'basic' in str(err.value)
    dev.join()


def _ider_device(script_after_open, read_buffer=8192, oem=b''):
    def script(conn):
        handshake(conn, b'IDER')
        head = recv_exact(conn, 18)
        assert head[0] == 0x40 and struct.unpack_from('<I', head, 4)[0] == 0
        rx, tx, hb, ver = struct.unpack_from('<HHHI', head, 8)
        assert (rx, tx, hb, ver) == (30000, 0, 20000, 1)
        body = bytes([1, 0, 16, 0]) + bytes(4) + struct.pack('<HH', read_buffer, 8192) + bytes(2) \
            + bytes(3) + struct.pack('<I', 343) + bytes([len(oem)]) + oem
        conn.sendall(struct.pack('<BBBBI', 0x41, 0, 0, 0, 0) + body)
        toggle = recv_exact(conn, 13)
        assert toggle[0] == 0x48 and struct.unpack_from('<I', toggle, 4)[0] == 1
        assert toggle[8] == 3 and struct.unpack_from('<I', toggle, 9)[0] == 0x01 | 0x08     # enable, on reboot
        conn.sendall(struct.pack('<BBBBIBI', 0x49, 0, 0, 0, 1, 3, 1))
        script_after_open(conn)
    return script


def command(conn, seq, dev, cdb, dma=False):
    cdb = bytes(cdb) + bytes(12 - len(cdb))
    conn.sendall(struct.pack('<BBBBI', 0x50, 0, 0, 0, seq) + bytes([0, 1 if dma else 0, 0, 0, 0xFF, 0xFF, dev, 0xA0])
                 + cdb)


def answer(conn):
    """(kind, attributes, data, status, sense, asc) of the console's answer to one command."""
    data = b''
    while True:
        head = recv_exact(conn, 8)
        if head[0] == 0x54:
            sub = recv_exact(conn, 26)
            n = struct.unpack_from('<H', sub, 1)[0]
            data += recv_exact(conn, n)
            if head[3] & 2:
                return 'data', head[3], data, sub[19], 0, 0
        elif head[0] == 0x51:
            body = recv_exact(conn, 23)
            return 'end', head[3], data, body[19], body[20], body[21]
        else:
            raise AssertionError('unexpected 0x%02x' % head[0])


def test_ider_serves_a_cd_image(tmp_path):
    image = bytes(range(256)) * 8 * 40            # 40 blocks of 2048
    path = tmp_path / 'cd.iso'
    path.write_bytes(image)
    seen = {}

    def after(conn):
        command(conn, 2, 0xB0, [0x00])
        seen['tur1'] = answer(conn)
        command(conn, 3, 0xB0, [0x00])
        seen['tur2'] = answer(conn)
        command(conn, 4, 0xB0, [0x25])
        seen['cap'] = answer(conn)
        command(conn, 5, 0xB0, [0x28, 0, 0, 0, 0, 3, 0, 0, 10], dma=True)      # READ(10) LBA 3, 10 blocks
        seen['read'] = answer(conn)
        command(conn, 6, 0xB0, [0x2A, 0, 0, 0, 0, 0, 0, 0, 1])                 # WRITE(10)
        seen['write'] = answer(conn)
        command(conn, 7, 0xA0, [0x00])                                         # no floppy attached
        seen['floppy'] = answer(conn)
        command(conn, 8, 0xB0, [0x28, 0, 0, 0, 0, 39, 0, 0, 2])                # past the end
        seen['range'] = answer(conn)
        conn.sendall(struct.pack('<BBBBI', 0x43, 0, 0, 0, 9))                  # device closes
    dev = Device(_ider_device(after, read_buffer=4096))
    s = session(dev).open('ider')
    srv = IderServer(s, cdrom=Media(str(path), 'cdrom'))
    info = srv.open()
    assert info['read_buffer'] == 4096 and info['iana'] == 343
    assert srv.serve(time.monotonic() + 5) == 'closed_by_device'
    srv.close()
    dev.join()
    assert seen['tur1'][0] == 'end' and seen['tur1'][3:] == (0x51, 6, 0x28)    # unit attention: medium changed
    assert seen['tur2'][0] == 'end' and seen['tur2'][3] == 0x50
    assert seen['cap'][2] == struct.pack('>II', 39, 2048)
    assert seen['read'][2] == image[3 * 2048:13 * 2048] and seen['read'][1] == 3    # completed + DMA
    assert seen['write'][3:] == (0x51, 7, 0x27)                                    # write protected
    assert seen['floppy'][3:] == (0x51, 2, 0x3A)                                   # no medium
    assert seen['range'][3:] == (0x51, 5, 0x21)
    assert srv.stats['bytes_served'] == 10 * 2048 and srv.stats['read_commands'] == 1
    assert srv.stats['refused_writes'] == 1


def test_ider_pieces_follow_the_read_buffer(tmp_path):
    path = tmp_path / 'f.img'
    path.write_bytes(bytes(512 * 20))
    sizes = []

    def after(conn):
        command(conn, 2, 0xA0, [0x28, 0, 0, 0, 0, 0, 0, 0, 20])
        while True:
            head = recv_exact(conn, 8)
            sub = recv_exact(conn, 26)
            n = struct.unpack_from('<H', sub, 1)[0]
            recv_exact(conn, n)
            sizes.append((n, head[3]))
            if head[3] & 2:
                break
        conn.sendall(struct.pack('<BBBBI', 0x43, 0, 0, 0, 3))
    dev = Device(_ider_device(after, read_buffer=4096))
    srv = IderServer(session(dev).open('ider'), floppy=Media(str(path), 'floppy'))
    srv.open()
    srv.serve(time.monotonic() + 5)
    srv.close()
    dev.join()
    assert sizes == [(4096, 0), (4096, 0), (2048, 2)]


def test_ider_out_of_sequence(tmp_path):
    path = tmp_path / 'cd.iso'
    path.write_bytes(bytes(2048 * 2))

    def after(conn):
        conn.sendall(struct.pack('<BBBBI', 0x4B, 0, 0, 0, 7))       # heartbeat with a wrong sequence number
        conn.recv(100)
    dev = Device(_ider_device(after))
    srv = IderServer(session(dev).open('ider'), cdrom=Media(str(path), 'cdrom'))
    srv.open()
    with pytest.raises(RedirProtocolError) as err:
        srv.serve(time.monotonic() + 5)
    assert 'out of sequence' in str(err.value)
    srv.close()
    dev.join()


def test_ider_dropped_session_reports_bytes(tmp_path):
    path = tmp_path / 'cd.iso'
    path.write_bytes(bytes(2048 * 4))

    def after(conn):
        command(conn, 2, 0xB0, [0x28, 0, 0, 0, 0, 0, 0, 0, 2])
        answer(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    dev = Device(_ider_device(after))
    srv = IderServer(session(dev).open('ider'), cdrom=Media(str(path), 'cdrom'))
    srv.open()
    with pytest.raises(RedirDroppedError) as err:
        srv.serve(time.monotonic() + 5)
    assert err.value.details['bytes_served'] == 4096
    srv.close()
    dev.join()


def test_sol_start_data_keys_and_end():
    got = {}

    def script(conn):
        handshake(conn, b'SOL ')
        start = recv_exact(conn, 24)
        assert start[0] == 0x20 and struct.unpack_from('<I', start, 4)[0] == 1
        assert struct.unpack_from('<HHHHHH', start, 8) == (10000, 100, 0, 10000, 100, 0)
        conn.sendall(bytes([0x21, 0, 0, 0]) + bytes(19))
        text = b'\x1b[2J\x1b[1;1HBIOS v1\r\nPress <F2>\r\n'
        conn.sendall(struct.pack('<BBBBIH', 0x2A, 0, 0, 0, 1, len(text)) + text)
        conn.sendall(struct.pack('<BBBBI', 0x29, 0, 0, 0, 2) + b'\x00\x00')    # control lines
        head = recv_exact(conn, 10)
        assert head[0] == 0x28
        got['keys'] = recv_exact(conn, struct.unpack_from('<H', head, 8)[0])
        assert recv_exact(conn, 8)[0] == 0x22
        conn.sendall(struct.pack('<BBBBI', 0x23, 0, 0, 0, 3))
        assert recv_exact(conn, 4) == b'\x12\x00\x00\x00'
    dev = Device(script)
    console = SolConsole(session(dev).open('sol'))
    console.open()
    data = b''
    while b'F2>' not in data:
        data += console.read(2)
    console.write(encode_keys('<F2>x<ENTER>'))
    console.close()
    dev.join()
    assert got['keys'] == b'\x1bOQx\r'
    assert console_text(data) == 'BIOS v1\nPress <F2>\n'
    assert console.control_events == 1


def test_encode_keys_refuses_unknown_names():
    assert encode_keys('a<ESC>b') == b'a\x1bb'
    with pytest.raises(ValueError) as err:
        encode_keys('<F13>')
    assert 'F13' in str(err.value)

"""The host side of a simulated device: a stand-in for /dev/mei0 on a Unix SEQPACKET socket.

One socket per device at ``<state-dir>/mei/<address>.sock`` (started with ``--mei``). The framing is the
MEI driver's, as plugins/module_utils/host/heci.py documents: the first datagram is the 16-byte client
GUID (what IOCTL_MEI_CONNECT_CLIENT carries), the answer the 16 bytes the ioctl returns (max message
length, protocol version); then one datagram per MEI message in each direction. Firmware clients:

* AMTHI: GetLocalSystemAccount, GetControlMode, StartConfigurationHBased, StopConfiguration (rpc-go
  pkg/pthi/commands.go layouts; state key ``hbc`` while a Secure Host-Based Configuration is open, ``mei_log``)
* the state-independence ("watchdog") client: IsChangeToAMTEnabled (flags byte: bit 0 transition allowed,
  bit 1 AMT enabled, bit 6 TLS enforced on local ports, bit 7 new interface; rpc-go internal/amt/commands.go)
  and SetAmtOperationalState. AMT 11 and older do not answer (rpc-go cmd/main.go: "wait timeout ... AMT
  version 11 and below").
* LME: APF (go-wsman-messages pkg/apf): ProtocolVersion, the pfwd service request, tcpip-forward
  announcements for 16992/16993, then forwarded-tcpip channels. A channel is served by the same HTTP code
  as the LMS port (interface 'local'); a channel to 16993 is TLS end to end. With TLS enforced on local
  ports (CSME 19) a channel to 16992 is refused (administratively prohibited); with AMT disabled every
  channel is refused (connect failed).

Device state keys used: amt_enabled (default true), local_tls_enforced (default: CSME 19 and later),
local_username/local_password, control_mode. Thread based (blocking sockets), one thread per MEI
connection and per APF channel; state changes are applied on the event loop.
"""

import asyncio
import os
import selectors
import socket
import struct
import threading
import uuid

AMTHI = uuid.UUID('12f80028-b4b7-4b2d-aca8-46e0ff65814c')
LME = uuid.UUID('6733a4db-0476-4e7b-b3af-bcfc29bee7a7')
WATCHDOG = uuid.UUID('05b79a6f-4628-4d7f-899d-a91514cb32ab')
MAX_MESSAGE = {AMTHI: 4160, LME: 4096, WATCHDOG: 16}

# APF message types (go-wsman-messages pkg/apf/types.go)
DISCONNECT, SERVICE_REQUEST, SERVICE_ACCEPT = 1, 5, 6
GLOBAL_REQUEST, REQUEST_SUCCESS, REQUEST_FAILURE = 80, 81, 82
CHANNEL_OPEN, OPEN_CONFIRMATION, OPEN_FAILURE, WINDOW_ADJUST, CHANNEL_DATA, CHANNEL_CLOSE = 90, 91, 92, 93, 94, 97
PROTOCOL_VERSION = 192
WINDOW = 4096


def _major(device):
    try:
        return int(device.state['amt_version'].split('.')[0])
    except (ValueError, KeyError):
        return 16


def amt_enabled(device):
    return bool(device.state.get('amt_enabled', True))


def local_tls_enforced(device):
    value = device.state.get('local_tls_enforced')
    return _major(device) >= 19 if value is None else bool(value)


def served_certificate_der(device, fleet_ca):
    """DER of the certificate the device serves on its TLS ports (tests/simulator/classes/tls.py
    listener_context: the committed one, else the fleet CA's device certificate)."""
    import base64
    s = device.state.get('tls') or {}
    applied = s.get('applied')
    if applied and applied.get('context'):
        cert = next((c for c in s.get('certs', []) if c['id'] == applied['context']), None)
        if cert is not None:
            return base64.b64decode(cert['der'])
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    with open(fleet_ca.device_cert_path(device.address, device.state.get('hostname')), 'rb') as fh:
        return x509.load_pem_x509_certificate(fh.read()).public_bytes(serialization.Encoding.DER)


def hbc_client_ok(device, chain):
    """Whether the client certificate chain of a local TLS connection is the provisioning certificate announced
    with StartConfigurationHBased: the leaf's hash is the announced one and the chain passes the checks AdminSetup's
    chain gets (classes/provisioning.py verify_chain: root hash an enabled trusted hash, each certificate signed by
    the next, the setup marker, the DNS suffix). Which of these CSME 19 checks at this point is not published
    (ours); the reason is kept in the state (hbc_refused) for tests."""
    import hashlib
    from tests.simulator.classes.provisioning import verify_chain
    hbc = device.state.get('hbc') or {}
    digest = (hashlib.sha384 if hbc.get('algorithm') == 3 else hashlib.sha256)(chain[0]).hexdigest()
    problem = None if digest == hbc.get('hash') else 'client certificate is not the one announced over MEI'
    if problem is None:
        problem = verify_chain(chain, device.state) if len(chain) > 1 else 'client certificate chain has no root'
    device.state['hbc_refused'] = problem
    return problem is None


def _s(text):
    raw = text.encode()
    return struct.pack('>I', len(raw)) + raw


class MEIStandIn:
    def __init__(self, fleet, directory):
        self.fleet = fleet
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.selector = selectors.DefaultSelector()
        self.listeners = []
        self.stopping = False
        self.thread = None
        self.loop = None

    def path(self, address):
        return os.path.join(self.directory, '%s.sock' % address)

    def start(self, loop):
        self.loop = loop
        for addr, device in self.fleet.devices.items():
            path = self.path(addr)
            if os.path.exists(path):
                os.unlink(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            sock.bind(path)
            sock.listen(16)
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, device)
            self.listeners.append(sock)
        self.thread = threading.Thread(target=self._accept_loop, daemon=True, name='mei-standin')
        self.thread.start()

    def stop(self):
        self.stopping = True
        for sock in self.listeners:
            try:
                path = sock.getsockname()
                sock.close()
                os.unlink(path)
            except OSError:
                pass

    def _accept_loop(self):
        while not self.stopping:
            try:
                events = self.selector.select(0.5)
            except (OSError, ValueError):
                return
            for key, _mask in events:
                try:
                    conn, _addr = key.fileobj.accept()
                except OSError:
                    continue
                conn.setblocking(True)
                threading.Thread(target=self._serve, args=(conn, key.data), daemon=True).start()

    def apply(self, device, **changes):
        """Change device state on the event loop (the asyncio side owns state and saving)."""
        done = threading.Event()

        def change():
            device.state.update(changes)
            device.save()
            done.set()
        self.loop.call_soon_threadsafe(change)
        done.wait(5)

    # -- one MEI connection ---------------------------------------------------------------------
    def _serve(self, conn, device):
        try:
            guid_raw = conn.recv(64)
            if len(guid_raw) != 16:
                return
            guid = uuid.UUID(bytes_le=guid_raw)
            if guid not in MAX_MESSAGE:
                return                       # the ioctl fails with ENOTTY: no such client
            conn.send(struct.pack('<IB3x', MAX_MESSAGE[guid], 1 if guid != LME else 4).ljust(16, b'\x00'))
            if guid == AMTHI:
                self._amthi(conn, device)
            elif guid == WATCHDOG:
                self._watchdog(conn, device)
            else:
                _LMESession(self, conn, device).run()
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _amthi(self, conn, device):
        while True:
            msg = conn.recv(8192)
            if not msg:
                return
            if len(msg) < 12:
                continue
            _maj, _min, _res, command, length = struct.unpack_from('<BBHII', msg)
            state = device.state
            if command == 0x04000067:         # GetLocalSystemAccount
                status = 0 if amt_enabled(device) else 3     # AMT_STATUS_INVALID_AMT_MODE (unverified)
                body = (state.get('local_username', '').encode().ljust(33, b'\x00')[:33]
                        + state.get('local_password', '').encode().ljust(33, b'\x00')[:33]) if status == 0 else b''
                conn.send(struct.pack('<BBHIII', 1, 1, 0, 0x04800067, len(body) + 4, status) + body)
            elif command == 0x0400006B:       # GetControlMode
                mode = int(state.get('control_mode', 0)) if state.get('provisioning_state') == 2 else 0
                conn.send(struct.pack('<BBHIIII', 1, 1, 0, 0x0480006B, 8, 0, mode))
            elif command == 0x0400008B:       # StartConfigurationHBased (CSME 19 Secure Host-Based Configuration)
                status, body = self._start_hbc(device, msg)
                conn.send(struct.pack('<BBHIII', 1, 1, 0, 0x0480008B, len(body) + 4, status) + body)
            elif command == 0x0400005E:       # StopConfiguration
                status = self._stop_configuration(device)
                conn.send(struct.pack('<BBHIII', 1, 1, 0, 0x0480005E, 4, status))
            else:
                conn.send(struct.pack('<BBHIII', 1, 1, 0, command | 0x00800000, 4, 1))

    # Secure Host-Based Configuration (rpc-go internal/commands/activate/local.go setupACMTLSConfig): the firmware
    # remembers the hash of the provisioning leaf certificate and answers the hash of the certificate it serves on
    # the local TLS port; the mutual-TLS connection that follows is judged in server.py (_hbc_handshake). Status
    # codes for refusals are ours (pkg/pthi/status.go names them; nobody has published which one firmware uses).
    def _start_hbc(self, device, msg):
        state = device.state
        if len(msg) < 402:
            return 4, b''                     # AMT_STATUS_INVALID_MESSAGE_LENGTH
        algorithm = msg[12]
        size = {2: 32, 3: 48}.get(algorithm)
        if size is None:
            return 36, b''                    # AMT_STATUS_INVALID_PARAMETER
        if not amt_enabled(device) or state.get('provisioning_state') != 0 or not local_tls_enforced(device):
            return 3, b''                     # AMT_STATUS_INVALID_AMT_MODE
        served = served_certificate_der(device, self.fleet.ca)
        self.apply(device, hbc={'algorithm': algorithm, 'hash': msg[13:13 + size].hex()},
                   mei_log=list(state.get('mei_log') or []) + ['StartConfigurationHBased'])
        import hashlib
        return 0, bytes([2]) + hashlib.sha256(served).digest().ljust(64, b'\x00')

    def _stop_configuration(self, device):
        state = device.state
        self.apply(device, hbc=None, mei_log=list(state.get('mei_log') or []) + ['StopConfiguration'])
        return 0 if state.get('provisioning_state') != 2 else 16     # AMT_STATUS_NOT_PERMITTED once provisioned

    def _watchdog(self, conn, device):
        while True:
            msg = conn.recv(64)
            if not msg:
                return
            if _major(device) <= 11:
                continue                      # old firmware: no answer, the caller times out
            if msg[:4] == bytes([0x05, 0x02, 0x51, 0x10]):
                flags = 0x01 | 0x80
                if amt_enabled(device):
                    flags |= 0x02
                if local_tls_enforced(device):
                    flags |= 0x40
                conn.send(bytes([flags]))
            elif msg[:4] == bytes([0x05, 0x03, 0x53, 0x10]) and len(msg) >= 5:
                self.apply(device, amt_enabled=bool(msg[4]))
                conn.send(bytes([0x05, 0x03, 0x53, 0x10]) + struct.pack('<I', 0))
            else:
                conn.send(bytes([msg[0] if msg else 0, 0, 0, 0]) + struct.pack('<I', 36))


class _LMESession:
    """Firmware side of APF for one LME connection."""

    def __init__(self, standin, conn, device):
        self.standin = standin
        self.conn = conn
        self.device = device
        self.send_lock = threading.Lock()
        self.channels = {}
        self.next_id = 0x100
        self.forwards_pending = []
        self.window_violations = 0

    def send(self, data):
        with self.send_lock:
            self.conn.send(data)

    def run(self):
        while True:
            msg = self.conn.recv(8192)
            if not msg:
                break
            self.handle(msg)
        for ch in list(self.channels.values()):
            ch.close(notify=False)

    def handle(self, msg):
        kind = msg[0]
        if kind == PROTOCOL_VERSION:
            if getattr(self, 'versioned', False):
                return                        # rpc-go echoes our version back; nothing to answer
            self.versioned = True
            self.send(struct.pack('>BIII16s64s', PROTOCOL_VERSION, 1, 0, 9,
                                  uuid.UUID(self.device.state['uuid']).bytes_le, b''))
            self.send(bytes([SERVICE_REQUEST]) + _s('pfwd@amt.intel.com'))
        elif kind == SERVICE_ACCEPT:
            self.forwards_pending = [16992, 16993]
            self._next_forward()
        elif kind in (REQUEST_SUCCESS, REQUEST_FAILURE):
            self._next_forward()
        elif kind == CHANNEL_OPEN:
            self._open(msg)
        elif kind in (CHANNEL_DATA, WINDOW_ADJUST, CHANNEL_CLOSE):
            recipient = struct.unpack_from('>I', msg, 1)[0]
            ch = self.channels.get(recipient)
            if ch is None:
                return
            if kind == CHANNEL_DATA:
                length = struct.unpack_from('>I', msg, 5)[0]
                ch.from_host(msg[9:9 + length])
            elif kind == WINDOW_ADJUST:
                ch.adjust(struct.unpack_from('>I', msg, 5)[0])
            else:
                ch.close(notify=not ch.closed_by_us)

    def _next_forward(self):
        if self.forwards_pending:
            port = self.forwards_pending.pop(0)
            self.send(bytes([GLOBAL_REQUEST]) + _s('tcpip-forward') + b'\x01' + _s('') + struct.pack('>I', port))

    def _open(self, msg):
        pos = 1
        (tlen,) = struct.unpack_from('>I', msg, pos)
        ctype = msg[pos + 4:pos + 4 + tlen].decode()
        pos += 4 + tlen
        sender, window, _maxp = struct.unpack_from('>III', msg, pos)
        pos += 12
        (alen,) = struct.unpack_from('>I', msg, pos)
        pos += 4 + alen
        (port,) = struct.unpack_from('>I', msg, pos)
        reason = 0
        if ctype != 'forwarded-tcpip':
            reason = 3
        elif not amt_enabled(self.device):
            reason = 2
        elif port == 16992 and local_tls_enforced(self.device):
            reason = 1
        elif port not in (16992, 16993):
            reason = 2
        if reason:
            self.send(struct.pack('>BIIII', OPEN_FAILURE, sender, reason, 0, 0))
            return
        self.next_id += 1
        ch = _Channel(self, self.next_id, sender, window, port == 16993)
        self.channels[ch.id] = ch
        ch.start()
        self.send(struct.pack('>BIIII', OPEN_CONFIRMATION, sender, ch.id, WINDOW, 0xFFFFFFFF))


class _Channel:
    def __init__(self, session, ident, host_channel, host_window, tls):
        self.session = session
        self.id = ident
        self.host = host_channel
        self.host_window = host_window
        self.our_window = WINDOW
        self.tls = tls
        self.cond = threading.Condition()
        self.closed = False
        self.closed_by_us = False
        self.ours, self.theirs = socket.socketpair()

    def start(self):
        fleet = self.session.standin.fleet
        device = self.session.device
        theirs = self.theirs
        port = 16993 if self.tls else 16992

        async def serve():
            # a server-side stream on our end of the pair (start_tls then acts as the TLS server, as on a port)
            loop = asyncio.get_running_loop()

            async def handler(reader, writer):
                await fleet._connection(reader, writer, device, port, self.tls, 'local')
            protocol = asyncio.StreamReaderProtocol(asyncio.StreamReader(limit=2 ** 16, loop=loop), handler, loop=loop)
            await loop.connect_accepted_socket(lambda: protocol, sock=theirs)
        asyncio.run_coroutine_threadsafe(serve(), self.session.standin.loop)
        threading.Thread(target=self._pump, daemon=True).start()

    def from_host(self, data):
        with self.cond:
            if len(data) > self.our_window:
                self.session.window_violations += 1
            self.our_window -= len(data)
        try:
            self.ours.sendall(data)
        except OSError:
            return
        with self.cond:
            self.our_window += len(data)
        self.session.send(struct.pack('>BII', WINDOW_ADJUST, self.host, len(data)))

    def adjust(self, count):
        with self.cond:
            self.host_window += count
            self.cond.notify_all()

    def _pump(self):
        limit = MAX_MESSAGE[LME] - 9
        try:
            while True:
                data = self.ours.recv(limit)
                if not data:
                    break
                while data:
                    with self.cond:
                        while self.host_window <= 0 and not self.closed:
                            self.cond.wait(0.5)
                        if self.closed:
                            return
                        n = min(len(data), self.host_window)
                        self.host_window -= n
                    self.session.send(struct.pack('>BII', CHANNEL_DATA, self.host, n) + data[:n])
                    data = data[n:]
        except OSError:
            pass
        if not self.closed:
            self.closed_by_us = True
            try:
                self.session.send(struct.pack('>BI', CHANNEL_CLOSE, self.host))
            except OSError:
                pass

    def close(self, notify=True):
        with self.cond:
            if self.closed:
                return
            self.closed = True
            self.cond.notify_all()
        self.session.channels.pop(self.id, None)
        if notify:
            try:
                self.session.send(struct.pack('>BI', CHANNEL_CLOSE, self.host))
            except OSError:
                pass
        for s in (self.ours,):
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

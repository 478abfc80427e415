# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Man to the firmware over MEI when no Local Manageability Service (LMS) listens on the host.

LMS is only a relay: it accepts TCP on localhost:16992/16993 and forwards each connection as an APF
channel over the LME client of the MEI device. This module does the same inside the module process:
``LMESession.socket_factory`` returns, for each "connection" the WS-Man transport makes, one end of a
socket pair whose other end is pumped into a fresh APF channel to the firmware port (16992 plain, 16993
TLS). The transport keeps using ordinary sockets (so TLS, timeouts and keep-alive work unchanged).

Protocol flow as rpc-go does it (``internal/lm/engine.go`` Initialize/Connect/Send/Listen over
go-wsman-messages ``pkg/apf``): APF ProtocolVersion(1, 0, 9) -> the firmware answers with its version
(echoed back, as rpc-go's processor does), asks for the pfwd service (accepted) and announces the
ports it forwards (tcpip-forward 16992/16993, answered with success); then CHANNEL_OPEN
"forwarded-tcpip" per connection, CHANNEL_DATA both ways, CHANNEL_CLOSE. Unlike rpc-go we honour the
firmware's send window and return WINDOW_ADJUST for what we consumed (RFC 4254 semantics APF copies),
and keep a channel open for HTTP keep-alive instead of waiting 2-3 s for the firmware to go quiet.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import socket
import threading
import time

from ansible_collections.oob.amt.plugins.module_utils.host import apf
from ansible_collections.oob.amt.plugins.module_utils.host.heci import (
    LME_GUID, HeciConnection, MEIError, MEITimeout)

_HEADER = 9      # CHANNEL_DATA type + recipient + length


class LMEError(MEIError):
    pass


class _Channel(object):
    def __init__(self, session, number, port):
        self.session = session
        self.number = number
        self.port = port
        self.remote = None
        self.tx_window = 0
        self.opened = threading.Event()
        self.failure = None
        self.closed = False
        self.cond = threading.Condition()
        self.user, self.inner = socket.socketpair()
        self.pump = None

    # firmware -> us
    def deliver(self, data):
        try:
            self.inner.sendall(data)
        except OSError:
            return
        self.session.send(apf.window_adjust(self.remote, len(data)))

    def adjust(self, count):
        with self.cond:
            self.tx_window += count
            self.cond.notify_all()

    def remote_closed(self):
        with self.cond:
            already = self.closed
            self.closed = True
            self.cond.notify_all()
        if not already and self.remote is not None:
            self.session.send(apf.channel_close(self.remote), quiet=True)
        try:
            self.inner.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # us -> firmware
    def run_pump(self):
        limit = max(64, self.session.max_message - _HEADER)
        try:
            while True:
                data = self.inner.recv(limit)
                if not data:
                    break
                while data:
                    with self.cond:
                        while self.tx_window <= 0 and not self.closed:
                            self.cond.wait(0.5)
                        if self.closed:
                            return
                        n = min(len(data), self.tx_window, limit)
                        self.tx_window -= n
                    self.session.send(apf.channel_data(self.remote, data[:n]))
                    data = data[n:]
        except (OSError, MEIError):
            pass
        finally:
            with self.cond:
                already = self.closed
                self.closed = True
            if not already and self.remote is not None:
                self.session.send(apf.channel_close(self.remote), quiet=True)
            try:
                self.inner.close()
            except OSError:
                pass
            self.session.forget(self)


class LMESession(object):
    """One LME connection carrying any number of sequential (or parallel) APF channels."""

    def __init__(self, device=None, timeout=30, connection=None):
        self.device = device
        self.timeout = float(timeout)
        self.conn = connection or HeciConnection(LME_GUID, device)
        self.max_message = 4096
        self.firmware_version = None
        self.forwarded_ports = set()
        self.channels = {}
        self.next_channel = 1
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.handshake = threading.Condition()
        self.reader = None
        self.stopping = False
        self.error = None
        self.channels_opened = 0

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, settle=0.3):
        if self.conn.fileno() is None:
            self.conn.connect()
        self.max_message = self.conn.max_message or 4096
        self.send(apf.protocol_version())
        self.reader = threading.Thread(target=self._read_loop, name='oob-amt-lme')
        self.reader.daemon = True
        self.reader.start()
        deadline = time.monotonic() + self.timeout
        with self.handshake:
            while self.firmware_version is None and self.error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LMEError('the LME client of the MEI device did not answer the APF protocol version '
                                   'within %gs' % self.timeout)
                self.handshake.wait(left)
        if self.error is not None:
            raise LMEError(self.error)
        # let the firmware announce its forwarded ports (tcpip-forward); channels opened before that may fail
        quiet_until = time.monotonic() + settle
        while time.monotonic() < quiet_until and not {16992, 16993} <= self.forwarded_ports:
            time.sleep(0.02)
        return self

    def close(self):
        self.stopping = True
        with self.lock:
            channels = list(self.channels.values())
        for ch in channels:
            ch.remote_closed()
        self.conn.close()

    def forget(self, channel):
        with self.lock:
            self.channels.pop(channel.number, None)

    def send(self, message, quiet=False):
        with self.write_lock:
            try:
                self.conn.send(message)
            except MEIError:
                if not quiet:
                    raise

    # -- the reader -----------------------------------------------------------------------
    def _read_loop(self):
        while not self.stopping:
            try:
                data = self.conn.recv(0.5)
            except MEITimeout:
                continue
            except MEIError as exc:
                if not self.stopping:
                    self._fail('the LME connection ended (%s)' % exc)
                return
            try:
                messages = apf.parse(data)
            except apf.APFError as exc:
                self._fail('malformed APF message from the firmware (%s)' % exc)
                return
            try:
                for msg in messages:
                    self._dispatch(msg)
            except MEIError as exc:         # an answer (window adjust, ...) to a connection closed meanwhile
                if not self.stopping:
                    self._fail('the LME connection ended (%s)' % exc)
                return

    def _fail(self, reason):
        with self.handshake:
            self.error = reason
            self.handshake.notify_all()
        with self.lock:
            channels = list(self.channels.values())
        for ch in channels:
            ch.failure = ch.failure or reason
            ch.opened.set()
            ch.remote_closed()

    def _dispatch(self, msg):
        kind = msg['type']
        if kind == apf.PROTOCOL_VERSION:
            with self.handshake:
                first = self.firmware_version is None
                self.firmware_version = (msg['major'], msg['minor'])
                self.handshake.notify_all()
            if first:
                self.send(apf.protocol_version(msg['major'], msg['minor'], msg['trigger']), quiet=True)
        elif kind == apf.SERVICE_REQUEST:
            if msg['name'] in (apf.SERVICE_PFWD, apf.SERVICE_AUTH):
                self.send(apf.service_accept(msg['name']), quiet=True)
            else:
                self.send(apf.disconnect(7), quiet=True)
        elif kind == apf.GLOBAL_REQUEST:
            reply = apf.request_failure()
            if msg['request'] == apf.TCP_FORWARD and msg.get('port') in (16992, 16993):
                self.forwarded_ports.add(msg['port'])
                reply = apf.request_success(msg['port'])
            elif msg['request'] == apf.TCP_FORWARD_CANCEL:
                self.forwarded_ports.discard(msg.get('port'))
                reply = apf.request_success()
            if msg.get('want_reply', True):
                self.send(reply, quiet=True)
        elif kind == apf.CHANNEL_OPEN:
            # channels the firmware opens towards the host (WS-Man events): not served here
            self.send(apf.channel_open_failure(msg['sender'], 1), quiet=True)
        elif kind in (apf.CHANNEL_OPEN_CONFIRMATION, apf.CHANNEL_OPEN_FAILURE, apf.CHANNEL_DATA,
                      apf.CHANNEL_WINDOW_ADJUST, apf.CHANNEL_CLOSE):
            with self.lock:
                ch = self.channels.get(msg['recipient'])
            if ch is None:
                return
            if kind == apf.CHANNEL_OPEN_CONFIRMATION:
                ch.remote = msg['sender']
                ch.adjust(msg['window'])
                ch.opened.set()
            elif kind == apf.CHANNEL_OPEN_FAILURE:
                ch.failure = 'the firmware refused the APF channel to port %d (%s)' % (
                    ch.port, apf.OPEN_FAILURE_REASONS.get(msg['reason'], 'reason %d' % msg['reason']))
                ch.opened.set()
                self.forget(ch)
            elif kind == apf.CHANNEL_DATA:
                ch.deliver(msg['data'])
            elif kind == apf.CHANNEL_WINDOW_ADJUST:
                ch.adjust(msg['count'])
            else:
                ch.remote_closed()
        elif kind == apf.DISCONNECT:
            self._fail('the firmware ended the APF session (reason %d)' % msg.get('reason', 0))

    # -- channels -------------------------------------------------------------------------
    def open_channel(self, port, timeout=None):
        """A connected socket whose bytes travel in a new APF channel to the firmware's port."""
        if self.error is not None:
            raise LMEError(self.error)
        with self.lock:
            number = self.next_channel
            self.next_channel = self.next_channel % 0x7FFFFFFF + 1
            ch = _Channel(self, number, port)
            self.channels[number] = ch
        self.send(apf.channel_open(number, port))
        if not ch.opened.wait(timeout or self.timeout):
            self.forget(ch)
            raise LMEError('the firmware did not confirm the APF channel to port %d within %gs'
                           % (port, timeout or self.timeout))
        if ch.failure:
            ch.user.close()
            ch.inner.close()
            raise LMEError(ch.failure)
        self.channels_opened += 1
        ch.pump = threading.Thread(target=ch.run_pump, name='oob-amt-lme-%d' % number)
        ch.pump.daemon = True
        ch.pump.start()
        return ch.user

    def socket_factory(self, address, timeout=None, source_address=None):
        """Signature of socket.create_connection, for the WS-Man transport's connection hook."""
        try:
            sock = self.open_channel(int(address[1]), timeout if isinstance(timeout, (int, float)) else None)
        except LMEError as exc:
            raise OSError(errno.EIO, str(exc))
        if isinstance(timeout, (int, float)):
            sock.settimeout(timeout)
        return sock

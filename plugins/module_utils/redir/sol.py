# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serial-over-LAN: read the host's serial console (BIOS, boot loader, kernel) and type into it.

After the session manager (session.py) has authenticated a ``SOL `` session:

  console -> 0x20 START_SOL_REDIRECTION (24 bytes: sequence, max transmit buffer, transmit timeout,
             transmit overflow timeout, host session receive timeout, receive flush timeout, heartbeat)
  device  -> 0x21 reply (23 bytes, status in byte 1)
  device  -> 0x2A data from the host (10-byte header, 16-bit length, text), 0x29 control lines,
             0x2B heartbeat, 0x25 keep-alive pong
  console -> 0x28 data to the host (keys), 0x2B heartbeat every few seconds (as MeshCommander does,
             so the device's receive timeout does not end the session), 0x22 to end (device: 0x23)

Written from MeshCommander ``amt-redir-ws-0.1.0.js`` (start parameters, heartbeat) and amtterm
``RedirectionConstants.h``/``redir.c`` (message numbers and lengths), not copied. No Ansible here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import struct
import time

from ansible_collections.oob.amt.plugins.module_utils.redir.errors import RedirDroppedError, RedirProtocolError
from ansible_collections.oob.amt.plugins.module_utils.redir.session import RedirSession

START_SOL = 0x20
START_SOL_REPLY = 0x21
END_SOL = 0x22
END_SOL_REPLY = 0x23
KEEPALIVE_PING = 0x24
KEEPALIVE_PONG = 0x25
DATA_TO_HOST = 0x28
CONTROLS_FROM_HOST = 0x29
DATA_FROM_HOST = 0x2A
HEARTBEAT = 0x2B

_FIXED = {START_SOL_REPLY: 23, END_SOL_REPLY: 8, KEEPALIVE_PONG: 8, KEEPALIVE_PING: 8, CONTROLS_FROM_HOST: 10,
          HEARTBEAT: 8}

MAX_TX_BUFFER = 10000
HEARTBEAT_INTERVAL = 2.0
MAX_CHUNK = 1000

# Key names usable in key sequences as <NAME> (VT100/ANSI sequences BIOS consoles understand).
KEYS = {
    'ESC': b'\x1b', 'ENTER': b'\r', 'TAB': b'\t', 'BACKSPACE': b'\x7f', 'SPACE': b' ',
    'UP': b'\x1b[A', 'DOWN': b'\x1b[B', 'RIGHT': b'\x1b[C', 'LEFT': b'\x1b[D',
    'HOME': b'\x1b[1~', 'INSERT': b'\x1b[2~', 'DEL': b'\x1b[3~', 'END': b'\x1b[4~', 'PGUP': b'\x1b[5~',
    'PGDN': b'\x1b[6~',
    'F1': b'\x1bOP', 'F2': b'\x1bOQ', 'F3': b'\x1bOR', 'F4': b'\x1bOS', 'F5': b'\x1b[15~', 'F6': b'\x1b[17~',
    'F7': b'\x1b[18~', 'F8': b'\x1b[19~', 'F9': b'\x1b[20~', 'F10': b'\x1b[21~', 'F11': b'\x1b[23~',
    'F12': b'\x1b[24~',
    'CTRL_C': b'\x03', 'CTRL_ALT_DEL': b'\x1bR\x1br\x1bR',
}
_KEY_RE = re.compile(r'<([A-Z0-9_]+)>')


def encode_keys(text):
    """'abc<ENTER><F2>' -> bytes; unknown <NAME> raises ValueError naming it."""
    out = b''
    pos = 0
    for match in _KEY_RE.finditer(text):
        out += text[pos:match.start()].encode('utf-8')
        name = match.group(1)
        if name not in KEYS:
            raise ValueError('unknown key <%s>; known keys: %s' % (name, ', '.join(sorted(KEYS))))
        out += KEYS[name]
        pos = match.end()
    return out + text[pos:].encode('utf-8')


class SolConsole(object):
    """The SOL layer over an authenticated RedirSession."""

    def __init__(self, session):
        if not isinstance(session, RedirSession):
            raise TypeError('session must be a RedirSession')
        self.session = session
        self.seq = 1
        self.received = 0
        self.sent = 0
        self.control_events = 0
        self.closed_by_device = False
        self._last_heartbeat = 0.0

    def _send(self, cmd, body=b''):
        self.session.send(struct.pack('<BBBBI', cmd, 0, 0, 0, self.seq) + body)
        self.seq += 1

    def open(self):
        s = self.session
        self._send(START_SOL, struct.pack('<HHHHHHI', MAX_TX_BUFFER, 100, 0, 10000, 100, 0, 0))
        deadline = time.monotonic() + s.timeout
        s.fill(2, deadline, 'starting Serial-over-LAN')
        if s.buf[0] != START_SOL_REPLY:
            raise s._err(RedirProtocolError, 'expected the SOL start reply, got message 0x%02x' % s.buf[0])
        if s.buf[1] != 0:
            raise s._err(RedirProtocolError, 'the device refused to start Serial-over-LAN (status %d)' % s.buf[1])
        s.fill(23, deadline, 'starting Serial-over-LAN')
        s.take(23)
        self._last_heartbeat = time.monotonic()

    def _message(self):
        """The next complete message from the buffer, or None."""
        buf = self.session.buf
        if not buf:
            return None
        cmd = buf[0]
        if cmd == DATA_FROM_HOST:
            if len(buf) < 10:
                return None
            need = 10 + struct.unpack_from('<H', buf, 8)[0]
        elif cmd in _FIXED:
            need = _FIXED[cmd]
        else:
            raise self.session._err(RedirProtocolError, 'unknown Serial-over-LAN message 0x%02x' % cmd)
        if len(buf) < need:
            return None
        return self.session.take(need)

    def read(self, wait):
        """Console bytes that arrived within ``wait`` seconds (b'' when none). Sends heartbeats."""
        s = self.session
        out = b''
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            msg = self._message()
            while msg is not None:
                cmd = msg[0]
                if cmd == DATA_FROM_HOST:
                    out += msg[10:]
                elif cmd == CONTROLS_FROM_HOST:
                    self.control_events += 1
                elif cmd == KEEPALIVE_PING:
                    self._send(KEEPALIVE_PONG)
                elif cmd == END_SOL_REPLY:
                    self.closed_by_device = True
                msg = self._message()
            now = time.monotonic()
            if now - self._last_heartbeat >= HEARTBEAT_INTERVAL and s.sock is not None:
                self._send(HEARTBEAT)
                self._last_heartbeat = now
            if out or now >= deadline or self.closed_by_device:
                break
            if not s.poll(min(deadline - now, HEARTBEAT_INTERVAL)):
                if s.sock is None:
                    self.received += len(out)
                    raise s._err(RedirDroppedError, 'the device closed the Serial-over-LAN session (after %d '
                                 'bytes of console output)' % self.received, bytes_captured=self.received)
        self.received += len(out)
        return out

    def write(self, data):
        for pos in range(0, len(data), MAX_CHUNK):
            piece = data[pos:pos + MAX_CHUNK]
            self._send(DATA_TO_HOST, struct.pack('<H', len(piece)) + piece)
            self.sent += len(piece)

    def close(self, wait=1.0):
        s = self.session
        if s.sock is not None and not self.closed_by_device:
            try:
                self._send(END_SOL)
                deadline = time.monotonic() + wait
                while not self.closed_by_device and time.monotonic() < deadline:
                    if not s.poll(deadline - time.monotonic()):
                        break
                    msg = self._message()
                    while msg is not None:
                        if msg[0] == END_SOL_REPLY:
                            self.closed_by_device = True
                        msg = self._message()
            except Exception:
                pass
        s.end_session()

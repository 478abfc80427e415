# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One connection to one firmware client of the MEI (HECI) device.

The Linux MEI driver (``/dev/mei0``) is message-based: after ``IOCTL_MEI_CONNECT_CLIENT`` with the client's
GUID, every ``write()`` is one message to that firmware client and every ``read()`` returns one message.
The firmware clients used here (GUIDs as in rpc-go ``pkg/heci/linux.go``):

* AMTHI (PTHI): AMT host interface commands (local system account, control mode ...)
* LME: the APF port-forwarding protocol that carries WS-Man when no LMS runs (``host/lme.py``)
* the "watchdog" client that also answers the state-independence commands (AMT enabled, TLS enforced
  on local ports; rpc-go ``pkg/pthi/commands.go`` GetIsAMTEnabled/SetAmtOperationalState)

Besides a character device, ``device`` may name a Unix SEQPACKET socket that speaks the same framing
(the test simulator's MEI stand-in): the first message sent is the 16-byte client GUID (what the ioctl
carries), the answer is the 16 bytes the ioctl returns (max message length, protocol version); then
each message is one datagram, exactly as read()/write() on the device.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import select
import socket
import stat
import struct
import threading
import uuid

MEI_DEVICES = ('/dev/mei0', '/dev/mei')
AMTHI_GUID = uuid.UUID('12f80028-b4b7-4b2d-aca8-46e0ff65814c')
LME_GUID = uuid.UUID('6733a4db-0476-4e7b-b3af-bcfc29bee7a7')
WATCHDOG_GUID = uuid.UUID('05b79a6f-4628-4d7f-899d-a91514cb32ab')
# _IOWR('H', 0x01, struct mei_connect_client_data): 16-byte GUID in, struct mei_client out
IOCTL_MEI_CONNECT_CLIENT = 0xC0104801
CLIENT_PROPERTIES = struct.Struct('<IB3x')      # max_msg_length, protocol_version, reserved


class MEIError(Exception):
    pass


class MEITimeout(MEIError):
    pass


def _is_socket(path):
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


class HeciConnection(object):
    """A connected firmware client: send(message), recv(timeout) -> message, close()."""

    def __init__(self, guid, device=None, opener=os.open, ioctl=None):
        self.guid = guid
        self.device = device
        self.fd = None
        self.sock = None
        self.max_message = 4096
        self.protocol_version = None
        self._open = opener
        self._ioctl = ioctl
        self.closed = False
        # close() may come from another thread while a reader waits in recv() (host/lme.py): the lock orders the
        # read against the close (no read of a descriptor that was closed, or whose number was reused), and the
        # wake pipe ends the reader's select at once instead of leaving it on a closed descriptor.
        self._lock = threading.Lock()
        self._wake = None

    # -- connect --------------------------------------------------------------------------
    def connect(self):
        candidates = [self.device] if self.device else list(MEI_DEVICES)
        last = None
        for path in candidates:
            if _is_socket(path):
                return self._connect_socket(path)
            try:
                self.fd = self._open(path, os.O_RDWR)
                self.device = path
                break
            except OSError as exc:
                last = exc
        if self.fd is None:
            if last is not None and last.errno in (errno.EACCES, errno.EPERM):
                raise MEIError('cannot open %s: permission denied (run the task with become: true)' % candidates[0])
            raise MEIError('no MEI device (%s): the Intel MEI driver is not loaded or this is not an Intel AMT '
                           'system' % ', '.join(candidates))
        buf = bytearray(self.guid.bytes_le)
        ioctl = self._ioctl
        if ioctl is None:
            import fcntl
            ioctl = fcntl.ioctl
        try:
            ioctl(self.fd, IOCTL_MEI_CONNECT_CLIENT, buf, True)
        except OSError as exc:
            self.close()
            raise MEIError('cannot connect to the MEI client %s (%s)' % (self.guid, exc.strerror or exc))
        self.max_message, self.protocol_version = CLIENT_PROPERTIES.unpack_from(bytes(buf))
        return self

    def _connect_socket(self, path):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.settimeout(10)
            sock.connect(path)
            sock.send(self.guid.bytes_le)
            answer = sock.recv(64)
        except OSError as exc:
            sock.close()
            raise MEIError('cannot connect to the MEI stand-in %s (%s)' % (path, exc))
        if len(answer) < CLIENT_PROPERTIES.size:
            sock.close()
            raise MEIError('cannot connect to the MEI client %s (not present)' % self.guid)
        self.max_message, self.protocol_version = CLIENT_PROPERTIES.unpack_from(answer)
        self.sock = sock
        self.device = path
        return self

    # -- messages -------------------------------------------------------------------------
    def fileno(self):
        return self.sock.fileno() if self.sock is not None else self.fd

    def _ensure(self):
        if self.closed:
            raise MEIError('the MEI connection is closed')
        if self.fd is None and self.sock is None:
            self.connect()

    def send(self, data):
        self._ensure()
        if len(data) > self.max_message:
            raise MEIError('MEI message of %d bytes exceeds the client maximum %d' % (len(data), self.max_message))
        try:
            if self.sock is not None:
                self.sock.sendall(data)
            else:
                os.write(self.fd, data)
        except OSError as exc:
            raise MEIError('writing to the MEI device failed (%s)' % (exc.strerror or exc))

    def recv(self, timeout=None):
        """One message; MEITimeout when none arrives within timeout (None: wait); MEIError when the connection is
        closed, also by close() from another thread while this one waits."""
        self._ensure()
        size = max(self.max_message or 4096, 4096)
        with self._lock:
            if self.closed:
                raise MEIError('the MEI connection is closed')
            if self._wake is None:
                self._wake = os.pipe()
            fd, wake = self.fileno(), self._wake[0]
        try:
            ready, _w, _x = select.select([fd, wake], [], [], timeout)
            if not ready:
                raise MEITimeout('no answer from the MEI client within %gs' % timeout)
            with self._lock:
                if self.closed or wake in ready:
                    raise MEIError('the MEI connection is closed')
                if self.sock is not None:
                    self.sock.settimeout(None)
                    data = self.sock.recv(size)
                else:
                    data = os.read(self.fd, size)
        except MEIError:
            raise
        except (OSError, ValueError) as exc:
            if self.closed:
                raise MEIError('the MEI connection is closed')
            raise MEIError('reading from the MEI device failed (%s)' % (getattr(exc, 'strerror', None) or exc))
        if not data:
            raise MEIError('the MEI client closed the connection')
        return data

    def call(self, request, timeout=10):
        self.send(request)
        return self.recv(timeout)

    def close(self):
        self.closed = True
        if self._wake is not None:
            try:
                os.write(self._wake[1], b'x')      # a reader waiting in select() wakes up and sees closed
            except OSError:
                pass
        with self._lock:
            if self.sock is not None:
                try:
                    self.sock.close()
                finally:
                    self.sock = None
            if self.fd is not None:
                try:
                    os.close(self.fd)
                finally:
                    self.fd = None
            wake, self._wake = self._wake, None
        if wake is not None:
            # the reader has left select() (it reads only under the lock, after checking closed) or never entered
            # it with this pipe; a select still running on it sees the write end closed (readable: EOF)
            for end in wake:
                try:
                    os.close(end)
                except OSError:
                    pass

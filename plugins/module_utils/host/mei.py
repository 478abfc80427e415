# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host side of AMT: the MEI (HECI) device and the AMTHI GetLocalSystemAccount command.

Host-based activation talks to the firmware through the Local Manageability Service on
localhost with the "local system account" the firmware hands out over MEI.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import struct
import uuid

MEI_DEVICES = ('/dev/mei0', '/dev/mei')
AMTHI_GUID = uuid.UUID('12f80028-b4b7-4b2d-aca8-46e0ff65814c')
# _IOWR('H', 0x01, struct mei_connect_client_data) - 16-byte GUID in, properties out
IOCTL_MEI_CONNECT_CLIENT = 0xC0104801
AMTHI_MAJOR, AMTHI_MINOR = 1, 1
GET_LOCAL_SYSTEM_ACCOUNT_REQUEST = 0x04000067
GET_LOCAL_SYSTEM_ACCOUNT_RESPONSE = 0x04800067
REQUEST_HEADER = struct.Struct('<BBHII')        # version major/minor, reserved, command, length
RESPONSE_HEADER = struct.Struct('<BBHIII')      # ... plus status
ACCOUNT_FIELD = 33


class MEIError(Exception):
    pass


def encode_request(command, payload=b''):
    return REQUEST_HEADER.pack(AMTHI_MAJOR, AMTHI_MINOR, 0, command, len(payload)) + payload


def local_system_account_request():
    return encode_request(GET_LOCAL_SYSTEM_ACCOUNT_REQUEST, b'\x00' * 40)


def _cstring(raw):
    return raw.split(b'\x00', 1)[0].decode('ascii', 'replace')


def decode_local_system_account(data):
    """(username, password) from a GetLocalSystemAccount response; raises MEIError."""
    if len(data) < RESPONSE_HEADER.size:
        raise MEIError('AMTHI response too short (%d bytes)' % len(data))
    major, minor, _reserved, command, length, status = RESPONSE_HEADER.unpack_from(data)
    if command != GET_LOCAL_SYSTEM_ACCOUNT_RESPONSE:
        raise MEIError('unexpected AMTHI response 0x%08X to GetLocalSystemAccount' % command)
    if status != 0:
        raise MEIError('GetLocalSystemAccount failed with AMT status %d' % status)
    body = data[RESPONSE_HEADER.size:]
    if len(body) < 2 * ACCOUNT_FIELD:
        raise MEIError('GetLocalSystemAccount response carries no account (%d bytes)' % len(body))
    return _cstring(body[:ACCOUNT_FIELD]), _cstring(body[ACCOUNT_FIELD:2 * ACCOUNT_FIELD])


class MEIClient(object):
    """A connection to the AMTHI client of the MEI device (file-descriptor based, so tests can mock it)."""

    def __init__(self, device=None, opener=os.open, ioctl=None):
        self.device = device
        self._open = opener
        self._ioctl = ioctl
        self.fd = None
        self.max_message = None

    def connect(self):
        candidates = [self.device] if self.device else list(MEI_DEVICES)
        last = None
        for path in candidates:
            try:
                self.fd = self._open(path, os.O_RDWR)
                break
            except OSError as exc:
                last = exc
        if self.fd is None:
            if last is not None and last.errno in (errno.EACCES, errno.EPERM):
                raise MEIError('cannot open %s: permission denied (run the task with become: true)' % candidates[0])
            raise MEIError('no MEI device (%s): the Intel MEI driver is not loaded or this is not an Intel AMT '
                           'system; give local_username/local_password instead' % ', '.join(candidates))
        buf = bytearray(AMTHI_GUID.bytes_le)
        ioctl = self._ioctl
        if ioctl is None:
            import fcntl
            ioctl = fcntl.ioctl
        try:
            ioctl(self.fd, IOCTL_MEI_CONNECT_CLIENT, buf, True)
        except OSError as exc:
            self.close()
            raise MEIError('cannot connect to the AMTHI client of the MEI device (%s)' % (exc.strerror or exc))
        self.max_message = struct.unpack_from('<I', bytes(buf))[0]
        return self

    def call(self, request):
        if self.fd is None:
            self.connect()
        os.write(self.fd, request)
        return os.read(self.fd, max(self.max_message or 4096, 4096))

    def local_system_account(self):
        return decode_local_system_account(self.call(local_system_account_request()))

    def close(self):
        if self.fd is not None:
            try:
                os.close(self.fd)
            finally:
                self.fd = None

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host side of AMT: the MEI (HECI) device and the AMTHI GetLocalSystemAccount command.

Host-based activation talks to the firmware through the Local Manageability Service on
localhost with the "local system account" the firmware hands out over MEI.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import struct
import uuid

from ansible_collections.oob.amt.plugins.module_utils.host.heci import WATCHDOG_GUID, HeciConnection, MEITimeout
from ansible_collections.oob.amt.plugins.module_utils.host.heci import MEIError as _HeciError

AMTHI_GUID = uuid.UUID('12f80028-b4b7-4b2d-aca8-46e0ff65814c')
AMTHI_MAJOR, AMTHI_MINOR = 1, 1
GET_LOCAL_SYSTEM_ACCOUNT_REQUEST = 0x04000067
GET_LOCAL_SYSTEM_ACCOUNT_RESPONSE = 0x04800067
REQUEST_HEADER = struct.Struct('<BBHII')        # version major/minor, reserved, command, length
RESPONSE_HEADER = struct.Struct('<BBHIII')      # ... plus status
ACCOUNT_FIELD = 33


MEIError = _HeciError
GET_CONTROL_MODE_REQUEST = 0x0400006B
GET_CONTROL_MODE_RESPONSE = 0x0480006B


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
    """The AMTHI client of the MEI device: one HeciConnection (host/heci.py owns opening, the connect ioctl and
    the framing, also for the simulator's stand-in socket) and the AMTHI requests this module knows."""

    def __init__(self, device=None, opener=os.open, ioctl=None):
        self._conn = HeciConnection(AMTHI_GUID, device, opener=opener, ioctl=ioctl)

    @property
    def max_message(self):
        return self._conn.max_message

    def connect(self):
        try:
            self._conn.connect()
        except MEIError as exc:
            if 'no MEI device' in str(exc):
                raise MEIError('%s; give local_username/local_password instead' % exc)
            raise
        return self

    def call(self, request, timeout=10):
        return self._conn.call(request, timeout)

    def local_system_account(self):
        return decode_local_system_account(self.call(local_system_account_request()))

    def control_mode(self):
        """0 pre-provisioning, 1 CCM, 2 ACM (AMTHI GetControlMode, as rpc-go pkg/pthi/commands.go)."""
        return decode_control_mode(self.call(encode_request(GET_CONTROL_MODE_REQUEST)))

    def close(self):
        self._conn.close()


def decode_control_mode(data):
    if len(data) < RESPONSE_HEADER.size + 4:
        raise MEIError('AMTHI GetControlMode answer too short (%d bytes)' % len(data))
    _major, _minor, _reserved, command, _length, status = RESPONSE_HEADER.unpack_from(data)
    if command != GET_CONTROL_MODE_RESPONSE:
        raise MEIError('unexpected AMTHI response 0x%08X to GetControlMode' % command)
    if status != 0:
        raise MEIError('GetControlMode failed with AMT status %d' % status)
    return struct.unpack_from('<I', data, RESPONSE_HEADER.size)[0]


# -- state independence (the "watchdog" MEI client) ------------------------------------------------
# rpc-go pkg/pthi/commands.go GetIsAMTEnabled / SetAmtOperationalState and internal/amt/commands.go
# ChangeEnabledResponse: a 4-byte request (command 0x05, byte count, sub-command, version 0x10); the
# answer to IsChangeToAMTEnabled is one byte of flags.
IS_CHANGE_TO_AMT_ENABLED = bytes(bytearray([0x05, 0x02, 0x51, 0x10]))
SET_AMT_OPERATIONAL_STATE = bytes(bytearray([0x05, 0x03, 0x53, 0x10]))


def decode_change_enabled(data):
    if not data:
        raise MEIError('empty answer to IsChangeToAMTEnabled')
    flags = bytearray(data)[0]
    return {'transition_allowed': bool(flags & 0x01), 'amt_enabled': bool(flags & 0x02),
            'tls_enforced_local': bool(flags & 0x40), 'new_interface': bool(flags & 0x80), 'raw': flags}


def encode_set_operational_state(enabled):
    return SET_AMT_OPERATIONAL_STATE + bytes(bytearray([1 if enabled else 0]))


def decode_set_operational_state(data):
    if len(data) < 8:
        raise MEIError('SetAmtOperationalState answer too short (%d bytes)' % len(data))
    return struct.unpack_from('<I', data, 4)[0]


def amt_operational_state(device=None, timeout=5, connection=None):
    """Flags of IsChangeToAMTEnabled, or None when the firmware does not answer (AMT 11 and older time out,
    as rpc-go notes in cmd/main.go updateConnectionSettings)."""
    conn = connection or HeciConnection(WATCHDOG_GUID, device)
    try:
        try:
            return decode_change_enabled(conn.call(IS_CHANGE_TO_AMT_ENABLED, timeout))
        except MEITimeout:
            return None
    finally:
        if connection is None:
            conn.close()


def set_amt_enabled(device=None, enabled=True, timeout=10, connection=None):
    conn = connection or HeciConnection(WATCHDOG_GUID, device)
    try:
        status = decode_set_operational_state(conn.call(encode_set_operational_state(enabled), timeout))
    finally:
        if connection is None:
            conn.close()
    if status != 0:
        raise MEIError('SetAmtOperationalState(%s) failed with AMT status %d'
                       % ('enabled' if enabled else 'disabled', status))

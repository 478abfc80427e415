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


def _amthi_status(data, expected_command, name, minimum=0):
    """The status of an AMTHI answer after its header is checked (length, response code); raises MEIError."""
    if len(data) < RESPONSE_HEADER.size + minimum:
        raise MEIError('AMTHI %s answer too short (%d bytes)' % (name, len(data)))
    _major, _minor, _reserved, command, _length, status = RESPONSE_HEADER.unpack_from(data)
    if command != expected_command:
        raise MEIError('unexpected AMTHI response 0x%08X to %s' % (command, name))
    return status


def decode_local_system_account(data):
    """(username, password) from a GetLocalSystemAccount response; raises MEIError."""
    status = _amthi_status(data, GET_LOCAL_SYSTEM_ACCOUNT_RESPONSE, 'GetLocalSystemAccount')
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
    status = _amthi_status(data, GET_CONTROL_MODE_RESPONSE, 'GetControlMode', minimum=4)
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


# -- Secure Host-Based Configuration (CSME 19: ACM where TLS is enforced on local ports) -----------------------
# Layouts as rpc-go (device-management-toolkit, 2026-08) pkg/pthi/types.go StartConfigurationHBasedRequest /
# StopConfigurationRequest and pkg/pthi/commands.go StartConfigurationHBased / StopConfiguration:
# request = header (command 0x0400008B, length 390) + hash algorithm (1 byte) + certificate hash (64 bytes, zero
# padded) + host VPN enable (1 byte) + DNS suffix list length (uint32) + DNS suffix list (5 x 64 bytes), 402 bytes;
# answer = response header with status + hash algorithm of the device certificate (1 byte) + its hash (64 bytes).
# StopConfiguration: header only (command 0x0400005E, length 0); answer: response header with status.
START_CONFIGURATION_HBASED_REQUEST = 0x0400008B
START_CONFIGURATION_HBASED_RESPONSE = 0x0480008B
STOP_CONFIGURATION_REQUEST = 0x0400005E
STOP_CONFIGURATION_RESPONSE = 0x0480005E
CERT_HASH_MAX_LENGTH = 64
DNS_SUFFIX_LIST_LENGTH = 5 * 64
HASH_ALGORITHMS = {0: 'MD5', 1: 'SHA1', 2: 'SHA256', 3: 'SHA384', 4: 'SHA224', 5: 'SHA512'}
HASH_SHA256, HASH_SHA384 = 2, 3
HASH_LENGTHS = {HASH_SHA256: 32, HASH_SHA384: 48}
# pkg/pthi/status.go
AMT_STATUS = {0: 'AMT_STATUS_SUCCESS', 1: 'AMT_STATUS_INTERNAL_ERROR', 2: 'AMT_STATUS_NOT_READY',
              3: 'AMT_STATUS_INVALID_AMT_MODE', 4: 'AMT_STATUS_INVALID_MESSAGE_LENGTH', 16: 'AMT_STATUS_NOT_PERMITTED',
              23: 'AMT_STATUS_MAX_LIMIT_REACHED', 36: 'AMT_STATUS_INVALID_PARAMETER',
              49: 'AMT_STATUS_CERTIFICATE_NOT_READY', 2053: 'AMT_STATUS_INVALID_HANDLE', 2068: 'AMT_STATUS_NOT_FOUND'}


def status_name(status):
    return '%d (%s)' % (status, AMT_STATUS.get(status, 'unknown'))


def start_configuration_hbased_request(hash_algorithm, cert_hash):
    """StartConfigurationHBased with the hash of the provisioning leaf certificate (SHA-256 or SHA-384, as rpc-go
    allows); no host VPN, no DNS suffix list (rpc-go pkg/amt/commands.go passes false, 0, zeros)."""
    if hash_algorithm not in HASH_LENGTHS:
        raise MEIError('StartConfigurationHBased takes a SHA-256 or SHA-384 certificate hash, not algorithm %s'
                       % hash_algorithm)
    if len(cert_hash) != HASH_LENGTHS[hash_algorithm]:
        raise MEIError('a %s hash has %d bytes, not %d'
                       % (HASH_ALGORITHMS[hash_algorithm], HASH_LENGTHS[hash_algorithm], len(cert_hash)))
    payload = (struct.pack('<B', hash_algorithm) + bytes(cert_hash).ljust(CERT_HASH_MAX_LENGTH, b'\x00')
               + b'\x00' + struct.pack('<I', 0) + b'\x00' * DNS_SUFFIX_LIST_LENGTH)
    return encode_request(START_CONFIGURATION_HBASED_REQUEST, payload)


def decode_start_configuration_hbased(data):
    """{'status', 'hash_algorithm', 'device_cert_hash'} from the answer. The hash is returned as rpc-go reads it
    (internal/certs/lmsTls.go decodeAMTCertHash): raw bytes of the algorithm's length, or ASCII hex when the field
    holds exactly that (newer firmware)."""
    status = _amthi_status(data, START_CONFIGURATION_HBASED_RESPONSE, 'StartConfigurationHBased')
    result = {'status': status, 'hash_algorithm': None, 'device_cert_hash': None}
    if status != 0:
        return result
    body = data[RESPONSE_HEADER.size:]
    if len(body) < 1 + CERT_HASH_MAX_LENGTH:
        raise MEIError('StartConfigurationHBased answer carries no certificate hash (%d bytes)' % len(body))
    algorithm = bytearray(body)[0]
    raw = bytes(body[1:1 + CERT_HASH_MAX_LENGTH])
    result['hash_algorithm'] = HASH_ALGORITHMS.get(algorithm, str(algorithm))
    size = HASH_LENGTHS.get(algorithm)
    if size is None:
        raise MEIError('StartConfigurationHBased: the device certificate hash uses %s; only SHA-256 and SHA-384 are '
                       'known' % result['hash_algorithm'])
    text = raw.rstrip(b'\x00').strip()
    if len(text) == 2 * size:
        try:
            result['device_cert_hash'] = bytes(bytearray.fromhex(text.decode('ascii')))
            return result
        except (UnicodeDecodeError, ValueError):
            pass
    result['device_cert_hash'] = raw[:size]
    return result


def stop_configuration_request():
    return encode_request(STOP_CONFIGURATION_REQUEST)


def decode_stop_configuration(data):
    return _amthi_status(data, STOP_CONFIGURATION_RESPONSE, 'StopConfiguration')


def start_configuration_hbased(device, hash_algorithm, cert_hash, timeout=30):
    client = MEIClient(device).connect()
    try:
        request = start_configuration_hbased_request(hash_algorithm, cert_hash)
        return decode_start_configuration_hbased(client.call(request, timeout))
    finally:
        client.close()


def stop_configuration(device, timeout=30):
    """AMT status of StopConfiguration (0: the device is back in pre-provisioning)."""
    client = MEIClient(device).connect()
    try:
        return decode_stop_configuration(client.call(stop_configuration_request(), timeout))
    finally:
        client.close()

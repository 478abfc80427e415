"""AMTHI StartConfigurationHBased / StopConfiguration bytes (Secure Host-Based Configuration, CSME 19 ACM).

Expected bytes written out field by field from rpc-go (device-management-toolkit/rpc-go, 2026-08):
pkg/pthi/types.go (StartConfigurationHBasedRequest/Response, StopConfigurationRequest/Response, the command codes
0x0400008B/0x0480008B and 0x0400005E/0x0480005E, CERT_HASH_MAX_LENGTH 64, MAX_SUFFIX_LENGTH 64 x MAX_DNS_SUFFIXES 5)
and pkg/pthi/commands.go (CreateRequestHeader(START_CONFIGURATION_HBASED_REQUEST, 390), 402 bytes written with
binary.Write little endian; the answer read by ReadHeaderResponse, then HashAlgorithm (1 byte), AMTCertHash (64)).
rpc-go has no byte-level test of these two commands; internal/certs/lmsTls_test.go covers the hash decoding.
"""
import hashlib
import struct

import pytest

from ansible_collections.oob.amt.plugins.module_utils.host import mei


def test_start_configuration_hbased_request_layout():
    digest = hashlib.sha256(b'leaf certificate DER').digest()
    raw = mei.start_configuration_hbased_request(mei.HASH_SHA256, digest)
    assert len(raw) == 402
    # header: version 1.1, reserved 0, command, length 390
    assert raw[:12] == bytes([1, 1, 0, 0]) + bytes.fromhex('8b000004') + bytes.fromhex('86010000')
    assert raw[12] == 2                                  # CERT_HASH_ALGORITHM_SHA256
    assert raw[13:13 + 32] == digest and raw[45:77] == b'\x00' * 32    # 64-byte field, zero padded
    assert raw[77] == 0                                  # HostVPNEnable false
    assert raw[78:82] == b'\x00\x00\x00\x00'             # SuffixListLen 0
    assert raw[82:] == b'\x00' * 320                     # NetworkDNSSuffixList


def test_start_configuration_hbased_sha384_and_refusals():
    digest = hashlib.sha384(b'x').digest()
    raw = mei.start_configuration_hbased_request(mei.HASH_SHA384, digest)
    assert raw[12] == 3 and raw[13:61] == digest and raw[61:77] == b'\x00' * 16
    with pytest.raises(mei.MEIError):
        mei.start_configuration_hbased_request(1, hashlib.sha1(b'x').digest())     # rpc-go: SHA-256/384 only
    with pytest.raises(mei.MEIError):
        mei.start_configuration_hbased_request(mei.HASH_SHA256, digest)           # length does not match


def _answer(command, status, body=b''):
    return struct.pack('<BBHIII', 1, 1, 0, command, 4 + len(body), status) + body


def test_start_configuration_hbased_answer_raw_and_hex_hash():
    device = hashlib.sha256(b'device cert').digest()
    raw = _answer(0x0480008B, 0, bytes([2]) + device.ljust(64, b'\x00'))
    assert mei.decode_start_configuration_hbased(raw) == {'status': 0, 'hash_algorithm': 'SHA256',
                                                          'device_cert_hash': device}
    # newer firmware: ASCII hex in the same 64-byte field (lmsTls.go decodeAMTCertHash)
    hexed = _answer(0x0480008B, 0, bytes([2]) + device.hex().encode())
    assert mei.decode_start_configuration_hbased(hexed)['device_cert_hash'] == device
    refused = mei.decode_start_configuration_hbased(_answer(0x0480008B, 16))
    assert refused['status'] == 16 and refused['device_cert_hash'] is None
    with pytest.raises(mei.MEIError):
        mei.decode_start_configuration_hbased(_answer(0x04800067, 0, b'\x00' * 65))


def test_stop_configuration_layout():
    assert mei.stop_configuration_request() == bytes([1, 1, 0, 0]) + bytes.fromhex('5e000004') + b'\x00' * 4
    assert mei.decode_stop_configuration(_answer(0x0480005E, 0)) == 0
    assert mei.decode_stop_configuration(_answer(0x0480005E, 3)) == 3
    assert mei.status_name(16) == '16 (AMT_STATUS_NOT_PERMITTED)'

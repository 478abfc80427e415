"""MEI/AMTHI encoding with a mocked file descriptor, and the AMT password rules."""
import errno
import os
import struct

import pytest

from ansible_collections.oob.amt.plugins.module_utils.host import mei
from ansible_collections.oob.amt.plugins.module_utils.amt.password import (
    admin_password_digest_raw, admin_password_hash, check_password)


def response(status=0, user=b'$$OsAdmin', password=b'Zx9+Secret', command=mei.GET_LOCAL_SYSTEM_ACCOUNT_RESPONSE):
    body = user.ljust(33, b'\x00') + password.ljust(33, b'\x00')
    return struct.pack('<BBHIII', 1, 1, 0, command, len(body) + 4, status) + body


def test_request_encoding():
    req = mei.local_system_account_request()
    assert len(req) == 52
    assert struct.unpack_from('<BBHII', req) == (1, 1, 0, 0x04000067, 40)
    assert req[12:] == b'\x00' * 40


def test_decode_account():
    assert mei.decode_local_system_account(response()) == ('$$OsAdmin', 'Zx9+Secret')


@pytest.mark.parametrize('data,fragment', [(b'\x01\x01', 'too short'), (response(status=16), 'status 16'),
                                           (response(command=0x04800011), 'unexpected'),
                                           (response()[:40], 'no account')])
def test_decode_errors(data, fragment):
    with pytest.raises(mei.MEIError, match=fragment):
        mei.decode_local_system_account(data)


def test_client_with_mocked_fd(monkeypatch):
    r, w = os.pipe()
    written = []
    calls = []

    def fake_ioctl(fd, request, buf, mutate):
        calls.append((fd, request, bytes(buf)))
        struct.pack_into('<IB', buf, 0, 4096, 1)

    real_write = os.write
    os.write(w, b'!')                                   # the answer is ready when the client waits for it
    monkeypatch.setattr(mei.os, 'write', lambda fd, data: written.append(data) or len(data) if fd == r
                        else real_write(fd, data))
    monkeypatch.setattr(mei.os, 'read', lambda fd, n: response())
    client = mei.MEIClient('/dev/mei0', opener=lambda path, flags: r, ioctl=fake_ioctl)
    assert client.local_system_account() == ('$$OsAdmin', 'Zx9+Secret')
    assert calls[0][1] == 0xC0104801 and calls[0][2] == mei.AMTHI_GUID.bytes_le
    assert written[0] == mei.local_system_account_request() and client.max_message == 4096
    client.close()
    os.close(w)


def test_missing_device_and_permission():
    def missing(path, flags):
        raise OSError(errno.ENOENT, 'no such file')

    def denied(path, flags):
        raise OSError(errno.EACCES, 'denied')
    with pytest.raises(mei.MEIError, match='no MEI device'):
        mei.MEIClient(opener=missing).connect()
    with pytest.raises(mei.MEIError, match='become'):
        mei.MEIClient('/dev/mei0', opener=denied).connect()


@pytest.mark.parametrize('password,ok', [('P@ssw0rd', True), ('N3w-Admin!pw', True), ('p@ssw0rd', False),
                                         ('P@SSW0RD', False), ('Passw0rd', False), ('P@ssword', False),
                                         ('P@s0', False), ('P@ssw0rd' * 5, False), ('P@ss:w0rd', False),
                                         ('Pass_w0rd', False), ('P@ss w0rd', True)])
def test_password_rules(password, ok):
    problems = check_password(password)
    assert (problems == []) is ok
    assert all(password not in p for p in problems)


def test_admin_password_hash_check_value():
    # check value from the protocol reference (§5.3.3)
    assert admin_password_hash('Digest:Realm', 'bebb3497d69b544c732651365cc3462d') == 'f73b2c17b1ecbd7a235ec37d66cbed71'
    assert admin_password_digest_raw('Digest:Realm', 'bebb3497d69b544c732651365cc3462d').hex() == \
        'f73b2c17b1ecbd7a235ec37d66cbed71'

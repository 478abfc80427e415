# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One redirection session with an AMT device: TCP 16994 (plain) or 16995 (TLS), binary framing.

The session manager part of the protocol, shared by SOL and storage redirection (IDE-R/USB-R):

* ``StartRedirectionSession`` (0x10) names the protocol (``SOL `` or ``IDER``); the reply (0x11)
  carries a status: 0 success, 2 busy (a session of that kind is already open), 3 unsupported
  (the feature is disabled), 0xFF error.
* ``AuthenticateSession`` (0x13) first queries the offered methods (type 0), then runs HTTP digest
  *inside* the protocol (type 4, with cnonce and qop): the client names itself and the URI
  ``/RedirectionService``, the reply (0x14, status 1) brings realm, nonce and qop, the client answers
  with MD5(HA1:nonce:nc:cnonce:qop:HA2) where HA2 = MD5("POST:/RedirectionService"). Status 0 is success.
* All integers are little-endian; strings in the digest data are length-prefixed with one byte.

Written from the behaviour of Intel's clients, not copied: MeshCommander ``amt-redir-ws-0.1.0.js`` /
``amt-redir-node-0.1.0.js`` (message flow, auth data layout, status meanings) and amtterm
``RedirectionConstants.h`` / ``redir.c`` (message numbers and lengths). See docs/dev/redirection.md.
Knows nothing about Ansible.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import socket
import ssl
import struct
import time

from ansible_collections.oob.amt.plugins.module_utils.redir.errors import (
    RedirAuthError, RedirBusyError, RedirDroppedError, RedirProtocolError, RedirRefusedError,
    WsmanConnectionError, WsmanTimeoutError, WsmanTLSError)
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import build_ssl_context, normalise_fingerprint

PLAIN_PORT = 16994
TLS_PORT = 16995
AUTH_URI = '/RedirectionService'

START_SESSION = 0x10
START_SESSION_REPLY = 0x11
END_SESSION = 0x12
AUTHENTICATE = 0x13
AUTHENTICATE_REPLY = 0x14

PROTOCOLS = {'sol': b'SOL ', 'ider': b'IDER'}
PROTOCOL_NAMES = {'sol': 'Serial-over-LAN', 'ider': 'storage redirection (IDE-R/USB-R)'}

AUTH_QUERY = 0
AUTH_USERPASS = 1
AUTH_KERBEROS = 2
AUTH_DIGEST_LEGACY = 3
AUTH_DIGEST = 4
AUTH_NAMES = {0: 'query', 1: 'basic (user/password in clear)', 2: 'Kerberos', 3: 'digest without cnonce',
              4: 'digest'}

STATUS_BUSY = 2
STATUS_UNSUPPORTED = 3


def _md5(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()  # noqa: S324 - mandated by the protocol


def _lp(value):
    """One-byte length prefix + bytes (the digest fields of AuthenticateSession)."""
    data = value.encode('utf-8') if not isinstance(value, bytes) else value
    if len(data) > 255:
        raise ValueError('field longer than 255 bytes')
    return struct.pack('<B', len(data)) + data


def digest_auth_data(username, realm='', nonce='', uri=AUTH_URI, cnonce='', nc='', response='', qop=''):
    """The data part of an AuthenticateSession message of type 4 (empty fields for the first message)."""
    return b''.join(_lp(v) for v in (username, realm, nonce, uri, cnonce, nc, response, qop))


def parse_lp_fields(data, count):
    """Split length-prefixed fields; raises ValueError when the data is short."""
    out = []
    pos = 0
    for _unused in range(count):
        if pos >= len(data):
            raise ValueError('truncated field list')
        length = data[pos]
        if pos + 1 + length > len(data):
            raise ValueError('truncated field')
        out.append(data[pos + 1:pos + 1 + length].decode('latin-1'))
        pos += 1 + length
    return out


def digest_response(username, password, realm, nonce, cnonce, nc, qop, uri=AUTH_URI):
    ha1 = _md5('%s:%s:%s' % (username, realm, password))
    ha2 = _md5('POST:%s' % uri)
    if qop:
        return _md5('%s:%s:%s:%s:%s:%s' % (ha1, nonce, nc, cnonce, qop, ha2))
    return _md5('%s:%s:%s' % (ha1, nonce, ha2))


def amt_major(version):
    try:
        return int(str(version).split('.', 1)[0])
    except (TypeError, ValueError):
        return None


def storage_protocol_name(amt_version):
    """What the host sees: IDE-R (an IDE CD/floppy) through AMT 10, USB-R (a USB drive) from AMT 11 on.

    The wire protocol on 16994/16995 is the same ("IDER" session, ATAPI/SCSI commands) for both
    (Intel AMT developer guide, "Storage Redirection").
    """
    major = amt_major(amt_version)
    if major is None:
        return None
    return 'usb-r' if major >= 11 else 'ide-r'


class RedirSession(object):
    """A TCP/TLS connection that has started and authenticated one redirection session."""

    def __init__(self, host, port=None, use_tls=True, username='admin', password=None, validate_certs=True,
                 ca_path=None, client_cert=None, client_key=None, ciphers=None, min_tls_version=None,
                 cert_fingerprint=None, timeout=30):
        if not host:
            raise ValueError('host is required')
        self.host = host
        self.use_tls = bool(use_tls)
        self.port = int(port) if port else (TLS_PORT if self.use_tls else PLAIN_PORT)
        self.username = username or 'admin'
        self._password = password or ''
        self.timeout = float(timeout)
        self.cert_fingerprint = normalise_fingerprint(cert_fingerprint)
        self.ssl_context = None
        if self.use_tls:
            self.ssl_context = build_ssl_context(validate_certs=validate_certs, ca_path=ca_path,
                                                 client_cert=client_cert, client_key=client_key, ciphers=ciphers,
                                                 min_tls_version=min_tls_version,
                                                 cert_fingerprint=self.cert_fingerprint)
        self.sock = None
        self.protocol = None
        self.operation = None
        self.buf = bytearray()
        self.bytes_in = 0
        self.bytes_out = 0
        self.auth_methods = []
        self.peer_cert_sha256 = None
        self.tls_version = None
        self.closed_by_peer = False

    # -- errors ------------------------------------------------------------------------------
    def _err(self, cls, reason, **details):
        details.setdefault('port', self.port)
        return cls(reason, host=self.host, operation=self.operation, **details)

    # -- socket ------------------------------------------------------------------------------
    def connect(self, operation):
        self.operation = operation
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except (socket.timeout, TimeoutError):
            raise self._err(WsmanTimeoutError, 'no connection within %gs to redirection port %s'
                            % (self.timeout, self.port))
        except (ConnectionRefusedError, ConnectionResetError):
            # a closed port answers the SYN with a reset: refused, or reset when it races the connect
            raise self._err(RedirRefusedError, 'redirection port %s refused the connection: the redirection '
                            'listener is off' % self.port, refused=True)
        except OSError as exc:
            raise self._err(WsmanConnectionError, 'cannot connect to redirection port %s (%s)'
                            % (self.port, exc.strerror or exc))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.use_tls:
            self.sock = raw
            return
        try:
            server_name = self.host if self.ssl_context.check_hostname else None
            self.sock = self.ssl_context.wrap_socket(raw, server_hostname=server_name)
        except ssl.SSLCertVerificationError as exc:
            raw.close()
            raise self._err(WsmanTLSError, 'TLS certificate verification failed on port %s (%s)'
                            % (self.port, exc.verify_message or exc.reason))
        except ssl.SSLError as exc:
            raw.close()
            raise self._err(WsmanTLSError, 'TLS handshake failed on port %s (%s)' % (self.port, exc.reason or exc))
        except (socket.timeout, TimeoutError):
            raw.close()
            raise self._err(WsmanTimeoutError, 'no TLS handshake within %gs on port %s' % (self.timeout, self.port))
        except (ConnectionResetError, BrokenPipeError, OSError) as exc:
            raw.close()
            raise self._err(RedirRefusedError, 'the device closed redirection port %s during the TLS handshake '
                            '(%s): the redirection listener is off' % (self.port, type(exc).__name__))
        der = self.sock.getpeercert(binary_form=True)
        self.peer_cert_sha256 = hashlib.sha256(der).hexdigest() if der else None
        self.tls_version = self.sock.version()
        if self.cert_fingerprint and self.peer_cert_sha256 != self.cert_fingerprint:
            self.close()
            raise self._err(WsmanTLSError, 'the device certificate fingerprint %s does not match cert_fingerprint'
                            % self.peer_cert_sha256, hint='Check cert_fingerprint; the device certificate may '
                            'have been replaced')

    def send(self, data):
        if self.sock is None:
            raise self._err(RedirDroppedError, 'the session is closed')
        try:
            self.sock.settimeout(self.timeout)
            self.sock.sendall(data)
        except (socket.timeout, TimeoutError):
            raise self._err(WsmanTimeoutError, 'the device accepted no data for %gs' % self.timeout)
        except (OSError, ssl.SSLError) as exc:
            self._drop()
            raise self._err(RedirDroppedError, 'the connection broke while sending (%s)' % type(exc).__name__)
        self.bytes_out += len(data)

    def _drop(self):
        self.closed_by_peer = True
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def fill(self, size, deadline, what):
        """Read until the buffer holds ``size`` bytes; raise on timeout or a closed connection."""
        while len(self.buf) < size:
            if not self.poll(deadline - time.monotonic()):
                if self.sock is None:
                    raise self._err(RedirDroppedError, 'the device closed the session while %s' % what)
                raise self._err(WsmanTimeoutError, 'no answer within %gs while %s' % (self.timeout, what))
        return self.buf

    def poll(self, wait):
        """Wait up to ``wait`` seconds for more bytes; False on timeout or when the peer has closed."""
        if self.sock is None:
            return False
        pending = self.sock.pending() if hasattr(self.sock, 'pending') else 0
        try:
            self.sock.settimeout(max(0.001, wait) if not pending else 0.001)
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError, ssl.SSLWantReadError):
            return False
        except (OSError, ssl.SSLError):
            self._drop()
            return False
        if not data:
            self._drop()
            return False
        self.bytes_in += len(data)
        self.buf.extend(data)
        return True

    def take(self, size):
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    # -- session manager -------------------------------------------------------------------------
    def open(self, protocol, operation=None):
        """Connect, StartRedirectionSession(protocol), authenticate with digest. Raises typed errors."""
        if protocol not in PROTOCOLS:
            raise ValueError('protocol must be one of %s' % ', '.join(sorted(PROTOCOLS)))
        self.protocol = protocol
        self.connect(operation or 'open %s session' % PROTOCOL_NAMES[protocol])
        try:
            self._start(protocol)
            self._authenticate()
        except Exception:
            self.close(graceful=False)
            raise
        return self

    def _start(self, protocol):
        self.send(struct.pack('<BBBB', START_SESSION, 0, 0, 0) + PROTOCOLS[protocol])
        deadline = time.monotonic() + self.timeout
        try:
            self.fill(4, deadline, 'starting the session')
        except RedirDroppedError:
            raise self._err(RedirRefusedError, 'the device closed redirection port %s without starting a %s '
                            'session: the redirection listener is off or redirection is not allowed'
                            % (self.port, PROTOCOL_NAMES[protocol]))
        if self.buf[0] != START_SESSION_REPLY:
            raise self._err(RedirProtocolError, 'expected StartRedirectionSessionReply, got message 0x%02x'
                            % self.buf[0])
        status = self.buf[1]
        if status != 0:
            if status == STATUS_BUSY:
                raise self._err(RedirBusyError, 'the device refused a second %s session (status 2, busy: the '
                                'session limit is reached)' % PROTOCOL_NAMES[protocol], status=status)
            if status == STATUS_UNSUPPORTED:
                raise self._err(RedirRefusedError, 'the device refused the %s session (status 3, unsupported): '
                                'the feature is disabled' % PROTOCOL_NAMES[protocol], status=status)
            raise self._err(RedirRefusedError, 'the device refused the %s session (status 0x%02x)'
                            % (PROTOCOL_NAMES[protocol], status), status=status)
        self.fill(13, deadline, 'starting the session')
        oem = self.buf[12]
        self.fill(13 + oem, deadline, 'starting the session')
        self.take(13 + oem)

    def _auth_reply(self, what):
        deadline = time.monotonic() + self.timeout
        self.fill(9, deadline, what)
        if self.buf[0] != AUTHENTICATE_REPLY:
            raise self._err(RedirProtocolError, 'expected AuthenticateSessionReply, got message 0x%02x' % self.buf[0])
        length = struct.unpack_from('<I', self.buf, 5)[0]
        if length > 4096:
            raise self._err(RedirProtocolError, 'authentication data of %d bytes refused' % length)
        self.fill(9 + length, deadline, what)
        msg = self.take(9 + length)
        return msg[1], msg[4], msg[9:]

    def _send_auth(self, auth_type, data):
        self.send(struct.pack('<BBBBBI', AUTHENTICATE, 0, 0, 0, auth_type, len(data)) + data)

    def _authenticate(self):
        self._send_auth(AUTH_QUERY, b'')
        _status, _type, offered = self._auth_reply('querying the authentication methods')
        self.auth_methods = sorted(set(offered))
        if AUTH_DIGEST not in self.auth_methods:
            names = ', '.join(AUTH_NAMES.get(m, str(m)) for m in self.auth_methods) or 'none'
            raise self._err(RedirAuthError, 'the device offers no digest authentication for redirection '
                            '(offers: %s)' % names, hint='Only digest is supported (basic sends the password '
                            'in clear; Kerberos needs a domain ticket)')
        self._send_auth(AUTH_DIGEST, digest_auth_data(self.username))
        status, auth_type, data = self._auth_reply('waiting for the digest challenge')
        if status == 0:
            return      # no challenge needed (not seen on firmware, but harmless)
        if auth_type != AUTH_DIGEST or not data:
            raise self._err(RedirAuthError, 'the device refused user %r before the challenge' % self.username)
        try:
            realm, nonce, qop = parse_lp_fields(data, 3)
        except ValueError:
            raise self._err(RedirProtocolError, 'malformed digest challenge')
        cnonce = os.urandom(16).hex()
        nc = '00000002'   # MeshCommander sends 00000002 as the first count; firmware accepts any
        response = digest_response(self.username, self._password, realm, nonce, cnonce, nc, qop)
        self._send_auth(AUTH_DIGEST, digest_auth_data(self.username, realm, nonce, AUTH_URI, cnonce, nc, response, qop))
        try:
            status, _type, _data = self._auth_reply('authenticating')
        except RedirDroppedError:
            raise self._err(RedirAuthError, 'the device closed the session after the digest response '
                            '(wrong user name or password, or the account is locked)')
        if status != 0:
            raise self._err(RedirAuthError, 'digest authentication failed for user %r (wrong user name or '
                            'password, or the account is locked)' % self.username, status=status)

    def end_session(self):
        """EndRedirectionSession (0x12) and close."""
        if self.sock is not None:
            try:
                self.send(struct.pack('<BBBB', END_SESSION, 0, 0, 0))
            except Exception:
                pass
        self.close(graceful=False)

    def close(self, graceful=True):
        if graceful and self.sock is not None:
            self.end_session()
            return
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

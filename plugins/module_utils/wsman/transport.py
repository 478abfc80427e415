# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP(S) connection to one AMT device.

http.client + ssl rather than a higher-level library: we need exact control of the TLS
context (old firmware, pinning), of the timeout on connect and on every read, of the
response size (a hostile device must not exhaust memory) and of keep-alive reuse.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import socket
import ssl
import time

try:
    import http.client as http_client
except ImportError:  # pragma: no cover - Python 2 is not supported by this collection
    http_client = None

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanConnectionError, WsmanMalformedResponse, WsmanTimeoutError, WsmanTLSError)

TLS_VERSIONS = {
    '1.0': ssl.TLSVersion.TLSv1 if hasattr(ssl, 'TLSVersion') else None,
    '1.1': ssl.TLSVersion.TLSv1_1 if hasattr(ssl, 'TLSVersion') else None,
    '1.2': ssl.TLSVersion.TLSv1_2 if hasattr(ssl, 'TLSVersion') else None,
    '1.3': ssl.TLSVersion.TLSv1_3 if hasattr(ssl, 'TLSVersion') else None,
}

DEFAULT_MAX_RESPONSE = 8 * 1024 * 1024
_READ_CHUNK = 65536


class HTTPResult(object):
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


def normalise_fingerprint(value):
    if not value:
        return None
    cleaned = value.replace(':', '').replace('-', '').replace(' ', '').lower()
    if len(cleaned) != 64 or any(c not in '0123456789abcdef' for c in cleaned):
        raise ValueError('cert_fingerprint must be the SHA-256 fingerprint of the device certificate '
                         '(64 hex digits, colons allowed)')
    return cleaned


def build_ssl_context(validate_certs=True, ca_path=None, client_cert=None, client_key=None,
                      ciphers=None, min_tls_version=None, cert_fingerprint=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if min_tls_version:
        version = TLS_VERSIONS.get(str(min_tls_version))
        if version is None:
            raise ValueError('min_tls_version must be one of %s' % ', '.join(sorted(TLS_VERSIONS)))
        ctx.minimum_version = version
        if str(min_tls_version) in ('1.0', '1.1') and not ciphers:
            # OpenSSL 3 refuses TLS < 1.2 at the default security level; old AMT needs it.
            ctx.set_ciphers('DEFAULT:@SECLEVEL=0')
    if ciphers:
        ctx.set_ciphers(ciphers)
    if cert_fingerprint or not validate_certs:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = True
        if ca_path:
            import os
            if os.path.isdir(ca_path):
                ctx.load_verify_locations(capath=ca_path)
            else:
                ctx.load_verify_locations(cafile=ca_path)
        else:
            ctx.load_default_certs()
    if client_cert:
        ctx.load_cert_chain(client_cert, client_key)
    return ctx


class Transport(object):
    """Keep-alive HTTP(S) POSTs to /wsman with a hard deadline and size cap per exchange."""

    def __init__(self, host, port, use_tls=True, timeout=30, ssl_context=None, cert_fingerprint=None,
                 max_response_bytes=DEFAULT_MAX_RESPONSE, path='/wsman'):
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.timeout = float(timeout)
        self.ssl_context = ssl_context
        self.cert_fingerprint = normalise_fingerprint(cert_fingerprint)
        self.max_response_bytes = int(max_response_bytes)
        self.path = path
        self.exchanges = 0
        self.connections = 0
        self.peer_cert_sha256 = None
        self.tls_version = None
        self._conn = None

    # -- connection handling ------------------------------------------------------------
    def _new_connection(self):
        if self.use_tls:
            return http_client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        return http_client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _connect(self, operation):
        conn = self._new_connection()
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            raise WsmanTLSError('TLS certificate verification failed (%s)' % (exc.verify_message or exc.reason),
                                host=self.host, operation=operation)
        except ssl.SSLError as exc:
            conn.close()
            raise WsmanTLSError('TLS handshake failed (%s)' % (exc.reason or exc), host=self.host, operation=operation)
        except (socket.timeout, TimeoutError):
            conn.close()
            raise WsmanTimeoutError('no connection within %gs to port %s' % (self.timeout, self.port),
                                    host=self.host, operation=operation)
        except ConnectionRefusedError:
            conn.close()
            raise WsmanConnectionError('connection refused on port %s' % self.port, host=self.host,
                                       operation=operation, refused=True)
        except OSError as exc:
            conn.close()
            raise WsmanConnectionError('cannot connect to port %s (%s)' % (self.port, exc.strerror or exc),
                                       host=self.host, operation=operation)
        self.connections += 1
        if self.use_tls:
            der = conn.sock.getpeercert(binary_form=True)
            self.peer_cert_sha256 = hashlib.sha256(der).hexdigest() if der else None
            self.tls_version = conn.sock.version()
            if self.cert_fingerprint and self.peer_cert_sha256 != self.cert_fingerprint:
                conn.close()
                raise WsmanTLSError('the device certificate fingerprint %s does not match cert_fingerprint'
                                    % self.peer_cert_sha256, host=self.host, operation=operation,
                                    hint='Check cert_fingerprint; the device certificate may have been replaced')
        return conn

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    # -- one exchange -------------------------------------------------------------------
    def post(self, body, headers=None, operation=None):
        """POST body; returns HTTPResult. Raises typed errors.

        The raised WsmanConnectionError has details['sent'] telling whether the request may have
        reached the device (callers must not repeat a write in that case).
        """
        reused = self._conn is not None
        try:
            return self._post_once(body, headers, operation)
        except WsmanConnectionError as exc:
            # A kept-alive socket the device closed while idle fails before any byte of the answer:
            # the device never processed the request, so one fresh attempt is safe.
            if reused and exc.details.get('stale_keepalive'):
                self.close()
                return self._post_once(body, headers, operation)
            raise

    def _post_once(self, body, headers, operation):
        deadline = time.monotonic() + self.timeout
        if self._conn is None:
            self._conn = self._connect(operation)
        conn = self._conn
        hdrs = {'Content-Type': 'application/soap+xml; charset=utf-8', 'Connection': 'keep-alive',
                'Host': '%s:%s' % (self.host, self.port), 'User-Agent': 'oob.amt'}
        if headers:
            hdrs.update(headers)
        sent = False
        got_status = False
        try:
            conn.sock.settimeout(max(0.001, deadline - time.monotonic()))
            conn.request('POST', self.path, body=body, headers=hdrs)
            sent = True
            resp = conn.getresponse()
            got_status = True
            status = resp.status
            resp_headers = dict((k.lower(), v) for k, v in resp.getheaders())
            data = self._read_body(resp, deadline, operation)
        except WsmanMalformedResponse:
            self.close()
            raise
        except (socket.timeout, TimeoutError):
            self.close()
            raise WsmanTimeoutError('no complete answer within %gs' % self.timeout, host=self.host,
                                    operation=operation, sent=sent)
        except ssl.SSLError as exc:
            self.close()
            raise WsmanTLSError('TLS error during the exchange (%s)' % (exc.reason or exc), host=self.host,
                                operation=operation)
        except (http_client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            self.close()
            raise WsmanConnectionError('the device closed the connection %s (%s)'
                                       % ('mid-response' if got_status else 'before answering', type(exc).__name__),
                                       host=self.host, operation=operation, sent=sent,
                                       stale_keepalive=not got_status)
        except http_client.IncompleteRead:
            self.close()
            if time.monotonic() >= deadline - 0.05:
                # http.client reports a read timeout inside a chunked body as an incomplete read
                raise WsmanTimeoutError('no complete answer within %gs' % self.timeout, host=self.host,
                                        operation=operation, sent=True)
            raise WsmanConnectionError('the device dropped the connection mid-response', host=self.host,
                                       operation=operation, sent=True)
        except http_client.HTTPException as exc:
            self.close()
            raise WsmanMalformedResponse('the answer is not valid HTTP (%s)' % type(exc).__name__,
                                         host=self.host, operation=operation)
        except OSError as exc:
            self.close()
            raise WsmanConnectionError('network error (%s)' % (exc.strerror or exc), host=self.host,
                                       operation=operation, sent=sent)
        self.exchanges += 1
        if resp.will_close:
            self.close()
        return HTTPResult(status, resp_headers, data)

    def _read_body(self, resp, deadline, operation):
        chunks = []
        total = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout('deadline')
            if self._conn is not None and self._conn.sock is not None:
                self._conn.sock.settimeout(remaining)
            chunk = resp.read1(_READ_CHUNK) if not resp.isclosed() else b''
            if not chunk:
                break
            total += len(chunk)
            if total > self.max_response_bytes:
                raise WsmanMalformedResponse('response larger than %d bytes (refused)' % self.max_response_bytes,
                                             host=self.host, operation=operation)
            chunks.append(chunk)
        if not resp.isclosed():
            tail = resp.read()  # lets http.client mark the response complete (Content-Length bodies)
            if tail:
                chunks.append(tail)
        return b''.join(chunks)

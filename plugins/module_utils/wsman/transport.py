# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP(S) to one AMT device, on urllib3: one connection pool per device, a wall-clock deadline per exchange.

What urllib3 gives: keep-alive, chunked framing, header parsing, TLS through our own SSLContext. What we add
on top (docs/dev/transport.md explains each with the measurements):

- a deadline over the WHOLE exchange (connect, TLS handshake, request, status line, headers, body,
  chunk framing, and the digest round trip): one watchdog thread per process shuts the socket down when it
  passes, so a device that drips one byte per second fails at `timeout`, not at `timeout` per read;
- knowing whether any byte of a request was written (`sent`), so a write is never repeated once it
  may have reached the device;
- one SSLContext per set of TLS options for the whole process, and TLS session resumption on the
  reconnect that follows the 401 (firmware closes the connection after a challenge);
- the digest round trip (digest.py computes the headers, this file sends the answer on the same pool);
- SHA-256 pinning, no redirects, no retries, no content decoding, a size cap while streaming the body.

The pool is used directly (no requests Session in between): requests' request preparation, hooks, cookie
jar and response wrapping cost about 2 ms of CPU per device and gave nothing a device client uses (issue 16,
measured with scripts/bench_profile.py).

Patterns followed (read, not copied): requests' adapters.py (HTTPAdapter.init_poolmanager, send: the arguments
it gives the pool; cert_verify) and urllib3's connection.py (HTTPSConnection.connect,
_ssl_wrap_socket_and_match_hostname) and connectionpool.py (the pool's request path, _new_conn) of the installed
versions.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import heapq
import os
import socket
import ssl
import threading
import time
import traceback

try:
    from urllib3.connection import HTTPConnection as _U3HTTPConnection, HTTPSConnection as _U3HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool as _U3HTTPPool, HTTPSConnectionPool as _U3HTTPSPool
    from urllib3.util.timeout import Timeout as _U3Timeout
    from urllib3 import __version__ as _U3_VERSION
    # urllib3 1.x passes no server_hostname for an IP address, which our verifying SSLContext refuses
    # (check_hostname needs it): the connection classes below are written for 2.x.
    HAS_URLLIB3 = int(_U3_VERSION.split('.')[0]) >= 2
    URLLIB3_IMPORT_ERROR = None if HAS_URLLIB3 else 'urllib3 %s is installed; 2.0 or later is needed' % _U3_VERSION
except ImportError:  # pragma: no cover - reported by the module (missing_required_lib)
    HAS_URLLIB3 = False
    URLLIB3_IMPORT_ERROR = traceback.format_exc()
    _U3HTTPConnection = _U3HTTPSConnection = _U3HTTPPool = _U3HTTPSPool = object
    _U3Timeout = None

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanConnectionError, WsmanError, WsmanMalformedResponse, WsmanTimeoutError, WsmanTLSError)

TLS_VERSIONS = {
    '1.0': ssl.TLSVersion.TLSv1 if hasattr(ssl, 'TLSVersion') else None,
    '1.1': ssl.TLSVersion.TLSv1_1 if hasattr(ssl, 'TLSVersion') else None,
    '1.2': ssl.TLSVersion.TLSv1_2 if hasattr(ssl, 'TLSVersion') else None,
    '1.3': ssl.TLSVersion.TLSv1_3 if hasattr(ssl, 'TLSVersion') else None,
}

DEFAULT_MAX_RESPONSE = 8 * 1024 * 1024
_READ_CHUNK = 65536
_MAX_401_BODY = 65536


class HTTPResult(object):
    def __init__(self, status, headers, body, header_lists=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.header_lists = header_lists or {}

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def header_list(self, name):
        """Every value of a header that may repeat (WWW-Authenticate), in order."""
        values = self.header_lists.get(name.lower())
        if values is not None:
            return list(values)
        value = self.headers.get(name.lower())
        return [value] if value is not None else []


def normalise_fingerprint(value):
    if not value:
        return None
    cleaned = value.replace(':', '').replace('-', '').replace(' ', '').lower()
    if len(cleaned) != 64 or any(c not in '0123456789abcdef' for c in cleaned):
        raise ValueError('cert_fingerprint must be the SHA-256 fingerprint of the device certificate '
                         '(64 hex digits, colons allowed)')
    return cleaned


class _ResumingContext(ssl.SSLContext):
    """An SSLContext that offers the last TLS session of the same peer when it reconnects.

    Firmware closes the connection after every 401, so each device costs two handshakes; resuming the
    first session makes the second one cheap where the server allows it (harmless where it does not)."""

    def _oob_init(self):
        self._oob_sessions = {}
        self._oob_lock = threading.Lock()
        self.resumed = 0

    def remember_session(self, peer, session):
        if session is not None and peer is not None:
            with self._oob_lock:
                if len(self._oob_sessions) > 4096:
                    self._oob_sessions.clear()
                self._oob_sessions[peer] = session

    def wrap_socket(self, sock, *args, **kwargs):
        if kwargs.get('session') is None:
            try:
                peer = sock.getpeername()[:2]
            except (OSError, AttributeError):
                peer = None
            with self._oob_lock:
                session = self._oob_sessions.get(peer)
            if session is not None:
                kwargs['session'] = session
        wrapped = super(_ResumingContext, self).wrap_socket(sock, *args, **kwargs)
        if getattr(wrapped, 'session_reused', False):
            with self._oob_lock:
                self.resumed += 1
        return wrapped


def build_ssl_context(validate_certs=True, ca_path=None, client_cert=None, client_key=None,
                      ciphers=None, min_tls_version=None, cert_fingerprint=None):
    """A new client SSLContext for these options (see ssl_context_for for the per-run shared one)."""
    ctx = _ResumingContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx._oob_init()
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
            if os.path.isdir(ca_path):
                ctx.load_verify_locations(capath=ca_path)
            else:
                ctx.load_verify_locations(cafile=ca_path)
        else:
            ctx.load_default_certs()
    if client_cert:
        ctx.load_cert_chain(client_cert, client_key)
    return ctx


_CONTEXTS = {}
_CONTEXTS_LOCK = threading.Lock()


def _file_stamp(path):
    if not path:
        return None
    try:
        st = os.stat(path)
        return (path, st.st_mtime_ns, st.st_size)
    except OSError:
        return (path, None, None)


def ssl_context_for(validate_certs=True, ca_path=None, client_cert=None, client_key=None, ciphers=None,
                    min_tls_version=None, cert_fingerprint=None):
    """The SSLContext for these options, built once per process (a run) and shared by every device.

    Keyed by the options and the files' modification stamps, so a CA file replaced during a run is read again."""
    key = (bool(validate_certs) and not cert_fingerprint, _file_stamp(ca_path), _file_stamp(client_cert),
           _file_stamp(client_key), ciphers, str(min_tls_version) if min_tls_version else None)
    with _CONTEXTS_LOCK:
        ctx = _CONTEXTS.get(key)
        if ctx is None:
            ctx = build_ssl_context(validate_certs=validate_certs, ca_path=ca_path, client_cert=client_cert,
                                    client_key=client_key, ciphers=ciphers, min_tls_version=min_tls_version,
                                    cert_fingerprint=cert_fingerprint)
            _CONTEXTS[key] = ctx
        return ctx


# -- the deadline watchdog ---------------------------------------------------------------------

class _Watchdog(object):
    """One thread per process that shuts down the sockets of exchanges whose deadline passed.

    A per-read timeout cannot bound an exchange against a device that sends one byte per second;
    shutting the socket down from outside makes the blocked read return at once, whatever it waits for.
    Arming costs a heap push under a lock; the thread is woken only when the new deadline is the earliest
    (deadlines of one run mostly come in increasing order, so nearly never), not once per request."""

    def __init__(self):
        self._cond = threading.Condition()
        self._heap = []
        self._seq = 0
        self._thread = None

    def arm(self, deadline, guard, generation):
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (deadline, self._seq, guard, generation))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name='oob-amt-deadline', daemon=True)
                self._thread.start()
            elif self._heap[0][1] == self._seq:
                self._cond.notify()

    def _run(self):
        while True:
            with self._cond:
                while True:
                    # drop the entries of exchanges that ended (or were re-armed since) at the top
                    while self._heap and not self._heap[0][2].armed_for(self._heap[0][3]):
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait(30)
                        if not self._heap:
                            self._thread = None
                            return
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        entry = heapq.heappop(self._heap)
                        break
                    self._cond.wait(wait)
            entry[2].expire(entry[3])

    def _after_fork(self):
        # a forked child (an Ansible worker) has none of the parent's threads, and a lock the parent held
        # at the fork stays held for ever in the child: start from scratch
        self._cond = threading.Condition()
        self._heap = []
        self._thread = None


_WATCHDOG = _Watchdog()
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_WATCHDOG._after_fork)


class _Guard(object):
    """The sockets of one exchange and whether its deadline passed.

    A transport re-arms its guard for each exchange; `generation` tells the watchdog's entry of an earlier
    exchange (still in its heap) from the current one, so an old deadline never cuts a later exchange short."""

    def __init__(self):
        self._lock = threading.Lock()
        self.armed = False
        self.expired = False
        self.sent = False
        self.socks = []
        self.deadline = None
        self.generation = 0

    def start(self, seconds):
        with self._lock:
            self.generation += 1
            generation = self.generation
            self.armed = True
            self.expired = False
            self.sent = False
            self.socks = []
            self.deadline = time.monotonic() + seconds
        _WATCHDOG.arm(self.deadline, self, generation)

    def stop(self):
        with self._lock:
            self.armed = False
            self.socks = []

    def armed_for(self, generation):
        return self.armed and self.generation == generation

    def remaining(self):
        if self.deadline is None:
            return None
        return max(0.001, self.deadline - time.monotonic())

    def register(self, sock):
        with self._lock:
            if not self.armed:
                return
            if self.expired:
                _shutdown(sock)
            else:
                self.socks.append(sock)

    def expire(self, generation=None):
        with self._lock:
            if not self.armed or (generation is not None and generation != self.generation):
                return
            self.expired = True
            socks = list(self.socks)
        for sock in socks:
            _shutdown(sock)


def _shutdown(sock):
    try:
        # the plain socket call on the file descriptor (SSLSocket.shutdown would tear down its SSL object
        # under the feet of the reading thread)
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, ValueError, TypeError):
        pass


class _PinMismatch(ssl.SSLError):
    pass


def _factory_conn(conn):
    # Transport(socket_factory=...): the byte stream comes from elsewhere than a TCP connect, e.g. an APF
    # channel over the MEI device when no LMS listens (host/lme.py). Signature of socket.create_connection;
    # TLS, the deadline guard and keep-alive then work on the returned socket as on a TCP one.
    transport = conn.oob_transport
    if transport.socket_factory is None:
        return None
    try:
        return transport.socket_factory((conn.host, conn.port), conn.timeout)
    except OSError as exc:
        from urllib3.exceptions import NewConnectionError
        raise NewConnectionError(conn, 'cannot open the connection: %s' % exc) from exc


class _Conn(_U3HTTPConnection):
    """urllib3's connection with our hooks: deadline guard, `sent` flag (the transport is set by the pool)."""

    oob_transport = None

    def _new_conn(self):
        sock = _factory_conn(self) or super(_Conn, self)._new_conn()
        self.oob_transport._guard.register(sock)
        return sock

    def send(self, data):
        if self.sock is None:
            self.connect()
        self.oob_transport._guard.sent = True
        return super(_Conn, self).send(data)

    def request(self, *args, **kwargs):
        if self.sock is not None:
            self.oob_transport._guard.register(self.sock)
        return super(_Conn, self).request(*args, **kwargs)


class _TLSConn(_U3HTTPSConnection):
    """The same for TLS, plus the TLS facts (version, resumption, peer certificate, pinning) and the session
    kept for the reconnect after a close-delimited answer (the 401)."""

    oob_transport = None

    def _new_conn(self):
        sock = _factory_conn(self) or super(_TLSConn, self)._new_conn()
        self.oob_transport._guard.register(sock)
        return sock

    def connect(self):
        super(_TLSConn, self).connect()
        self.oob_transport._guard.register(self.sock)
        self.oob_transport._note_tls(self.sock)
        # verification policy (CA, pinning, or none with the module's own warning) is ours: no urllib3 warning
        self.is_verified = True

    def send(self, data):
        if self.sock is None:
            self.connect()
        self.oob_transport._guard.sent = True
        return super(_TLSConn, self).send(data)

    def request(self, *args, **kwargs):
        if self.sock is not None:
            self.oob_transport._guard.register(self.sock)
        return super(_TLSConn, self).request(*args, **kwargs)

    def getresponse(self, *args, **kwargs):
        sock = self.sock    # http.client drops it for a close-delimited answer (the 401), the response keeps it
        response = super(_TLSConn, self).getresponse(*args, **kwargs)
        # By the status line the TLS 1.3 ticket has arrived. Keep the session only when a reconnect follows
        # (the connection closes: the 401, a fault): reading SSLSocket.session copies it (CPython serialises
        # and parses it again, the peer certificate included), ~0.4 ms each, so not once per answer.
        ctx = self.oob_transport.ssl_context
        if sock is not None and isinstance(ctx, _ResumingContext) and _closes(response):
            try:
                ctx.remember_session(sock.getpeername()[:2], sock.session)
            except (OSError, AttributeError, ValueError):
                pass
        return response


def _closes(response):
    """Whether the server closes the connection after this answer (Connection: close, or a 401: AMT always)."""
    if response.status == 401:
        return True
    return 'close' in (response.headers.get('connection') or '').lower()


class _Pool(_U3HTTPPool):
    ConnectionCls = _Conn
    oob_transport = None

    def _new_conn(self):
        conn = super(_Pool, self)._new_conn()
        conn.oob_transport = self.oob_transport
        return conn


class _TLSPool(_U3HTTPSPool):
    ConnectionCls = _TLSConn
    oob_transport = None

    def _new_conn(self):
        conn = super(_TLSPool, self)._new_conn()
        conn.oob_transport = self.oob_transport
        return conn


_BASE_HEADERS = {'User-Agent': 'oob.amt', 'Accept-Encoding': 'identity', 'Connection': 'keep-alive',
                 'Content-Type': 'application/soap+xml; charset=utf-8'}


class Transport(object):
    """Keep-alive HTTP(S) POSTs to /wsman with a wall-clock deadline and a size cap per exchange."""

    def __init__(self, host, port, use_tls=True, timeout=30, ssl_context=None, cert_fingerprint=None,
                 max_response_bytes=DEFAULT_MAX_RESPONSE, path='/wsman', socket_factory=None):
        if not HAS_URLLIB3:
            raise WsmanError('the urllib3 Python library, version 2.0 or later, is required (%s)'
                             % (URLLIB3_IMPORT_ERROR or '').strip().splitlines()[-1], host=host,
                             hint="Install it on the host that runs the module: pip install 'urllib3>=2'")
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.timeout = float(timeout)
        self.ssl_context = ssl_context
        self.socket_factory = socket_factory
        self.cert_fingerprint = normalise_fingerprint(cert_fingerprint)
        self.max_response_bytes = int(max_response_bytes)
        self.path = path
        self.exchanges = 0
        self.connections = 0
        self.tls_resumed = 0
        self.peer_cert_sha256 = None
        self.tls_version = None
        self._guard = _Guard()
        self._pin_error = None
        self._pool = None
        self._host_part = '[%s]' % host if ':' in host and not host.startswith('[') else host
        self.url = '%s://%s:%s%s' % ('https' if use_tls else 'http', self._host_part, port, path)

    # -- the device's connection pool (one kept-alive connection) ------------------------------
    def pool(self):
        if self._pool is None:
            if self.use_tls:
                ctx = self.ssl_context
                kwargs = {}
                if ctx is not None:
                    # TLS policy is entirely in our SSLContext: no CA bundle added to it, no urllib3 defaults
                    kwargs = dict(ssl_context=ctx, cert_reqs=ctx.verify_mode, ca_certs=None, ca_cert_dir=None)
                pool = _TLSPool(self._host_part, self.port, maxsize=1, block=False, retries=False, **kwargs)
            else:
                pool = _Pool(self._host_part, self.port, maxsize=1, block=False, retries=False)
            pool.oob_transport = self
            self._pool = pool
        return self._pool

    def _note_tls(self, sock):
        self.connections += 1
        try:
            der = sock.getpeercert(binary_form=True)
        except (OSError, ValueError, AttributeError):
            der = None
        self.peer_cert_sha256 = hashlib.sha256(der).hexdigest() if der else None
        try:
            self.tls_version = sock.version()
            if getattr(sock, 'session_reused', False):
                self.tls_resumed += 1
        except (OSError, AttributeError):
            pass
        if self.cert_fingerprint and self.peer_cert_sha256 != self.cert_fingerprint:
            self._pin_error = self.peer_cert_sha256
            raise _PinMismatch('certificate fingerprint mismatch')

    def close(self):
        if self._pool is not None:
            try:
                self._pool.close()
            finally:
                self._pool = None

    # -- one exchange ------------------------------------------------------------------------
    def post(self, body, headers=None, operation=None, auth=None):
        """POST body; returns HTTPResult. Raises typed errors.

        The whole exchange (and the digest round trip `auth` may add) runs under one deadline of `timeout`
        seconds. A raised WsmanConnectionError has details['sent'] telling whether any byte of the request
        was written (callers must not repeat a write in that case)."""
        guard = self._guard
        guard.start(self.timeout)
        self._pin_error = None
        sent = False
        try:
            try:
                result = self._post(body, headers, operation, auth)
            finally:
                sent = guard.sent
                expired = guard.expired
                guard.stop()
        except WsmanError as exc:
            self._drop()
            if expired and not isinstance(exc, WsmanTimeoutError):
                raise self._timeout(operation, sent)
            exc.details.setdefault('sent', sent)
            raise
        except Exception as exc:
            self._drop()
            if expired:
                raise self._timeout(operation, sent)
            raise self._map(exc, operation, sent)
        if expired:
            self._drop()
            raise self._timeout(operation, sent)
        return result

    def _timeout(self, operation, sent):
        return WsmanTimeoutError('no complete answer within the %gs deadline for the whole exchange' % self.timeout,
                                 host=self.host, operation=operation, sent=sent)

    def _drop(self):
        self.close()

    def _send(self, body, headers):
        """One HTTP request on the device's pool; the response is streamed (not read yet)."""
        self._guard.sent = False        # `sent` says whether THIS request's bytes went out
        remaining = self._guard.remaining()
        return self.pool().request('POST', self.path, body=body, headers=headers, retries=False, redirect=False,
                                   assert_same_host=False, preload_content=False, decode_content=False,
                                   release_conn=False, timeout=_U3Timeout(connect=remaining, read=remaining))

    def _post(self, body, headers, operation, auth):
        hdrs = dict(_BASE_HEADERS)
        if headers:
            hdrs.update(headers)
        if auth is not None:
            authorization = auth.start('POST', self.path, body)
            if authorization:
                hdrs['Authorization'] = authorization
        resp = self._send(body, hdrs)
        extra = 0
        # the digest round trip: answer a challenge (at most twice per request: a fresh one, then a stale nonce)
        while resp.status == 401 and auth is not None:
            authorization = auth.answer(resp.headers.getlist('WWW-Authenticate'), 'POST', self.path, body,
                                        lambda: _drain(resp, _MAX_401_BODY))
            if authorization is None:
                break
            _done(resp, reuse=True)
            hdrs['Authorization'] = authorization
            extra += 1
            resp = self._send(body, hdrs)
        complete = False
        will_close = True
        try:
            status = resp.status
            rheaders = resp.headers
            encoding = (rheaders.get('content-encoding') or 'identity').strip().lower()
            if encoding not in ('identity', ''):
                raise WsmanMalformedResponse('the answer is compressed (%s), which AMT never does (refused)'
                                             % encoding[:40], host=self.host, operation=operation)
            data = read_limited(resp, self.max_response_bytes, self.host, operation)
            headers_out = dict((k.lower(), v) for k, v in rheaders.items())
            lists = {'www-authenticate': rheaders.getlist('WWW-Authenticate')}
            will_close = (rheaders.get('connection') or '').lower() == 'close'
            complete = True
        finally:
            _done(resp, reuse=complete and not will_close)
        self.exchanges += 1 + extra
        if will_close:
            self._drop()
        return HTTPResult(status, headers_out, data, lists)

    def _map(self, exc, operation, sent):
        """urllib3/ssl/socket exceptions -> typed errors. Messages never quote the request."""
        host = self.host
        if self._pin_error is not None:
            return WsmanTLSError('the device certificate fingerprint %s does not match cert_fingerprint'
                                 % self._pin_error, host=host, operation=operation, sent=False,
                                 hint='Check cert_fingerprint; the device certificate may have been replaced')
        chain = _causes(exc)
        for item in chain:
            if isinstance(item, ssl.SSLCertVerificationError):
                return WsmanTLSError('TLS certificate verification failed (%s)'
                                     % (item.verify_message or item.reason or 'certificate not trusted'),
                                     host=host, operation=operation, sent=False)
        if any(isinstance(item, ssl.SSLError) or type(item).__name__ == 'SSLError' for item in chain):
            reason = next((getattr(i, 'reason', None) for i in chain if isinstance(i, ssl.SSLError)
                           and getattr(i, 'reason', None)), None)
            if 'hostname' in ' '.join(str(i) for i in chain if isinstance(i, (ssl.SSLError, ValueError)))[:500] \
                    .lower() and not reason:
                reason = 'the certificate does not name this host'
            return WsmanTLSError('TLS %s failed (%s)' % ('exchange' if sent else 'handshake', reason or 'TLS error'),
                                 host=host, operation=operation, sent=sent)
        for item in chain:
            if isinstance(item, ConnectionRefusedError):
                return WsmanConnectionError('connection refused on port %s' % self.port, host=host,
                                            operation=operation, refused=True, sent=False)
        if any(type(i).__name__ in ('ConnectTimeoutError', 'ConnectTimeout') for i in chain):
            return WsmanTimeoutError('no connection within %gs to port %s' % (self.timeout, self.port),
                                     host=host, operation=operation, sent=False)
        if any(isinstance(i, (socket.timeout, TimeoutError)) or type(i).__name__ in ('ReadTimeoutError', 'ReadTimeout')
               for i in chain):
            return self._timeout(operation, sent)
        if any(type(i).__name__ in ('NewConnectionError', 'NameResolutionError') for i in chain) and not sent:
            err = next((i for i in chain if isinstance(i, OSError) and getattr(i, 'strerror', None)), None)
            why = err.strerror if err else 'no route or name'
            return WsmanConnectionError('cannot connect to port %s (%s)' % (self.port, why), host=host,
                                        operation=operation, sent=False)
        for item in chain:
            name = type(item).__name__
            if name in ('RemoteDisconnected', 'ConnectionResetError', 'BrokenPipeError', 'ConnectionAbortedError'):
                why = getattr(item, 'strerror', None) or name
                if not sent:
                    # accepted, then reset before any byte of the request (connection cap, TLS refused)
                    return WsmanConnectionError('cannot connect to port %s (%s)' % (self.port, why), host=host,
                                                operation=operation, sent=False, stale_keepalive=True)
                return WsmanConnectionError('the device closed the connection after the request was sent (%s)' % why,
                                            host=host, operation=operation, sent=True, stale_keepalive=True)
        for item in chain:
            name = type(item).__name__
            if name in ('IncompleteRead', 'InvalidChunkLength'):
                return WsmanConnectionError('the device dropped the connection mid-response (%s)' % name, host=host,
                                            operation=operation, sent=True)
            if name in ('BadStatusLine', 'LineTooLong', 'HTTPException', 'InvalidHeader', 'HeaderParsingError',
                        'UnknownProtocol', 'LocationParseError', 'InvalidURL', 'TooManyRedirects'):
                return WsmanMalformedResponse('the answer is not valid HTTP (%s)' % name, host=host,
                                              operation=operation, sent=sent)
            if name == 'ChunkedEncodingError':
                return WsmanConnectionError('the device broke the chunked framing mid-response', host=host,
                                            operation=operation, sent=True)
        for item in chain:
            if isinstance(item, OSError):
                return WsmanConnectionError('network error (%s)' % (item.strerror or type(item).__name__),
                                            host=host, operation=operation, sent=sent)
        return WsmanConnectionError('the exchange failed (%s)' % type(exc).__name__, host=host,
                                    operation=operation, sent=sent)


def _causes(exc):
    """The exception, its causes/contexts and the urllib3 `reason`/args exceptions inside it."""
    seen = []
    todo = [exc]
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.append(getattr(item, 'reason', None) if isinstance(getattr(item, 'reason', None), BaseException) else None)
        todo.append(item.__cause__)
        todo.append(item.__context__)
        for arg in getattr(item, 'args', ()):
            if isinstance(arg, BaseException):
                todo.append(arg)
    return seen


def read_limited(resp, limit, host=None, operation=None):
    """Stream a urllib3 response body (no decoding), refusing more than `limit` bytes."""
    chunks = []
    total = 0
    raw = getattr(resp, 'raw', resp)       # a requests response (before issue 16) or the urllib3 one
    while True:
        chunk = raw.read(_READ_CHUNK, decode_content=False)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise WsmanMalformedResponse('response larger than %d bytes (refused)' % limit, host=host,
                                         operation=operation)
        chunks.append(chunk)
    return b''.join(chunks)


def _drain(resp, limit):
    """Read and drop a small body (the 401 page); False when it is larger than `limit`."""
    total = 0
    while True:
        chunk = resp.read(_READ_CHUNK, decode_content=False)
        if not chunk:
            return True
        total += len(chunk)
        if total > limit:
            return False


def _done(resp, reuse):
    """Give the connection back to the pool: kept alive when the answer was read whole and the server keeps
    it open, else closed first (the pool then opens a new one for the next request)."""
    if not reuse:
        resp.close()
    resp.release_conn()

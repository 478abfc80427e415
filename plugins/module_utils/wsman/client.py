# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WS-Management client every module and the inventory plugin use.

One client = one device session: a requests Session with a kept-alive connection and one digest nonce
reused with an increasing nonce count, so after the first challenge each request costs one HTTP exchange.

`timeout` is a wall-clock deadline per operation: connect, TLS, request, status line, headers, body and the
digest round trip of one operation together (see transport.py). Reads (Get, Enumerate, Pull, Release,
Identify) are retried after a dropped connection; a write (Put, Create, Delete, a method) is never sent again
once any byte of it went out: the client raises WsmanOutcomeUnknownError instead.

This layer knows nothing of AMT's return-value tables: invoke() raises WsmanReturnValueError with the number,
and the meaning comes from the caller (`return_value_meaning=` callable, or invoke(meaning=...)).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import re
import time

from ansible_collections.oob.amt.plugins.module_utils.wsman.digest import (
    DigestAuth, DigestChallengeError, select_challenge)
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanAuthError, WsmanConnectionError, WsmanError, WsmanHTTPError, WsmanInputError, WsmanMalformedResponse,
    WsmanOutcomeUnknownError, WsmanOutcomeUnknownTimeout, WsmanReturnValueError, WsmanTimeoutError)
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import Transport, ssl_context_for
from ansible_collections.oob.amt.plugins.module_utils.wsman import soap as wx
from ansible_collections.oob.amt.plugins.module_utils.wsman.soap import (  # noqa: F401 - re-exported
    EPR, Datetime, Embedded, Interval, resource_uri, class_name)

AMT_SERVER_PREFIX = 'Intel(R) Active Management Technology'
_VERSION_RE = re.compile(r'Active Management Technology\s+(\d+(?:\.\d+)*)')
_BACKOFF = 0.2
_BAD_HEADER_CHARS = re.compile(u'[\x00-\x1f\x7f"\\\\]')


__all__ = ['WsmanClient', 'EPR', 'Datetime', 'Embedded', 'Interval', 'resource_uri', 'class_name',
           'amt_version_from_server']


def amt_version_from_server(server):
    if not server:
        return None
    match = _VERSION_RE.search(server)
    return match.group(1) if match else None


class WsmanClient(object):
    """WS-Man operations against one AMT device (see docs/dev/contracts.md)."""

    # A layer above may set a default meaning lookup (cls, method, value) -> str for ReturnValue errors.
    default_return_value_meaning = None

    def __init__(self, host, port=None, use_tls=True, username='admin', password=None, validate_certs=True,
                 ca_path=None, client_cert=None, client_key=None, ciphers=None, min_tls_version=None,
                 cert_fingerprint=None, timeout=30, retries=2, max_response_bytes=8 * 1024 * 1024,
                 allow_legacy_digest=False, return_value_meaning=None, ssl_context=None, socket_factory=None):
        if not host:
            raise ValueError('host is required')
        self.host = host
        if _BAD_HEADER_CHARS.search(str(host)) or any(c in str(host) for c in ' /?#@'):
            raise WsmanInputError('the host name holds characters a host name cannot have', host=repr(str(host))[:80])
        self.use_tls = bool(use_tls)
        self.port = int(port) if port else (16993 if self.use_tls else 16992)
        self.username = username or 'admin'
        if _BAD_HEADER_CHARS.search(self.username):
            # the user name travels in the Authorization header: CR/LF/NUL would forge headers
            raise WsmanInputError('the username holds a control character, a quote or a backslash (refused before '
                                  'contact)', host=host, operation='authenticate',
                                  hint='Use the AMT account name as it is (admin, or a digest user)')
        if password is not None and '\x00' in password:
            raise WsmanInputError('the password holds a NUL character (refused before contact)', host=host,
                                  operation='authenticate')
        self.retries = max(0, int(retries))
        self.timeout = float(timeout)
        if self.timeout != self.timeout or self.timeout <= 0 or self.timeout == float('inf'):  # nan, <= 0, inf
            raise ValueError('timeout must be a positive finite number of seconds, got %r' % (timeout,))
        self.return_value_meaning = return_value_meaning
        ctx = None
        if self.use_tls:
            ctx = ssl_context or ssl_context_for(
                validate_certs=validate_certs, ca_path=ca_path, client_cert=client_cert, client_key=client_key,
                ciphers=ciphers, min_tls_version=min_tls_version, cert_fingerprint=cert_fingerprint)
        self.transport = Transport(host, self.port, use_tls=self.use_tls, timeout=self.timeout, ssl_context=ctx,
                                   cert_fingerprint=cert_fingerprint if self.use_tls else None,
                                   max_response_bytes=max_response_bytes, socket_factory=socket_factory)
        self._auth = DigestAuth(self.username, password, allow_legacy=allow_legacy_digest) \
            if password is not None else None
        self.server_header = None
        self.amt_version = None
        self.realm = None

    def __repr__(self):
        return 'WsmanClient(%s:%s)' % (self.host, self.port)

    @property
    def exchanges(self):
        return self.transport.exchanges

    @property
    def tls_version(self):
        return self.transport.tls_version

    @property
    def peer_cert_sha256(self):
        return self.transport.peer_cert_sha256

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- HTTP + digest --------------------------------------------------------------------
    def _note_headers(self, result):
        server = result.header('server')
        if server:
            self.server_header = server
            self.amt_version = amt_version_from_server(server) or self.amt_version

    def _exchange(self, body, operation, authenticate=True):
        """One logical request under one deadline; the digest handler answers challenges (and stale nonces)."""
        auth = self._auth if authenticate else None
        result = self.transport.post(body, None, operation, auth=auth)
        self._note_headers(result)
        if auth is not None and auth.realm:
            self.realm = auth.realm
        if result.status != 401:
            return result
        challenge, why = None, None
        try:
            challenge = select_challenge(result.header_list('www-authenticate'), allow_legacy=True)
            self.realm = challenge['realm']
        except DigestChallengeError as exc:
            why = str(exc)
        if not authenticate:
            return result
        if self._auth is None:
            raise WsmanAuthError('the device requires credentials', host=self.host, operation=operation,
                                 hint='Set password (or the AMT_PASSWORD environment variable)', status=401)
        why = self._auth.last_error or why
        if why:
            raise WsmanAuthError('the device refused the request and sent no usable digest challenge (%s)' % why,
                                 host=self.host, operation=operation, status=401,
                                 hint='The device asks for a digest variant this client does not answer')
        if challenge is not None and challenge['stale']:
            raise WsmanAuthError('authentication did not settle after repeated challenges (the device keeps '
                                 'calling fresh nonces stale)', host=self.host, operation=operation, status=401)
        raise WsmanAuthError('authentication failed for user %s' % self.username, host=self.host,
                             operation=operation, status=401)

    def _call(self, body, operation, idempotent, authenticate=True):
        """Exchange + SOAP parsing + fault mapping, with retries for reads."""
        attempt = 0
        while True:
            try:
                result = self._exchange(body, operation, authenticate)
                if result.status >= 500 and idempotent and attempt < self.retries:
                    raise _Retry()
                return self._interpret(result, operation)
            except _Retry:
                pass
            except WsmanTimeoutError as exc:
                if not idempotent and exc.details.get('sent', True):
                    raise WsmanOutcomeUnknownTimeout(
                        '%s was sent and no answer came within the %gs deadline: the outcome is unknown'
                        % (operation, self.timeout), host=self.host, operation=operation, sent=True, timed_out=True)
                raise
            except WsmanConnectionError as exc:
                sent = exc.details.get('sent', True)
                if not idempotent and sent:
                    raise WsmanOutcomeUnknownError(
                        '%s was sent and the connection failed before its answer (%s): the outcome is unknown; it '
                        'is not sent again' % (operation, exc.reason), host=self.host, operation=operation,
                        sent=True, timed_out=False)
                may_repeat = idempotent or not sent
                if not may_repeat or attempt >= self.retries:
                    if attempt:
                        exc.reason = '%s (after %d attempts)' % (exc.reason, attempt + 1)
                    raise
            attempt += 1
            # jitter, so clients refused together by a busy device do not come back together
            time.sleep(_BACKOFF * (2 ** (attempt - 1)) * (0.5 + random.random()))

    def _interpret(self, result, operation):
        status = result.status
        ctype = (result.header('content-type') or '').lower()
        if status in (200, 400, 500) and result.body and ('xml' in ctype or result.body.lstrip()[:1] == b'<'):
            if status != 200 and 'xml' not in ctype:
                raise WsmanHTTPError('HTTP %d with a non-SOAP body' % status, status=status, host=self.host,
                                     operation=operation)
            response = wx.parse_response(result.body, self.host, operation)
            if response.is_fault:
                raise wx.fault_from(response, status=status, host=self.host, operation=operation)
            if status != 200:
                raise WsmanHTTPError('HTTP %d' % status, status=status, host=self.host, operation=operation)
            return response
        if status == 200:
            raise WsmanMalformedResponse('HTTP 200 without a SOAP body', host=self.host, operation=operation)
        if 300 <= status < 400:
            raise WsmanHTTPError('HTTP %d redirect to %s (redirects are not followed)'
                                 % (status, result.header('location', '?')), status=status, host=self.host,
                                 operation=operation, hint='Point host/port at the AMT device itself')
        if status == 400:
            raise WsmanHTTPError('HTTP 400 Bad Request without a SOAP fault', status=status, host=self.host,
                                 operation=operation,
                                 hint='The device rejected the request; older firmware does this for unsupported '
                                      'parameters or when it is busy (retry later)')
        raise WsmanHTTPError('HTTP %d' % status, status=status, host=self.host, operation=operation)

    def _dict(self, element, operation=None):
        try:
            return wx.instance_to_dict(element)
        except WsmanMalformedResponse as exc:
            exc.host = exc.host or self.host
            exc.operation = exc.operation or operation
            raise

    def _build(self, operation, builder, *args):
        """Build a request body; a value XML cannot carry is refused here, before contact, naming the device."""
        try:
            return builder(*args)
        except WsmanInputError as exc:
            raise WsmanInputError(exc.reason, host=self.host, operation=operation)

    # -- discovery ------------------------------------------------------------------------
    def probe(self):
        """One unauthenticated exchange that tells whether this is AMT (for discovery)."""
        result = self._exchange(wx.identify_request(), 'identify', authenticate=False)
        info = {'status': result.status, 'server': result.header('server'),
                'amt_version': amt_version_from_server(result.header('server')), 'realm': None,
                'identify': None, 'is_amt': False}
        if result.status == 401:
            try:
                info['realm'] = select_challenge(result.header_list('www-authenticate'), allow_legacy=True)['realm']
            except DigestChallengeError:
                info['realm'] = None
        elif result.status == 200:
            try:
                info['identify'] = wx.identify_result(wx.parse_response(result.body, self.host, 'identify'))
            except WsmanError:
                info['identify'] = None
        server = info['server'] or ''
        ident = info['identify'] or {}
        info['is_amt'] = bool(
            server.startswith(AMT_SERVER_PREFIX)
            or (info['realm'] or '').startswith('Digest:')
            or ((ident.get('product_vendor') or '').startswith('Intel') and
                (ident.get('product_version') or '').startswith('AMT')))
        if not info['amt_version'] and ident.get('product_version', '').startswith('AMT'):
            info['amt_version'] = ident['product_version'][3:].strip() or None
        return info

    def identify(self):
        """WS-Man Identify (answered without credentials; credentials used if the device asks)."""
        response = self._call(wx.identify_request(), 'identify', idempotent=True,
                              authenticate=self._auth is not None)
        try:
            result = wx.identify_result(response)
        except WsmanMalformedResponse as exc:
            exc.host, exc.operation = self.host, 'identify'
            raise
        result['server'] = self.server_header
        result['amt_version'] = self.amt_version
        return result

    # -- WS-Transfer ----------------------------------------------------------------------
    def get(self, cls, selectors=None):
        response = self._call(self._build('get %s' % _short(cls), wx.get_request, cls, selectors), 'get %s' % _short(cls),
                              idempotent=True)
        if response.payload is None:
            raise WsmanMalformedResponse('Get returned an empty body', host=self.host, operation='get %s' % _short(cls))
        return self._dict(response.payload)

    def put(self, cls, instance, selectors=None):
        props = [(k, v) for k, v in _ordered(instance) if not k.startswith('_')]
        operation = 'put %s' % _short(cls)
        response = self._call(self._build(operation, wx.put_request, cls, props, selectors), operation, idempotent=False)
        return self._dict(response.payload) if response.payload is not None else {}

    def create(self, cls, instance):
        props = [(k, v) for k, v in _ordered(instance) if not k.startswith('_')]
        operation = 'create %s' % _short(cls)
        response = self._call(self._build(operation, wx.create_request, cls, props), operation, idempotent=False)
        return wx.created_epr(response)

    def delete(self, cls, selectors):
        operation = 'delete %s' % _short(cls)
        self._call(self._build(operation, wx.delete_request, cls, selectors), operation, idempotent=False)

    # -- WS-Enumeration -------------------------------------------------------------------
    def enumerate(self, cls, max_elements=100, optimize=True):
        operation = 'enumerate %s' % _short(cls)
        response = self._call(wx.enumerate_request(cls, optimize, max_elements), operation, idempotent=True)
        items, context, end = wx.enumeration_result(response)
        pulls = 0
        if end:
            context = None
        while context:
            more, context = self.pull(cls, context, max_elements)
            items.extend(more)
            pulls += 1
            if pulls > 10000:
                raise WsmanMalformedResponse('enumeration never ends', host=self.host, operation=operation)
        return items

    def pull(self, cls, context, max_elements=100):
        operation = 'pull %s' % _short(cls)
        response = self._call(self._build(operation, wx.pull_request, cls, context, max_elements), operation,
                              idempotent=True)
        items, new_context, end = wx.enumeration_result(response)
        return items, (None if end else (new_context or context))

    def release(self, cls, context):
        self._call(wx.release_request(cls, context), 'release %s' % _short(cls), idempotent=True)

    # -- methods --------------------------------------------------------------------------
    def invoke(self, cls, method, params=None, selectors=None, check_return=True, meaning=None):
        """Call a method; ReturnValue != 0 raises WsmanReturnValueError (meaning: from `meaning`, a callable
        (cls, method, value) -> str, or the client's return_value_meaning)."""
        operation = '%s.%s' % (_short(cls), method)
        response = self._call(self._build(operation, wx.invoke_request, cls, method, params, selectors), operation,
                              idempotent=False)
        if response.payload is None:
            raise WsmanMalformedResponse('method returned an empty body', host=self.host, operation=operation)
        output = self._dict(response.payload)
        try:
            output['ReturnValue'] = int(output.get('ReturnValue'))
        except (TypeError, ValueError):
            raise WsmanMalformedResponse('method answer has no ReturnValue', host=self.host, operation=operation)
        if check_return and output['ReturnValue'] != 0:
            lookup = meaning if meaning is not None else (self.return_value_meaning or
                                                          type(self).default_return_value_meaning)
            if callable(lookup):
                meaning = lookup(_short(cls), method, output['ReturnValue'])
            text = '%s returned %d' % (method, output['ReturnValue'])
            if meaning:
                text = '%s (%s)' % (text, meaning)
            raise WsmanReturnValueError(text,
                                        method=method, return_value=output['ReturnValue'], meaning=meaning,
                                        host=self.host, operation=operation)
        return output


class _Retry(Exception):
    pass


def _short(cls):
    return class_name(cls) if '://' in cls else cls


def _ordered(instance):
    if isinstance(instance, dict):
        return list(instance.items())
    return list(instance)

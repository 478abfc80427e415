# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP Digest (RFC 2617 / RFC 7616 with MD5) the way AMT speaks it: the headers for the transport's digest round
trip (start, answer), also usable as a requests authentication handler (a callable auth).

AMT quirks handled here: the realm is used verbatim including its ``Digest:`` prefix,
``qop="auth-int, auth"`` is a list inside one quoted string (requests' own HTTPDigestAuth splits it on
"," without stripping and sends no Authorization header at all), and a nonce is reused with an increasing
nonce count so later requests need no challenge. Several WWW-Authenticate headers (or several challenges in
one header) are all considered; the first usable Digest challenge wins. A challenge without qop (legacy
RFC 2069 digest, no replay protection) is refused unless the caller opts in.

The 401 handling follows the shape of requests' auth.HTTPDigestAuth.handle_401 (read, not copied): drain the
small 401 body, answer the challenge on the same connection pool; the transport (transport.py, _post) sends
the answer, `answer` computes it, at most twice per request (a fresh challenge, then once more when the device calls
the nonce stale or rejects a nonce kept from an earlier exchange, the way Intel's clients re-challenge).
A 401 always means the device did not act on the request, so re-sending a write after it is safe.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os

_CHALLENGE_LIMIT = 16


class DigestChallengeError(ValueError):
    """The WWW-Authenticate header is not a usable digest challenge."""


def _md5_hex(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()  # noqa: S324 - mandated by HTTP digest


def _md5_bytes_hex(data):
    return hashlib.md5(data).hexdigest()  # noqa: S324 - mandated by HTTP digest


def _split_challenges(header):
    """[(scheme, params-text)] for one header value that may hold several challenges (RFC 7235)."""
    items = []
    buf = []
    in_quote = False
    escaped = False
    for c in header:
        if in_quote:
            buf.append(c)
            if escaped:
                escaped = False
            elif c == '\\':
                escaped = True
            elif c == '"':
                in_quote = False
            continue
        if c == '"':
            in_quote = True
            buf.append(c)
        elif c == ',':
            items.append(''.join(buf))
            buf = []
        else:
            buf.append(c)
    if in_quote:
        raise DigestChallengeError('unterminated quoted string')
    items.append(''.join(buf))
    out = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        head = text.split(None, 1)
        rest = head[1] if len(head) > 1 else ''
        if '=' not in head[0] and not rest.startswith('='):
            out.append([head[0], rest])
        elif out:
            out[-1][1] += ', ' + text
        else:
            raise DigestChallengeError('parameter before any authentication scheme')
    return [tuple(item) for item in out]


def _parse_params(text):
    pos = 0
    params = {}
    length = len(text)
    while pos < length:
        while pos < length and text[pos] in ' \t,':
            pos += 1
        if pos >= length:
            break
        eq = text.find('=', pos)
        if eq < 0:
            raise DigestChallengeError('malformed parameter near %r' % text[pos:pos + 20])
        name = text[pos:eq].strip().lower()
        if not name or any(c in name for c in ' \t",'):
            raise DigestChallengeError('malformed parameter name')
        pos = eq + 1
        while pos < length and text[pos] in ' \t':
            pos += 1
        if pos < length and text[pos] == '"':
            pos += 1
            value = []
            while pos < length and text[pos] != '"':
                if text[pos] == '\\' and pos + 1 < length:
                    pos += 1
                value.append(text[pos])
                pos += 1
            if pos >= length:
                raise DigestChallengeError('unterminated quoted string')
            pos += 1
            value = ''.join(value)
        else:
            end = text.find(',', pos)
            end = length if end < 0 else end
            value = text[pos:end].strip()
            pos = end
        if name in params:
            raise DigestChallengeError('parameter %s given twice' % name)
        params[name] = value
    return params


def _finish(params):
    if 'nonce' not in params or 'realm' not in params:
        raise DigestChallengeError('challenge lacks realm or nonce')
    for key in ('nonce', 'realm', 'opaque'):
        if any(c in params.get(key, '') for c in '\r\n\x00"\\'):
            raise DigestChallengeError('challenge %s holds characters a header cannot carry' % key)
    algorithm = params.get('algorithm', 'MD5').strip()
    if algorithm.upper() not in ('MD5', 'MD5-SESS'):
        raise DigestChallengeError('unsupported digest algorithm %s' % algorithm[:40])
    params['algorithm'] = algorithm.upper()
    params['qop'] = [q.strip() for q in params.get('qop', '').split(',') if q.strip()]
    params['stale'] = params.get('stale', 'false').strip().lower() == 'true'
    return params


def parse_challenges(values):
    """Every Digest challenge in a list of WWW-Authenticate values, in order; other schemes are skipped.

    Raises DigestChallengeError only when there is no Digest challenge at all (the reason of the last bad one)."""
    if isinstance(values, str):
        values = [values]
    found = []
    last_error = None
    for value in values or []:
        if value is None:
            continue
        try:
            parts = _split_challenges(value)
        except DigestChallengeError as exc:
            last_error = exc
            continue
        for scheme, text in parts[:_CHALLENGE_LIMIT]:
            if scheme.lower() != 'digest':
                continue
            try:
                found.append(_finish(_parse_params(text)))
            except DigestChallengeError as exc:
                last_error = exc
    if not found:
        raise last_error or DigestChallengeError('no Digest challenge')
    return found


def parse_challenge(header):
    """Parse a ``WWW-Authenticate: Digest ...`` value into a dict with lower-case keys.

    ``qop`` comes back as a list of tokens; ``stale`` as a bool. With several challenges, the first Digest one."""
    if header is None:
        raise DigestChallengeError('no WWW-Authenticate header')
    text = header.strip()
    if text[:6].lower() != 'digest' and 'digest ' not in text.lower():
        raise DigestChallengeError('not a Digest challenge')
    return parse_challenges([text])[0]


def usable(challenge, allow_legacy=False):
    """None when we can answer this challenge, else the reason we cannot."""
    qop = challenge['qop']
    if qop:
        if 'auth' in qop or 'auth-int' in qop:
            return None
        return 'the device offers only qop %s' % ','.join(qop)[:60]
    if allow_legacy:
        return None
    return ('the device offers legacy digest without qop (no replay protection); set allow_legacy_digest to '
            'accept it')


def select_challenge(values, allow_legacy=False):
    """The first usable Digest challenge of a list of WWW-Authenticate values; raises with the reason."""
    challenges = parse_challenges(values)
    reasons = []
    for challenge in challenges:
        why = usable(challenge, allow_legacy)
        if why is None:
            return challenge
        reasons.append(why)
    raise DigestChallengeError('; '.join(reasons))


class DigestAuth(object):
    """Computes Authorization headers, reusing one nonce with an increasing nonce count.

    Used by the transport (start before each request, answer on a 401) and usable on its own with requests
    (``session.post(url, auth=DigestAuth(user, pw))``: requests calls any callable auth). Not thread-safe: one
    instance per device session. Importing this file does not import requests."""

    def __init__(self, username, password, allow_legacy=False, max_401_body=65536):
        self.username = username
        self._password = password
        self.allow_legacy = bool(allow_legacy)
        self.max_401_body = max_401_body
        self.challenge = None
        self.nc = 0
        self.last_error = None      # why the last 401 could not be answered (None: credentials refused)
        self.rechallenges = 0       # re-challenges after a kept nonce was refused (for tests and metrics)
        self._sess_cnonce = None
        self._sent_nonce = None
        self._kept = False
        self._resends = 0

    def __repr__(self):
        return 'DigestAuth(username=%r)' % self.username

    @property
    def realm(self):
        return self.challenge['realm'] if self.challenge else None

    def set_challenge(self, challenge):
        self.challenge = challenge
        self.nc = 0
        self._sess_cnonce = os.urandom(8).hex() if challenge.get('algorithm') == 'MD5-SESS' else None

    def ha1(self, cnonce=None):
        base = _md5_hex('%s:%s:%s' % (self.username, self.challenge['realm'], self._password))
        if self.challenge.get('algorithm') == 'MD5-SESS':
            return _md5_hex('%s:%s:%s' % (base, self.challenge['nonce'], cnonce))
        return base

    def authorization(self, method, uri, cnonce=None, body=None):
        """The header value for the next request (increments nc). `body` is needed only for qop=auth-int."""
        ch = self.challenge
        if ch is None:
            raise DigestChallengeError('no challenge received yet')
        qop = ch['qop']
        if ch.get('algorithm') == 'MD5-SESS':
            cnonce = cnonce or self._sess_cnonce or os.urandom(8).hex()
        if 'auth' in qop:
            chosen = 'auth'
        elif 'auth-int' in qop:
            chosen = 'auth-int'
        elif not qop:
            if not self.allow_legacy:
                raise DigestChallengeError(usable(ch, False))
            chosen = None
        else:
            raise DigestChallengeError('device offers only qop %s; qop=auth is required' % ','.join(qop))
        if chosen == 'auth-int':
            data = body if isinstance(body, bytes) else (body or '').encode('utf-8')
            ha2 = _md5_hex('%s:%s:%s' % (method, uri, _md5_bytes_hex(data)))
        else:
            ha2 = _md5_hex('%s:%s' % (method, uri))
        parts = ['username="%s"' % self.username, 'realm="%s"' % ch['realm'], 'nonce="%s"' % ch['nonce'],
                 'uri="%s"' % uri]
        if chosen:
            self.nc += 1
            nc = '%08x' % self.nc
            cnonce = cnonce or os.urandom(8).hex()
            response = _md5_hex('%s:%s:%s:%s:%s:%s' % (self.ha1(cnonce), ch['nonce'], nc, cnonce, chosen, ha2))
            parts += ['response="%s"' % response, 'qop="%s"' % chosen, 'nc=%s' % nc, 'cnonce="%s"' % cnonce]
        else:
            parts.append('response="%s"' % _md5_hex('%s:%s:%s' % (self.ha1(cnonce), ch['nonce'], ha2)))
        if ch.get('algorithm') == 'MD5-SESS':
            parts.append('algorithm=MD5-sess')
        if ch.get('opaque'):
            parts.append('opaque="%s"' % ch['opaque'])
        return 'Digest ' + ', '.join(parts)

    # -- the round trip (transport.py) ----------------------------------------------------------
    def start(self, method, uri, body=None):
        """The Authorization header of a new request (with the kept nonce), or None before any challenge.
        Resets the per-request state of the round trip."""
        self._resends = 0
        self.last_error = None
        self._sent_nonce = None
        self._kept = False
        if self.challenge is None:
            return None
        try:
            header = self.authorization(method, uri, body=body)
        except DigestChallengeError as exc:
            self.last_error = str(exc)
            return None
        self._sent_nonce = self.challenge['nonce']
        self._kept = True
        return header

    def answer(self, values, method, uri, body, drain):
        """The Authorization header that answers a 401 with these WWW-Authenticate values, or None when the 401 is
        the answer (credentials refused, no usable challenge, a third 401 for one request; last_error says why
        unless the credentials were refused). drain() reads the 401 body and says whether it fit the limit; it is
        called only when the request is sent again."""
        if self._resends >= 2:
            return None
        try:
            challenge = select_challenge([v for v in values or () if v is not None], self.allow_legacy)
        except DigestChallengeError as exc:
            self.last_error = str(exc)
            return None
        if self._sent_nonce is not None and not challenge['stale']:
            # our answer was refused and the nonce is not called stale: a wrong password, unless the nonce was
            # one kept from an earlier exchange (firmware may forget nonces): then one fresh try.
            if not self._kept:
                return None
            self.rechallenges += 1
        if not drain():
            self.last_error = '401 page larger than %d bytes' % self.max_401_body
            return None
        self.set_challenge(challenge)
        try:
            header = self.authorization(method, uri, body=body)
        except DigestChallengeError as exc:
            self.last_error = str(exc)
            return None
        self._sent_nonce = challenge['nonce']
        self._kept = False
        self._resends += 1
        return header

    # -- as a requests auth (callable) -----------------------------------------------------------
    def __call__(self, request):
        header = self.start(request.method, request.path_url, request.body)
        if header:
            request.headers['Authorization'] = header
        request.register_hook('response', self.handle_401)
        return request

    def handle_401(self, response, **kwargs):
        """requests response hook: answer a digest challenge (at most twice per request); the final response."""
        if response.status_code != 401:
            return response
        raw_headers = getattr(response.raw, 'headers', None)
        if raw_headers is not None and hasattr(raw_headers, 'getlist'):
            values = raw_headers.getlist('WWW-Authenticate')
        else:
            values = [response.headers.get('www-authenticate')]
        request = response.request.copy()
        header = self.answer(values, request.method, request.path_url, request.body,
                             lambda: _drain(response, self.max_401_body))
        if header is None:
            return response
        _release(response)
        request.headers['Authorization'] = header
        again = response.connection.send(request, **kwargs)
        again.history.append(response)
        again.request = request
        again.oob_extra_exchanges = getattr(response, 'oob_extra_exchanges', 0) + 1
        return self.handle_401(again, **kwargs)


def _release(response):
    release = getattr(response.raw, 'release_conn', None)
    if release is not None:
        release()
    else:  # pragma: no cover
        response.close()


def _drain(response, limit):
    total = 0
    raw = response.raw
    while True:
        chunk = raw.read(65536, decode_content=False)
        if not chunk:
            return True
        total += len(chunk)
        if total > limit:
            return False

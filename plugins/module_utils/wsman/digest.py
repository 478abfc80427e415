# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP Digest (RFC 2617, MD5, qop=auth) the way AMT speaks it.

AMT quirks handled here: the realm is used verbatim including its ``Digest:`` prefix,
``qop="auth-int, auth"`` is a list inside one quoted string (a naive split on commas breaks),
and a nonce may be reused with an increasing nonce count so later requests need no challenge.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os


class DigestChallengeError(ValueError):
    """The WWW-Authenticate header is not a usable digest challenge."""


def _md5_hex(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()  # noqa: S324 - mandated by HTTP digest


def parse_challenge(header):
    """Parse a ``WWW-Authenticate: Digest ...`` value into a dict with lower-case keys.

    ``qop`` comes back as a list of tokens; ``stale`` as a bool.
    """
    if header is None:
        raise DigestChallengeError('no WWW-Authenticate header')
    text = header.strip()
    if text[:6].lower() != 'digest':
        raise DigestChallengeError('not a Digest challenge')
    pos = 6
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
        params[name] = value
    if 'nonce' not in params or 'realm' not in params:
        raise DigestChallengeError('challenge lacks realm or nonce')
    algorithm = params.get('algorithm', 'MD5')
    if algorithm.upper() not in ('MD5',):
        raise DigestChallengeError('unsupported digest algorithm %s' % algorithm)
    params['qop'] = [q.strip() for q in params.get('qop', '').split(',') if q.strip()]
    params['stale'] = params.get('stale', 'false').strip().lower() == 'true'
    return params


class DigestAuth(object):
    """Computes Authorization headers, reusing one nonce with an increasing nonce count."""

    def __init__(self, username, password):
        self.username = username
        self._password = password
        self.challenge = None
        self.nc = 0

    def __repr__(self):
        return 'DigestAuth(username=%r)' % self.username

    @property
    def realm(self):
        return self.challenge['realm'] if self.challenge else None

    def set_challenge(self, challenge):
        self.challenge = challenge
        self.nc = 0

    def ha1(self):
        return _md5_hex('%s:%s:%s' % (self.username, self.challenge['realm'], self._password))

    def authorization(self, method, uri, cnonce=None):
        """The header value for the next request (increments nc)."""
        ch = self.challenge
        if ch is None:
            raise DigestChallengeError('no challenge received yet')
        ha2 = _md5_hex('%s:%s' % (method, uri))
        parts = ['username="%s"' % self.username, 'realm="%s"' % ch['realm'], 'nonce="%s"' % ch['nonce'],
                 'uri="%s"' % uri]
        if 'auth' in ch['qop']:
            self.nc += 1
            nc = '%08x' % self.nc
            cnonce = cnonce or os.urandom(8).hex()
            response = _md5_hex('%s:%s:%s:%s:auth:%s' % (self.ha1(), ch['nonce'], nc, cnonce, ha2))
            parts += ['response="%s"' % response, 'qop="auth"', 'nc=%s' % nc, 'cnonce="%s"' % cnonce]
        elif not ch['qop']:
            parts.append('response="%s"' % _md5_hex('%s:%s:%s' % (self.ha1(), ch['nonce'], ha2)))
        else:
            raise DigestChallengeError('device offers only qop %s; qop=auth is required' % ','.join(ch['qop']))
        if ch.get('opaque'):
            parts.append('opaque="%s"' % ch['opaque'])
        return 'Digest ' + ', '.join(parts)


def admin_password_hash(realm, password, username='admin'):
    """Lower-case hex MD5(username:realm:password), the form Setup/AdminSetup expect."""
    return _md5_hex('%s:%s:%s' % (username, realm, password))


def admin_password_digest_raw(realm, password, username='admin'):
    """Raw 16-byte MD5(username:realm:password), the form SetAdminAclEntryEx expects (base64)."""
    return hashlib.md5(('%s:%s:%s' % (username, realm, password)).encode('utf-8')).digest()  # noqa: S324

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by the WS-Management client.

Every error knows the device, the operation and a hint that tells the user what to change,
so a module can turn it into one sentence. Messages never carry secrets.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Belt and braces: whatever an underlying library puts in a message, no Authorization value leaves us.
_SECRET_RE = re.compile(r'(?i)(authorization\s*[:=]\s*|\bDigest\s+username=)[^\r\n]*')


def redact(text):
    """Text with any Authorization header (or digest answer) cut out."""
    if not isinstance(text, str):
        return text
    return _SECRET_RE.sub(lambda m: m.group(1) + '<redacted>', text)


class WsmanError(Exception):
    """Base class: host, operation, what happened and the likely fix."""

    default_hint = ''

    def __init__(self, reason, host=None, operation=None, hint=None, **details):
        reason = redact(reason)
        super(WsmanError, self).__init__(reason)
        self.reason = reason
        self.host = host
        self.operation = operation
        self.hint = hint if hint is not None else self.default_hint
        self.details = details

    @property
    def message(self):
        parts = []
        if self.host:
            parts.append('AMT device %s' % self.host)
        if self.operation:
            parts.append(self.operation)
        text = ': '.join(parts + [self.reason]) if parts else self.reason
        if self.hint:
            text = '%s. %s' % (text.rstrip('.'), self.hint)
        return redact(text)

    def __str__(self):
        return self.message

    def as_dict(self):
        """Structured extras for fail_json (never secrets)."""
        data = {'error': type(self).__name__}
        data.update(self.details)
        return data


class WsmanConnectionError(WsmanError):
    default_hint = ('Check that the device is powered (standby power is enough), reachable on the '
                    'network and that host/port/use_tls are right; a device that resets connections it '
                    'accepted may be at its connection limit (firmware serves only a few at once): lower '
                    'forks or the number of tasks aimed at it, or retry later')


class WsmanTimeoutError(WsmanConnectionError):
    default_hint = ('The device did not answer within the timeout; it may be busy, asleep on a '
                    'battery policy or unreachable. Raise timeout or check the network path')


class WsmanOutcomeUnknownError(WsmanConnectionError):
    """A write reached the device (at least partly) and no answer came back: it may or may not have acted.

    Never retried by the client. details: sent=True, timed_out. A module re-reads the state and reports what it
    finds, or fails with this message."""
    default_hint = ('The request was sent but no answer came back, so whether the device carried it out is '
                    'unknown; read the current state (run the task again in check mode, or amt_info) before '
                    'repeating it')


class WsmanOutcomeUnknownTimeout(WsmanOutcomeUnknownError, WsmanTimeoutError):
    """A write was sent and the deadline passed before its answer: outcome unknown, and a timeout."""
    default_hint = WsmanOutcomeUnknownError.default_hint


class WsmanTLSError(WsmanError):
    default_hint = ('Check validate_certs/ca_path (the CA that issued the device certificate), '
                    'cert_fingerprint for self-signed firmware certificates, and ciphers/min_tls_version '
                    'for old firmware that only speaks TLS 1.0/1.1 with RSA key exchange')


class WsmanAuthError(WsmanError):
    default_hint = ('Check username and password (the AMT admin account); after several failures '
                    'AMT locks the account for a while')


class WsmanHTTPError(WsmanError):
    default_hint = 'The device answered with an unexpected HTTP status; retry later or check the firmware'

    def __init__(self, reason, status=None, **kwargs):
        super(WsmanHTTPError, self).__init__(reason, **kwargs)
        self.status = status
        self.details['status'] = status


class WsmanFault(WsmanError):
    default_hint = ''

    def __init__(self, reason, code=None, subcode=None, detail=None, status=None, **kwargs):
        super(WsmanFault, self).__init__(reason, **kwargs)
        self.code = code
        self.subcode = subcode
        self.detail = detail
        self.status = status
        self.details.update({'fault_code': code, 'fault_subcode': subcode, 'status': status})


class WsmanReturnValueError(WsmanError):
    default_hint = ''

    def __init__(self, reason, method=None, return_value=None, meaning=None, **kwargs):
        super(WsmanReturnValueError, self).__init__(reason, **kwargs)
        self.method = method
        self.return_value = return_value
        self.meaning = meaning
        self.details.update({'method': method, 'return_value': return_value, 'return_meaning': meaning})


class WsmanInputError(WsmanError, ValueError):
    """A value the client refuses to put on the wire (CR/LF/NUL in a header, non-XML characters); raised before
    any contact with the device. Also a ValueError, for callers that validate input that way."""
    default_hint = 'Remove control characters (CR, LF, NUL and other characters XML cannot carry) from the value'


class WsmanMalformedResponse(WsmanError):
    default_hint = ('The device sent a response that is not valid WS-Management XML; it may be '
                    'rebooting or not an AMT device')

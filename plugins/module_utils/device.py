# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue between Ansible modules and the WS-Man client: shared options, client creation, errors.

Keep CONNECTION_ARGSPEC in sync with plugins/doc_fragments/connection.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import ssl

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError
from ansible_collections.oob.amt.plugins.module_utils.wsman.soap import HAS_LXML, LXML_IMPORT_ERROR
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient

CONNECTION_ARGSPEC = dict(
    host=dict(type='str', fallback=(env_fallback, ['AMT_HOST'])),
    port=dict(type='int'),
    use_tls=dict(type='bool', default=True),
    username=dict(type='str', default='admin', fallback=(env_fallback, ['AMT_USERNAME'])),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['AMT_PASSWORD'])),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    client_cert=dict(type='path'),
    client_key=dict(type='path', no_log=False),
    ciphers=dict(type='str'),
    min_tls_version=dict(type='str', choices=['1.0', '1.1', '1.2', '1.3']),
    cert_fingerprint=dict(type='str'),
    timeout=dict(type='float', default=30),
)

CONNECTION_KEYS = tuple(CONNECTION_ARGSPEC)


def connection_argspec(**extra):
    """A copy of the shared options plus module-specific ones."""
    spec = dict((k, dict(v)) for k, v in CONNECTION_ARGSPEC.items())
    spec.update(extra)
    return spec


def check_connection_params(params):
    """Validate connection options before any device is contacted. Raises ValueError naming the option."""
    if not params.get('host'):
        raise ValueError('option host is required (or set the AMT_HOST environment variable)')
    port = params.get('port')
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError('option port must be between 1 and 65535, got %s' % port)
    timeout = params.get('timeout')
    if timeout is not None and float(timeout) <= 0:
        raise ValueError('option timeout must be a positive number of seconds')
    if bool(params.get('client_cert')) != bool(params.get('client_key')):
        raise ValueError('options client_cert and client_key must be given together')
    for opt in ('ca_path', 'client_cert', 'client_key'):
        path = params.get(opt)
        if path and not os.access(path, os.R_OK):
            raise ValueError('option %s: cannot read %s' % (opt, path))
    fingerprint = params.get('cert_fingerprint')
    if fingerprint:
        cleaned = fingerprint.replace(':', '').replace('-', '').replace(' ', '').lower()
        if len(cleaned) != 64 or any(c not in '0123456789abcdef' for c in cleaned):
            raise ValueError('option cert_fingerprint must be a SHA-256 fingerprint (64 hex digits, colons allowed)')
    if params.get('use_tls') is not False:
        check_tls_files(params)


def _ssl_reason(exc):
    return getattr(exc, 'reason', None) or str(exc)


def check_tls_files(params):
    """Load CA, ciphers and client key pair the way the client will, so bad files fail here, naming the option."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca_path = params.get('ca_path')
    if ca_path and os.path.isfile(ca_path) and params.get('validate_certs') is not False \
            and not params.get('cert_fingerprint'):
        try:
            ctx.load_verify_locations(cafile=ca_path)
        except (ssl.SSLError, ValueError) as exc:
            raise ValueError('option ca_path: %s holds no usable PEM CA certificate (%s)' % (ca_path, _ssl_reason(exc)))
    ciphers = params.get('ciphers')
    if ciphers:
        try:
            ctx.set_ciphers(ciphers)
        except ssl.SSLError:
            raise ValueError('option ciphers: OpenSSL supports none of the ciphers in %r' % ciphers)
    cert, key = params.get('client_cert'), params.get('client_key')
    if cert and key:
        try:
            ctx.load_cert_chain(cert, key, password=lambda: b'')
        except (ssl.SSLError, ValueError) as exc:
            reason = _ssl_reason(exc)
            if 'MISMATCH' in str(reason).upper():
                raise ValueError('options client_cert and client_key: the key in %s does not belong to the '
                                 'certificate in %s' % (key, cert))
            raise ValueError('options client_cert and client_key: cannot load %s / %s as an unencrypted PEM '
                             'certificate and key (%s)' % (cert, key, reason))


def client_from_params(params, **overrides):
    """A WsmanClient from module parameters (after check_connection_params)."""
    check_connection_params(params)
    kwargs = dict((k, params.get(k)) for k in CONNECTION_KEYS)
    kwargs.update(overrides)
    if kwargs.get('timeout') is None:
        kwargs['timeout'] = 30
    return WsmanClient(**kwargs)


def require_libs(module):
    if not HAS_LXML:
        module.fail_json(msg=missing_required_lib('lxml'), exception=LXML_IMPORT_ERROR)


def warn_plaintext(module, params):
    if params.get('use_tls') is False:
        module.warn('use_tls is false: the AMT session (digest-protected, but not encrypted) travels in '
                    'plain text on port %s; CSME 16.1 and later refuse it from the network'
                    % (params.get('port') or 16992))


def module_client(module):
    """Checks libraries and options, warns on plaintext, returns a client or fails the module."""
    require_libs(module)
    try:
        client = client_from_params(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    warn_plaintext(module, module.params)
    return client


def fail_from_error(module, err, operation=None, **extra):
    """One fail_json for a WsmanError: names device, operation and the fix; structured extras."""
    if operation and not err.operation:
        err.operation = operation
    result = dict(extra)
    result.update(err.as_dict())
    module.fail_json(msg=err.message, **result)


def error_result(err, operation=None):
    """The same as fail_from_error as a plain dict (for action plugins)."""
    if operation and not err.operation:
        err.operation = operation
    result = {'failed': True, 'msg': err.message}
    result.update(err.as_dict())
    return result


__all__ = ['CONNECTION_ARGSPEC', 'connection_argspec', 'client_from_params', 'check_connection_params',
           'fail_from_error', 'module_client', 'WsmanError']

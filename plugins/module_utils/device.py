# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue between Ansible and the AMT operations: shared connection options, client creation, and the one
runner every device module uses (run_device_module in a module, execute in the controller-side action
plugin): one connection-option check, one client opened with `with`, one error path, one warning wording.

Keep CONNECTION_ARGSPEC in sync with plugins/doc_fragments/connection.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import ssl

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.fleet import FLEET_ARGSPEC, FleetInputError, is_fleet, run_fleet
from ansible_collections.oob.amt.plugins.module_utils.formats.certs import CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY
from ansible_collections.oob.amt.plugins.module_utils.results import failed, finish_module
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError
from ansible_collections.oob.amt.plugins.module_utils.wsman.soap import HAS_LXML, LXML_IMPORT_ERROR
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import normalise_fingerprint, ssl_context_for

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
    legacy_tls_ciphers=dict(type='bool', default=False),
    allow_legacy_digest=dict(type='bool', default=False),
)

# WsmanClient keyword arguments (legacy_tls_ciphers is folded into ciphers by client_from_params)
CONNECTION_KEYS = tuple(k for k in CONNECTION_ARGSPEC if k != 'legacy_tls_ciphers')

# legacy_tls_ciphers: the modern defaults plus the three RSA key exchange suites go-wsman-messages adds with
# AllowInsecureCipherSuites (pkg/wsman/client/wsman.go): TLS_RSA_WITH_AES_128_GCM_SHA256, _AES_128_CBC_SHA,
# _AES_256_CBC_SHA, for firmware before 16 that offers nothing else.
MODERN_CIPHERS = 'ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:ECDH+AES:DHE+AES'
LEGACY_RSA_CIPHERS = 'AES128-GCM-SHA256:AES128-SHA:AES256-SHA'
LEGACY_TLS_WARNING = ('legacy_tls_ciphers is true: RSA key exchange suites (no forward secrecy) are offered to %s; '
                      'a recorded session can be decrypted later with the device key. Use it only for firmware '
                      'before AMT 16 that offers nothing else, and update that firmware')


def effective_ciphers(params):
    """The cipher string the client uses: ciphers as given, with the legacy RSA suites added on request."""
    ciphers = params.get('ciphers')
    if not params.get('legacy_tls_ciphers'):
        return ciphers
    return '%s:%s:!aNULL:!eNULL:!MD5:!DSS:!AESCCM' % (ciphers or MODERN_CIPHERS, LEGACY_RSA_CIPHERS)


LEGACY_DIGEST_WARNING = ('allow_legacy_digest is true: a digest challenge without qop (RFC 2069) from %s is answered; '
                         'it has no client nonce and no replay protection. Use it only for firmware that offers nothing '
                         'else, and update that firmware')


def legacy_tls_warnings(params):
    """The warnings for the opt-ins that weaken the session: legacy TLS ciphers, legacy digest."""
    warnings = []
    if params.get('legacy_tls_ciphers') and params.get('use_tls') is not False:
        warnings.append(LEGACY_TLS_WARNING % (params.get('host') or 'the device'))
    if params.get('allow_legacy_digest'):
        warnings.append(LEGACY_DIGEST_WARNING % (params.get('host') or 'the device'))
    return warnings


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
    try:
        normalise_fingerprint(params.get('cert_fingerprint'))
    except ValueError:
        raise ValueError('option cert_fingerprint must be a SHA-256 fingerprint (64 hex digits, colons allowed)')
    if params.get('use_tls') is not False:
        check_tls_files(params)


def _ssl_reason(exc):
    return getattr(exc, 'reason', None) or str(exc)


def _stamp(path):
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)
    return (path, st.st_mtime_ns, st.st_size)


# TLS options (and their files' stamps) already checked in this process: a fleet of devices sharing ca_path and
# ciphers loads the CA once, not once per device; a file replaced during the run is checked again.
_TLS_CHECKED = set()


def check_tls_files(params):
    """Load CA, ciphers and client key pair the way the client will, so bad files fail here, naming the option."""
    key = (_stamp(params.get('ca_path')), params.get('validate_certs') is not False, bool(params.get('cert_fingerprint')),
           effective_ciphers(params), _stamp(params.get('client_cert')), _stamp(params.get('client_key')))
    if key in _TLS_CHECKED:
        return
    if not params.get('client_cert'):
        # the context the client will use, built once per run (transport.ssl_context_for): when it builds, the
        # files are good and the client finds it ready (one CA load per run instead of two); when it does not,
        # the checks below say which option is wrong. (Not with a client key: an encrypted one would make
        # OpenSSL prompt for its pass phrase; the checks below refuse it first.)
        try:
            ssl_context_for(validate_certs=params.get('validate_certs') is not False, ca_path=params.get('ca_path'),
                            ciphers=effective_ciphers(params), min_tls_version=params.get('min_tls_version'),
                            cert_fingerprint=params.get('cert_fingerprint'))
        except (ssl.SSLError, ValueError, OSError):
            _check_tls_files(params)
    else:
        _check_tls_files(params)
    if len(_TLS_CHECKED) > 256:
        _TLS_CHECKED.clear()
    _TLS_CHECKED.add(key)


def _check_tls_files(params):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca_path = params.get('ca_path')
    if ca_path and os.path.isfile(ca_path) and params.get('validate_certs') is not False \
            and not params.get('cert_fingerprint'):
        try:
            ctx.load_verify_locations(cafile=ca_path)
        except (ssl.SSLError, ValueError) as exc:
            raise ValueError('option ca_path: %s holds no usable PEM CA certificate (%s)' % (ca_path, _ssl_reason(exc)))
    ciphers = effective_ciphers(params)
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
    kwargs['ciphers'] = effective_ciphers(params)
    kwargs.update(overrides)
    if kwargs.get('timeout') is None:
        kwargs['timeout'] = 30
    return WsmanClient(**kwargs)


# One wording for an unprotected session: '<option> is false: <what is exposed>; <what to do>'.
PLAINTEXT_WARNING = ('use_tls is false: the AMT session (digest-protected, but not encrypted) travels in plain text '
                     'on port %s; CSME 16.1 and later refuse it from the network')
UNVERIFIED_WARNING = ('validate_certs is false: the AMT session is encrypted, but the certificate of %s is not '
                      'checked, so anyone on the path can pose as the device; set ca_path or cert_fingerprint instead')


def plaintext_warnings(params):
    """The one warning about an unprotected session (plain text, or TLS without any certificate check), as a
    list (empty when TLS is used and the device is authenticated by a CA or a pinned fingerprint)."""
    if params.get('use_tls') is False:
        return [PLAINTEXT_WARNING % (params.get('port') or 16992)]
    if params.get('validate_certs') is False and not params.get('cert_fingerprint'):
        return [UNVERIFIED_WARNING % (params.get('host') or 'the device')]
    return []


def warn_plaintext(module, params):
    for warning in plaintext_warnings(params):
        module.warn(warning)


def missing_library(operation, params):
    """(msg, exception) for a Python library the operation needs and the interpreter lacks, or None."""
    if operation.needs_cryptography and not HAS_CRYPTOGRAPHY:
        return missing_required_lib('cryptography'), CRYPTOGRAPHY_IMPORT_ERROR
    if (operation.own_clients or operation.needs_device(params)) and not HAS_LXML:
        return missing_required_lib('lxml'), LXML_IMPORT_ERROR
    return None


def argument_spec(operation):
    """The full argument spec of a device module: the connection options plus the operation's own (and the
    fleet options, module_utils/fleet.py, when the operation runs on a fleet from one task)."""
    spec = connection_argspec(**operation.options)
    if getattr(operation, 'fleet', False):
        spec.update((k, dict(v)) for k, v in FLEET_ARGSPEC.items())
    return spec


def error_result(err, operation=None):
    """The failed result for a WsmanError: names device, operation and the fix; structured extras."""
    if operation and not err.operation:
        err.operation = operation
    result = {'failed': True, 'msg': err.message}
    result.update(err.as_dict())
    return result


def execute(operation, params, check_mode=False, diff=False):
    """Run an operation the same way in a module and in the controller: (result, warnings).

    Input is checked before any contact (the operation's prepare, then the connection options); a
    failure comes back as a result with failed=True and a msg that names the device and the operation.
    """
    missing = missing_library(operation, params)
    if missing:
        return failed(missing[0], exception=missing[1]), []
    if getattr(operation, 'fleet', False) and is_fleet(params):
        if params.get('targets'):
            return failed('option targets (an inventory pattern) is resolved by the controller-side action plugin; '
                          'this module process has no inventory: list the devices in option devices instead'), []
        try:
            return run_fleet(operation, params, params['devices'], execute, check_mode=check_mode, diff=diff)
        except FleetInputError as err:
            return failed(str(err)), []
    try:
        params = operation.prepare(dict(params))
        device = operation.needs_device(params) and not operation.own_clients
        client = client_from_params(params) if device else None     # checks the connection options
        if operation.own_clients and params.get('host'):
            check_connection_params(params)
    except AmtError as err:
        return failed(err.msg, **err.details), []
    except ValueError as err:
        return failed(str(err)), []
    warnings = plaintext_warnings(params) + legacy_tls_warnings(params) if device else []
    name = operation.name(params)
    try:
        if client is None:
            return operation.run(None, params, check_mode=check_mode, diff=diff), warnings
        with client:
            result = operation.run(client, params, check_mode=check_mode, diff=diff)
            result.setdefault('exchanges', client.exchanges)
        return result, warnings
    except (AmtError, WsmanError) as err:
        extra, more_warnings = operation.on_failure(params, check_mode) if operation.on_failure else ({}, [])
        warnings += more_warnings
        if isinstance(err, WsmanError):
            result = dict(extra)
            result.update(error_result(err, name))
            return result, warnings
        target = client.host if client is not None else operation.target(params)
        result = dict(extra, **err.details)
        if client is not None:
            result['exchanges'] = client.exchanges
        result.update(failed=True, msg='AMT device %s: %s: %s' % (target, err.operation or name, err.msg))
        return result, warnings


def run_device_module(operation):
    """main() of a device module: argument spec from the operation, one execute, exit or fail."""
    module = AnsibleModule(argument_spec=argument_spec(operation), supports_check_mode=True,
                           **operation.constraints)
    finish_module(module, *execute(operation, module.params, check_mode=module.check_mode, diff=module._diff))


__all__ = ['CONNECTION_ARGSPEC', 'connection_argspec', 'client_from_params', 'check_connection_params',
           'argument_spec', 'execute', 'run_device_module', 'error_result', 'WsmanError']

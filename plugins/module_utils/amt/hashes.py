# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device's trusted root certificate hash table (AMT_ProvisioningCertificateHash, reference §5.4)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import traceback

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.formats import certs as amt_certs
from ansible_collections.oob.amt.plugins.module_utils.formats.certs import hash_forms
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault

CLASS = 'AMT_ProvisioningCertificateHash'
# HashType as the HECI/PTHI API numbers it (1 SHA-1, 2 SHA-256, 3 SHA-384).
HASH_TYPES = {'sha1': 1, 'sha256': 2, 'sha384': 3}
# Names of the HashType values a table may hold (0 MD5 only in old factory tables).
HASH_TYPE_NAMES = dict([(0, 'md5')] + [(v, k) for k, v in HASH_TYPES.items()])
MAX_CUSTOM = 3
USB_HINT = ('this firmware accepts custom root hashes only from USB provisioning (many AMT 16+ platforms): '
            'write a setup.bin with oob.amt.amt_usb_setupbin (trusted_hashes) and boot the device with it')


class HashError(AmtError):
    """A trusted hash change the device or the rules refuse."""


def _entry(item):
    try:
        digest = base64.b64decode(item.get('HashData') or '', validate=True).hex()
    except (binascii.Error, ValueError):
        digest = ''
    try:
        algorithm = HASH_TYPE_NAMES.get(int(item.get('HashType')), str(item.get('HashType')))
    except (TypeError, ValueError):
        algorithm = str(item.get('HashType'))
    return {
        'instance_id': item.get('InstanceID'),
        'name': item.get('Description') or item.get('ElementName') or '',
        'algorithm': algorithm,
        'hash': digest,
        'hash_forms': hash_forms(digest) if digest else {},
        'enabled': bool(item.get('Enabled')),
        'default': bool(item.get('IsDefault')),
        '_raw': item,
    }


def list_hashes(client):
    """Every entry of the table (one Enumerate, optimized)."""
    return [_entry(item) for item in client.enumerate(CLASS)]


def _public(entry):
    return dict((k, v) for k, v in entry.items() if k != '_raw')


def _put_representation(raw, enable):
    # Firmware Puts want the whole instance back, with only Enabled changed.
    keys = ('Description', 'ElementName', 'Enabled', 'HashData', 'HashType', 'InstanceID', 'IsDefault')
    instance = dict((k, raw[k]) for k in keys if raw.get(k) is not None)
    instance['Enabled'] = enable
    return instance


def run_hash(client, params, check_mode=False, diff=False):
    """Converge one hash to params['state'] (present/absent/enabled/disabled), or only list the table (None)."""
    state = params['state']
    before = list_hashes(client)
    result = {'changed': False, 'hashes': [_public(h) for h in before]}
    if not state:
        return result
    digest, algorithm = params['hash'], params['algorithm']
    match = [h for h in before if h['hash'] == digest and h['algorithm'] == algorithm]
    current = match[0] if match else None
    wanted = None
    if state == 'absent':
        if current is None:
            return result
        if current['default']:
            raise HashError('hash %s is a factory (default) entry: firmware allows disabling it '
                            '(state: disabled), not deleting it' % digest)
        if not check_mode:
            client.delete(CLASS, {'InstanceID': current['instance_id']})
    elif current is None:
        if state == 'disabled':
            return result  # nothing to disable: an absent hash is not trusted either
        customs = [h for h in before if not h['default']]
        if len(customs) >= MAX_CUSTOM:
            raise HashError('the device already holds %d custom hashes (%s), the most AMT allows: remove one '
                            'first (state: absent)' % (len(customs), ', '.join(h['name'] for h in customs)))
        wanted = {'name': params['name'], 'algorithm': algorithm, 'hash': digest, 'enabled': True, 'default': False}
        if not check_mode:
            instance = {'Description': params['name'], 'Enabled': True,
                        'HashData': base64.b64encode(bytes.fromhex(digest)).decode('ascii'),
                        'HashType': HASH_TYPES[algorithm]}
            try:
                epr = client.create(CLASS, instance) or {}
                wanted['instance_id'] = (epr.get('selectors') or {}).get('InstanceID')
            except WsmanFault as err:
                if 'AccessDenied' in '%s %s' % (err.subcode, err.reason):
                    raise HashError('the device refused to add it (%s): %s' % (err.reason, USB_HINT))
                raise
    else:
        enable = state in ('present', 'enabled')
        if current['enabled'] == enable:
            return result
        wanted = dict(current, enabled=enable)
        if not check_mode:
            client.put(CLASS, _put_representation(current['_raw'], enable), {'InstanceID': current['instance_id']})
    result['changed'] = True
    # the table after the change, from what was read and done (no second Enumerate)
    if wanted is not None:
        wanted.setdefault('hash_forms', hash_forms(digest))
    if current is None:
        after = before + [wanted]
    else:
        after = [wanted if h is current else h for h in before if h is not current or wanted is not None]
    result['hashes'] = [_public(h) for h in after]
    if diff:
        result['diff'] = {'before': _public(current) if current else {},
                          'after': _public(wanted) if wanted else {}}
    return result


OPTIONS = dict(
    state=dict(type='str', choices=['present', 'absent', 'enabled', 'disabled']),
    certificate=dict(type='path'),
    tls_host=dict(type='str'),
    tls_port=dict(type='int', default=443),
    tls_fingerprint=dict(type='str'),
    tls_ca_path=dict(type='path'),
    hash=dict(type='str'),
    algorithm=dict(type='str', choices=['sha1', 'sha256', 'sha384']),
    name=dict(type='str'),
)


def _root_certificate(params, report):
    if params['certificate']:
        return amt_certs.load_root_certificate(params['certificate'])
    where = '%s:%s' % (params['tls_host'], params['tls_port'])
    chain = amt_certs.fetch_tls_chain(params['tls_host'], params['tls_port'], params['timeout'] or 30,
                                      ca_path=params.get('tls_ca_path'), fingerprint=params.get('tls_fingerprint'))
    if params.get('tls_ca_path'):
        root = amt_certs.issuing_root(chain, amt_certs.load_certificate_file(params['tls_ca_path'], 'tls_ca_path'))
        how = 'verified against tls_ca_path %s' % params['tls_ca_path']
        if root is None:
            raise amt_certs.CertError('tls_host %s: its chain was verified, but no certificate in tls_ca_path %s is its '
                                      'root (give the root CA file)' % (where, params['tls_ca_path']))
    else:
        root = amt_certs.root_of(chain)
        how = 'server certificate pinned by tls_fingerprint' if params.get('tls_fingerprint') else \
            'NOT verified (no tls_fingerprint or tls_ca_path)'
    report['tls_verified'] = bool(params.get('tls_ca_path') or params.get('tls_fingerprint'))
    sha256 = amt_certs.certificate_hashes(root)['sha256']['hex']
    report.setdefault('warnings', []).append(
        'tls_host %s: took the certificate %s (SHA-256 %s), %s' % (where, root.subject.rfc4514_string(), sha256, how))
    return root


def resolve(params):
    """(hash hex, algorithm, name, report) of the hash to manage; report holds root_hash and certificate when it
    comes from a certificate. Raises HashError naming the option."""
    report = {}
    digest, algorithm, name = None, params['algorithm'], params['name']
    if params['certificate'] or params['tls_host']:
        try:
            cert = _root_certificate(params, report)
        except amt_certs.CertError as exc:
            raise HashError(str(exc))
        except Exception as exc:  # a certificate file cryptography cannot parse at all
            raise HashError('cannot read the certificate: %s' % exc, exception=traceback.format_exc())
        report['root_hash'] = amt_certs.certificate_hashes(cert)
        report['certificate'] = amt_certs.describe_certificate(cert)
        algorithm = algorithm or 'sha256'
        digest = report['root_hash'][algorithm]['hex']
        name = name or amt_certs.common_name(cert, 'root CA')
    elif params['hash']:
        try:
            digest = amt_certs.normalize_hash(params['hash'])
        except ValueError as exc:
            raise HashError('option hash: %s' % exc)
        implied = amt_certs.algorithm_for_length(digest)
        if implied is None or (algorithm and algorithm != implied):
            raise HashError('option hash: %d hex digits is not a %s hash (SHA-1 has 40, SHA-256 64, SHA-384 96)'
                            % (len(digest), algorithm or 'SHA-1, SHA-256 or SHA-384'))
        algorithm = implied
        name = name or 'Custom root CA'
    if name is not None and not 1 <= len(name) <= 32:
        raise HashError('option name: a friendly name has 1 to 32 characters (it has %d)' % len(name))
    return digest, algorithm, name, report


def prepare(params):
    """Check the input and resolve the hash (from a certificate, a TLS server or the option) before contact."""
    state = params['state']
    if state and not (params['certificate'] or params['hash'] or params['tls_host']):
        raise HashError('state=%s needs the hash to manage: give certificate, hash or tls_host' % state)
    if not 1 <= params['tls_port'] <= 65535:
        raise HashError('option tls_port must be between 1 and 65535')
    if state and not params['host']:
        raise HashError('state=%s changes a device: give host (or set AMT_HOST)' % state)
    if params['tls_host'] and state in ('present', 'enabled') and not (params.get('tls_fingerprint')
                                                                       or params.get('tls_ca_path')):
        # a root taken from a peer nobody authenticated would let whoever answers tls_host choose the CA the device
        # trusts for provisioning
        raise HashError('tls_host: a root read over TLS from an unauthenticated server is never added to a device; '
                        'give tls_fingerprint (SHA-256 of the server certificate) or tls_ca_path (the CA that '
                        'issued it), or give the root itself as certificate or hash')
    if (params.get('tls_fingerprint') or params.get('tls_ca_path')) and not params['tls_host']:
        raise HashError('options tls_fingerprint and tls_ca_path authenticate tls_host: give tls_host')
    digest, algorithm, name, report = resolve(params)
    return dict(params, hash=digest, algorithm=algorithm, name=name, _report=report)


def run_hash_module(client, params, check_mode=False, diff=False):
    """The certificate report, the managed hash, and with a device its table (and the change)."""
    result = dict(params['_report'], changed=False)
    if params['state']:
        result['hash'] = {'hash': params['hash'], 'algorithm': params['algorithm'], 'name': params['name']}
    if client is not None:
        result.update(run_hash(client, params, check_mode=check_mode, diff=diff))
    return result


def _name(params):
    if params['state']:
        return 'trusted hash %s' % (params['hash'] or '')[:16]
    return 'trusted hash table'


OPERATION = Operation(OPTIONS, run_hash_module, name=_name, prepare=prepare,
                      needs_device=lambda params: bool(params['host']), needs_cryptography=True,
                      constraints=dict(mutually_exclusive=[('certificate', 'hash', 'tls_host')]))

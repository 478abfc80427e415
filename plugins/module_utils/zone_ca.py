# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The management (provisioning) certificate and its zone CA as files in one directory.

Layout of the directory (names fixed so playbooks and roles can find them):
  ca.key, ca.crt          zone CA (internal CA only; ca.crt also holds an external CA's root)
  mgmt.key                management certificate key (0600, never leaves the directory)
  mgmt.csr                request for an external CA
  mgmt.crt                management certificate
  mgmt-chain.pem          management certificate followed by its CA chain (what amt_provision sends)
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import traceback

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.file_operation import FileOperation, failed
from ansible_collections.oob.amt.plugins.module_utils.formats import certs
from ansible_collections.oob.amt.plugins.module_utils.formats.files import (
    backup_file, ensure_private_dir, read_bytes, write_atomic)

FILES = {
    'ca_key': 'ca.key', 'ca_certificate': 'ca.crt', 'key': 'mgmt.key', 'csr': 'mgmt.csr',
    'certificate': 'mgmt.crt', 'chain': 'mgmt-chain.pem',
}
MGMT_FILES = ('key', 'csr', 'certificate', 'chain')
CA_FILES = ('ca_key', 'ca_certificate')

# amt_mgmtcert's argument spec and constraints (the module and its action plugin use these)
OPTIONS = dict(
    state=dict(type='str', default='present', choices=['present', 'csr', 'imported', 'absent']),
    path=dict(type='path', required=True),
    ca=dict(type='str', default='internal', choices=['internal', 'external']),
    common_name=dict(type='str'),
    dns_names=dict(type='list', elements='str', default=[]),
    country=dict(type='str'),
    state_or_province=dict(type='str', aliases=['province']),
    locality=dict(type='str'),
    organization=dict(type='str'),
    organizational_unit=dict(type='list', elements='str', default=[]),
    is_ca=dict(type='bool', default=False),
    key_type=dict(type='str', default='rsa', choices=['rsa']),
    key_size=dict(type='int', default=2048, choices=[2048, 3072, 4096]),
    valid_days=dict(type='int', default=730),
    ca_common_name=dict(type='str'),
    ca_key_size=dict(type='int', default=3072, choices=[2048, 3072, 4096]),
    ca_valid_days=dict(type='int', default=3650),
    renew_before_days=dict(type='int', default=30),
    force=dict(type='bool', default=False),
    backup=dict(type='bool', default=False),
    force_ca=dict(type='bool', default=False),
    seed_compatibility=dict(type='bool', default=False),
    certificate=dict(type='path'),
    ca_chain=dict(type='path'),
    remove_ca=dict(type='bool', default=False),
)
CONSTRAINTS = dict(required_if=[('state', 'present', ['common_name']), ('state', 'csr', ['common_name']),
                                ('state', 'imported', ['certificate'])])


class MgmtCertError(AmtError):
    """A management certificate or zone CA that cannot be made, imported or kept as asked."""


class Store(object):
    """Reads the directory once and collects the writes, so check mode can skip them."""

    def __init__(self, directory, check_mode, backup=False):
        self.directory = directory
        self.check_mode = check_mode
        self.backup = backup
        self.writes = []
        self.removed = []
        self.backups = []

    def path(self, kind):
        return os.path.join(self.directory, FILES[kind])

    def read(self, kind):
        return read_bytes(self.path(kind))

    def write(self, kind, data, private):
        existing = self.read(kind)
        if existing == data:
            return False
        self.writes.append(FILES[kind])
        if not self.check_mode:
            if existing is not None and self.backup:
                self.backups.append(backup_file(self.path(kind)))
            write_atomic(self.path(kind), data, 0o600 if private else 0o644)
        return True

    def remove(self, kind):
        if not os.path.exists(self.path(kind)):
            return False
        self.removed.append(FILES[kind])
        if not self.check_mode:
            if self.backup:
                self.backups.append(backup_file(self.path(kind)))
            os.unlink(self.path(kind))
        return True


def _cert(store, kind):
    data = store.read(kind)
    if data is None:
        return None
    try:
        return certs.load_certificates(data, FILES[kind])[0]
    except certs.CertError:
        return None  # unreadable: treated as missing and replaced


def _key(store, kind, replaceable=False):
    """The key in the directory, None when there is none. A key file that cannot be read is never replaced
    silently: only with force (replaceable)."""
    data = store.read(kind)
    if data is None:
        return None
    try:
        return certs.load_private_key(data, FILES[kind])
    except certs.CertError:
        if replaceable:
            return None
        raise MgmtCertError('%s is not a readable private key; set force: true to replace it (backup: true keeps '
                            'the old file)' % store.path(kind))


def _keep_key(store, kind, key, params):
    """Refuse to replace an existing key of another type or size without force."""
    if key is not None and not _key_matches(key, params):
        have = certs.key_description(key)
        wanted = (params['key_type'], params['key_size'])
        raise MgmtCertError('%s is a %s %d key and key_type/key_size ask for %s %d; set force: true to replace the key '
                            '(backup: true keeps the old one)' % ((store.path(kind),) + tuple(have) + wanted))
    return key


def _key_matches(key, params):
    return key is not None and certs.key_description(key) == (params['key_type'], params['key_size'])


def _wanted_names(params):
    names = list(params.get('dns_names') or [])
    if params['common_name'] not in names and '.' in params['common_name']:
        names.insert(0, params['common_name'])
    return sorted(names)


def _san(cert_or_csr):
    try:
        ext = cert_or_csr.extensions.get_extension_for_class(certs.x509.SubjectAlternativeName)
        return sorted(ext.value.get_values_for_type(certs.x509.DNSName))
    except certs.x509.ExtensionNotFound:
        return []


def _is_ca(cert_or_csr):
    try:
        return cert_or_csr.extensions.get_extension_for_class(certs.x509.BasicConstraints).value.ca
    except certs.x509.ExtensionNotFound:
        return False


def matches_request(cert_or_csr, params):
    """Whether an existing certificate or CSR says what the parameters ask for."""
    wanted_subject = certs.build_name(params, certs.management_ous(params))
    m = certs.markers(cert_or_csr)
    return (cert_or_csr.subject == wanted_subject and _san(cert_or_csr) == _wanted_names(params)
            and _is_ca(cert_or_csr) == bool(params.get('is_ca'))
            and m['client_setup_oid'] and m['server_auth']
            and m['remote_console_oid'] == bool(params.get('seed_compatibility')))


def _describe(cert):
    return certs.describe_certificate(cert) if cert is not None else None


def _paths(store, kinds):
    return dict((k, store.path(k)) for k in kinds)


def run_mgmtcert(params, check_mode=False, diff=False, warn=None):
    warn = warn or (lambda msg: None)
    directory = params['path']
    if params['state'] != 'absent' and os.path.exists(directory) and not os.path.isdir(directory):
        raise MgmtCertError('path %s exists and is not a directory' % directory)
    created_dir = params['state'] != 'absent' and ensure_private_dir(directory, check_mode)
    store = Store(directory, check_mode, backup=params.get('backup', False))
    before = {'certificate': _describe(_cert(store, 'certificate')), 'ca': _describe(_cert(store, 'ca_certificate'))}
    handler = {'present': _present, 'csr': _csr, 'imported': _imported, 'absent': _absent}[params['state']]
    result = handler(store, params, warn)
    result['changed'] = bool(store.writes or store.removed or created_dir)
    result['written'] = store.writes
    result['removed'] = store.removed
    if store.backups:
        result['backup_files'] = store.backups
    if diff and result['changed']:
        result['diff'] = {'before': before, 'after': {'certificate': result.get('certificate'), 'ca': result.get('ca')}}
    return result


def _present(store, params, warn):
    if params['ca'] != 'internal':
        raise MgmtCertError('state=present with ca=external: create a request with state=csr, have the CA sign it, '
                            'then state=imported with certificate')
    renew = params['renew_before_days']
    actions = []
    # Keys are kept unless force/force_ca: renewing a certificate re-signs the same key.
    ca_key = _key(store, 'ca_key', replaceable=params['force_ca'])
    ca_cert = _cert(store, 'ca_certificate')
    if ca_key is None or params['force_ca']:
        ca_key = certs.generate_key('rsa', params['ca_key_size'])
        store.write('ca_key', certs.key_pem(ca_key), private=True)
        ca_cert = None
    ca_ok = (ca_cert is not None and certs.same_public_key(ca_key.public_key(), ca_cert.public_key())
             and not certs.validity_problems(ca_cert, renew_before_days=renew))
    if not ca_ok:
        if ca_cert is not None:
            warn('the zone CA certificate in %s was renewed: its root hash changed, so every device must trust the '
                 'new hash (root_hash) before the next activation' % store.path('ca_certificate'))
        ca_cert = certs.make_ca(ca_key, params, params['ca_valid_days'])
        store.write('ca_certificate', certs.pem(ca_cert), private=False)
        actions.append('created the zone CA %s' % ca_cert.subject.rfc4514_string())
    replace_key = params['force'] or params['force_ca']
    key = _key(store, 'key', replaceable=replace_key)
    if key is None or replace_key:
        key = certs.generate_key(params['key_type'], params['key_size'])
        store.write('key', certs.key_pem(key), private=True)
    _keep_key(store, 'key', key, params)
    cert = _cert(store, 'certificate')
    cert_ok = (ca_ok and cert is not None and certs.same_public_key(key.public_key(), cert.public_key())
               and certs.signed_by(cert, ca_cert) and matches_request(cert, params)
               and not certs.validity_problems(cert, renew_before_days=renew))
    if not cert_ok:
        cert = certs.make_management_cert(key, params, ca_key, ca_cert, params['valid_days'])
        store.write('certificate', certs.pem(cert), private=False)
        actions.append('issued the management certificate %s' % cert.subject.rfc4514_string())
    store.write('chain', certs.pem(cert) + certs.pem(ca_cert), private=False)
    return _report(store, cert, ca_cert, actions, ('ca_key', 'ca_certificate', 'key', 'certificate', 'chain'))


def _report(store, cert, root, actions, kinds):
    return {
        'files': _paths(store, kinds),
        'certificate': _describe(cert),
        'ca': _describe(root),
        'root_hash': certs.certificate_hashes(root) if root is not None else None,
        'actions': actions,
    }


def _csr(store, params, warn):
    actions = []
    key = _key(store, 'key', replaceable=params['force'])
    if key is None or params['force']:
        key = certs.generate_key(params['key_type'], params['key_size'])
        store.write('key', certs.key_pem(key), private=True)
        actions.append('generated a %s %d key' % (params['key_type'], params['key_size']))
    _keep_key(store, 'key', key, params)
    csr = None
    data = store.read('csr')
    if data is not None and not store.writes:
        try:
            csr = certs.x509.load_pem_x509_csr(data)
        except ValueError:
            csr = None
    if csr is None or not csr.is_signature_valid or not certs.same_public_key(csr.public_key(), key.public_key()) \
            or not matches_request(csr, params):
        csr = certs.make_csr(key, params)
        store.write('csr', csr.public_bytes(certs.serialization.Encoding.PEM), private=False)
        actions.append('wrote the request %s' % csr.subject.rfc4514_string())
    return {
        'files': _paths(store, ('key', 'csr')),
        'csr': csr.public_bytes(certs.serialization.Encoding.PEM).decode('ascii'),
        'subject': csr.subject.rfc4514_string(),
        'actions': actions,
    }


def _imported(store, params, warn):
    key = _key(store, 'key')
    if key is None:
        raise MgmtCertError('no key in %s: create the request with state=csr first (the key never leaves that '
                            'directory)' % store.path('key'))
    found = certs.load_certificate_file(params['certificate'])
    if params.get('ca_chain'):
        found += certs.load_certificate_file(params['ca_chain'], 'ca_chain')
    leaves = [c for c in found if certs.same_public_key(c.public_key(), key.public_key())]
    if not leaves:
        raise MgmtCertError('certificate %s does not belong to the key of the request in %s (was it signed from '
                            'another CSR?)' % (params['certificate'], store.path('key')))
    others = [c for c in found if c not in leaves]
    chain = certs.order_chain([leaves[0]] + others)
    if chain[0] is not leaves[0]:
        chain = [leaves[0]] + [c for c in chain if c is not leaves[0]]
    problems = certs.verify_chain(chain) + certs.validity_problems(chain[0])
    for cert in chain[1:]:
        problems += certs.validity_problems(cert)
    verdict, message = certs.marker_verdict(chain[0])
    if verdict is False:
        problems.append('the certificate %s' % message)
    if problems:
        raise MgmtCertError('certificate %s is not accepted: %s' % (params['certificate'], '; '.join(problems)))
    if verdict == 'warn':
        warn('certificate %s %s' % (params['certificate'], message))
    actions = []
    if store.write('certificate', certs.pem(chain[0]), private=False):
        actions.append('imported %s' % chain[0].subject.rfc4514_string())
    store.write('chain', b''.join(certs.pem(c) for c in chain), private=False)
    store.write('ca_certificate', certs.pem(chain[-1]), private=False)
    return _report(store, chain[0], chain[-1], actions, ('key', 'certificate', 'chain', 'ca_certificate'))


def _absent(store, params, warn):
    kinds = MGMT_FILES + (CA_FILES if params['remove_ca'] else ())
    for kind in kinds:
        store.remove(kind)
    actions = ['removed %s' % name for name in store.removed]
    return {'files': _paths(store, kinds), 'certificate': None, 'ca': None, 'actions': actions}


def check_params(params):
    """Refuse bad input before anything is written; messages name the option."""
    if params['country'] and (len(params['country']) != 2 or not params['country'].isalpha()):
        return 'option country must be a two-letter code such as DE or US'
    for opt in ('valid_days', 'ca_valid_days'):
        if params[opt] < 1:
            return 'option %s must be at least 1' % opt
    if params['renew_before_days'] < 0:
        return 'option renew_before_days must not be negative'
    if params['state'] == 'present':
        for opt in ('valid_days', 'ca_valid_days'):
            if params[opt] <= params['renew_before_days']:
                return ('option %s (%d) must be longer than renew_before_days (%d), or every run would renew'
                        % (opt, params[opt], params['renew_before_days']))
    for name in params['dns_names'] or []:
        if not name or ' ' in name or len(name) > 253:
            return 'option dns_names: %r is not a DNS name' % name
    return None


def run_mgmtcert_task(params, check_mode=False, diff=False):
    """amt_mgmtcert from validated options: (result, warnings); a failure names the directory."""
    params = dict(params)
    problem = check_params(params)
    if problem:
        return failed(problem), []
    if not params['ca_common_name']:
        params['ca_common_name'] = '%s AMT Zone CA' % (params['organization'] or params['common_name'] or 'oob.amt')
    warnings = []
    try:
        result = run_mgmtcert(params, check_mode=check_mode, diff=diff, warn=warnings.append)
    except (MgmtCertError, certs.CertError) as exc:
        return failed('management certificate in %s: %s' % (params['path'], getattr(exc, 'msg', str(exc)))), warnings
    except (IOError, OSError) as exc:
        return failed('management certificate in %s: %s' % (params['path'], exc),
                      exception=traceback.format_exc()), warnings
    return result, warnings


OPERATION = FileOperation(OPTIONS, run_mgmtcert_task, constraints=CONSTRAINTS, needs_cryptography=True)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device's TLS server certificate: key pair made on the device, PKCS#10 signed by the device, certificate
signed by the zone CA on the controller (or by an external CA), bound and applied.

Flow (Intel's, read and followed, not copied): rpc-go internal/commands/configure/tls.go and
go-wsman-messages pkg/wsman/amt/publickey + pkg/wsman/amt/tls:
  1. AMT_PublicKeyManagementService.GenerateKeyPair(KeyAlgorithm=0 RSA, KeyLength=2048) -> KeyPair EPR
     (the firmware needs time: GeneratePKCS10RequestEx answers 2061 PKI_GENERATING_KEYS meanwhile);
  2. AMT_PublicPrivateKeyPair.DERKey (PKCS#1 RSAPublicKey) -> a null-signed PKCS#10 request built here ->
     GeneratePKCS10RequestEx(KeyPair, SigningAlgorithm=1 SHA256RSA, NullSignedCertificateRequest) -> the
     request signed by the device key (the key never leaves the device);
  3. the zone CA signs it on the controller (or an external CA does);
  4. AddCertificate(CertificateBlob) -> AMT_PublicKeyCertificate; AMT_TLSCredentialContext Create (or Put when
     one exists) binds it; AMT_TLSSettingData Put for 'Intel(r) AMT 802.3 TLS Settings' (remote) and
     'Intel(r) AMT LMS TLS Settings' (local); AMT_SetupAndConfigurationService.CommitChanges applies it and
     the firmware closes the connection. Old certificates and keys are removed afterwards (rpc-go pruneCerts).
Idempotency: the bound certificate is kept when it verifies against the CA, carries the wanted names, has the
device key and is not within renew_before_days of expiry; settings are only written when they differ.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import hashlib
import ipaddress
import os
import time

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.formats import certs
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import EPR, WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError, WsmanFault, WsmanTLSError

REMOTE_ID = 'Intel(r) AMT 802.3 TLS Settings'
LOCAL_ID = 'Intel(r) AMT LMS TLS Settings'
COLLECTION = 'TLSProtocolEndpointInstances Collection'
MODES = {  # rpc-go's TLS modes: (mutual, accept plain HTTP)
    'server': (False, False), 'server_and_non_tls': (False, True),
    'mutual': (True, False), 'mutual_and_non_tls': (True, True),
}
PT_MEANINGS = {
    1: 'internal error', 16: 'not permitted', 23: 'maximum number of keys or certificates reached',
    32: 'invalid provisioning state (the device is not activated)', 36: 'invalid parameter',
    38: 'flash write limit exceeded', 2058: 'duplicate (already on the device)', 2061: 'still generating keys',
    2062: 'invalid key', 2063: 'invalid certificate', 2064: 'certificate and key do not match', 2068: 'not found',
}
SHA256_RSA_OID = '1.2.840.113549.1.1.11'
EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14'


class TLSError(AmtError):
    """A TLS configuration refused or failed (the message says what and how to fix it)."""


CONNECTION_KEYS = ('host', 'port', 'use_tls', 'username', 'password', 'validate_certs', 'ca_path', 'client_cert',
                   'client_key', 'ciphers', 'min_tls_version', 'cert_fingerprint', 'timeout')


def zone_client(params):
    """A new client that trusts the zone CA (ca_dir/ca.crt) instead of ca_path."""
    kwargs = dict((k, params.get(k)) for k in CONNECTION_KEYS)
    kwargs.update(ca_path=os.path.join(params['ca_dir'], 'ca.crt'), cert_fingerprint=None,
                  timeout=params.get('timeout') or 30)
    return WsmanClient(**kwargs)


def pinned_client(params, fingerprint_hex):
    """A new client to the same device over TLS, pinned to the certificate just installed."""
    kwargs = dict((k, params.get(k)) for k in CONNECTION_KEYS)
    kwargs.update(use_tls=True, port=params.get('port') if params.get('use_tls') is not False else None,
                  cert_fingerprint=fingerprint_hex, ca_path=None, validate_certs=True,
                  timeout=params.get('timeout') or 30)
    return WsmanClient(**kwargs)


# -- a few DER primitives for the null-signed request (cryptography cannot build an unsigned CSR) ------------

def _der_len(n):
    if n < 0x80:
        return bytes([n])
    out = b''
    while n:
        out = bytes([n & 0xff]) + out
        n >>= 8
    return bytes([0x80 | len(out)]) + out


def _tlv(tag, content):
    return bytes([tag]) + _der_len(len(content)) + content


def _oid(dotted):
    parts = [int(p) for p in dotted.split('.')]
    body = bytes([40 * parts[0] + parts[1]])
    for value in parts[2:]:
        chunk = [value & 0x7f]
        value >>= 7
        while value:
            chunk.insert(0, 0x80 | (value & 0x7f))
            value >>= 7
        body += bytes(chunk)
    return _tlv(0x06, body)


def null_signed_request(public_key, subject, extensions):
    """A PKCS#10 CertificationRequest whose signature is empty: the device signs its CertificationRequestInfo.

    extensions: list of (cryptography ExtensionType, critical)."""
    spki = public_key.public_bytes(certs.serialization.Encoding.DER,
                                   certs.serialization.PublicFormat.SubjectPublicKeyInfo)
    exts = b''
    for value, critical in extensions:
        exts += _tlv(0x30, _oid(value.oid.dotted_string) + (b'\x01\x01\xff' if critical else b'')
                     + _tlv(0x04, value.public_bytes()))
    attribute = _tlv(0x30, _oid(EXTENSION_REQUEST_OID) + _tlv(0x31, _tlv(0x30, exts)))
    info = _tlv(0x30, b'\x02\x01\x00' + subject.public_bytes() + spki + _tlv(0xa0, attribute))
    algorithm = _tlv(0x30, _oid(SHA256_RSA_OID) + b'\x05\x00')
    return _tlv(0x30, info + algorithm + _tlv(0x03, b'\x00'))


# -- what we want ------------------------------------------------------------------------------------------

def wanted_names(params, device_fqdn):
    """(common_name, sorted DNS names, sorted IP addresses) the certificate must carry."""
    host = params['host']
    dns = list(params.get('dns_names') or [])
    ips = list(params.get('ip_addresses') or [])
    try:
        ipaddress.ip_address(host)
        if params.get('ip_addresses') is None:
            ips.append(host)
    except ValueError:
        if params.get('dns_names') is None:
            dns.append(host)
    if params.get('dns_names') is None and device_fqdn and device_fqdn not in dns:
        dns.append(device_fqdn)
    common_name = params.get('common_name') or (dns[0] if dns else host)
    for ip in ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise TLSError('ip_addresses: %r is not an IP address' % ip)
    return common_name, sorted(set(d.lower() for d in dns)), sorted(set(ips))


def cert_names(cert):
    try:
        san = cert.extensions.get_extension_for_class(certs.x509.SubjectAlternativeName).value
    except certs.x509.ExtensionNotFound:
        return [], []
    return (sorted(set(n.lower() for n in san.get_values_for_type(certs.x509.DNSName))),
            sorted(set(str(a) for a in san.get_values_for_type(certs.x509.IPAddress))))


def request_extensions(dns, ips):
    x509 = certs.x509
    names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    exts = [(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                           data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                           encipher_only=False, decipher_only=False), True),
            (x509.ExtendedKeyUsage([certs.ExtendedKeyUsageOID.SERVER_AUTH]), False)]
    if names:
        exts.append((x509.SubjectAlternativeName(names), False))
    return exts


def fingerprint(der):
    return hashlib.sha256(der).hexdigest()


def colon(hexdigest):
    return ':'.join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2)).upper()


# -- reading the device ------------------------------------------------------------------------------------

def _pt(out, what):
    rv = out['ReturnValue']
    if rv:
        raise TLSError('%s failed: ReturnValue %d (%s)' % (what, rv, PT_MEANINGS.get(rv, 'unknown')), return_value=rv)
    return out


def _selector(epr, name='InstanceID'):
    if isinstance(epr, dict):
        value = (epr.get('selectors') or {}).get(name)
        if isinstance(value, dict):
            return None
        return value
    return None


def read_tls(client):
    """Settings, bound certificate id, certificates (with parsed X.509) and ready key pairs."""
    settings = {}
    for item in client.enumerate('AMT_TLSSettingData'):
        settings[item.get('InstanceID')] = item
    contexts = client.enumerate('AMT_TLSCredentialContext')
    bound = _selector(contexts[0].get('ElementInContext')) if contexts else None
    device_certs = []
    for item in client.enumerate('AMT_PublicKeyCertificate'):
        try:
            der = base64.b64decode(item.get('X509Certificate') or '')
            parsed = certs.x509.load_der_x509_certificate(der)
        except ValueError:
            parsed, der = None, b''
        device_certs.append({'id': item.get('InstanceID'), 'der': der, 'cert': parsed,
                             'root': _bool(item.get('TrustedRootCertficate', item.get('TrustedRootCertificate'))),
                             'read_only': _bool(item.get('ReadOnlyCertificate'))})
    keys = dict((k.get('InstanceID'), k.get('DERKey')) for k in client.enumerate('AMT_PublicPrivateKeyPair'))
    return {'settings': settings, 'context': bool(contexts), 'bound': bound, 'certs': device_certs, 'keys': keys}


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('true', '1')


def _pkcs1(public_key):
    return base64.b64encode(public_key.public_bytes(certs.serialization.Encoding.DER,
                                                    certs.serialization.PublicFormat.PKCS1)).decode('ascii')


def key_of(cert, keys):
    """Handle of the device key pair that belongs to the certificate, or None."""
    try:
        mine = _pkcs1(cert.public_key())
    except (AttributeError, ValueError, TypeError):
        return None
    for handle, der in keys.items():
        if (der or '').strip() == mine:
            return handle
    return None


def settings_view(settings):
    def one(item):
        if not item:
            return None
        view = {'enabled': _bool(item.get('Enabled')), 'mutual_authentication': _bool(item.get('MutualAuthentication')),
                'accept_non_tls': _bool(item.get('AcceptNonSecureConnections'))}
        if 'NonSecureConnectionsSupported' in item:
            view['non_tls_supported'] = _bool(item.get('NonSecureConnectionsSupported'))
        trusted = item.get('TrustedCN')
        if trusted:
            view['trusted_cn'] = sorted(trusted if isinstance(trusted, list) else [trusted])
        return view
    return {'remote': one(settings.get(REMOTE_ID)), 'local': one(settings.get(LOCAL_ID))}


# -- the flow ----------------------------------------------------------------------------------------------

def generate_key(client, timeout, poll=0.5):
    out = _pt(client.invoke('AMT_PublicKeyManagementService', 'GenerateKeyPair',
                            [('KeyAlgorithm', 0), ('KeyLength', 2048)], check_return=False), 'GenerateKeyPair')
    handle = _selector(out.get('KeyPair'))
    if not handle:
        raise TLSError('GenerateKeyPair returned no key pair reference')
    deadline = time.monotonic() + timeout
    while True:
        for key in client.enumerate('AMT_PublicPrivateKeyPair'):
            if key.get('InstanceID') == handle and key.get('DERKey'):
                return handle, key['DERKey']
        if time.monotonic() >= deadline:
            raise TLSError('the device was still generating the key pair %s after %ss; raise key_timeout' % (
                handle, timeout), key_handle=handle)
        time.sleep(poll)


def device_csr(client, handle, der_key, common_name, dns, ips, timeout, poll=0.5):
    public = certs.serialization.load_der_public_key(base64.b64decode(der_key))
    subject = certs.x509.Name([certs.x509.NameAttribute(certs.NameOID.COMMON_NAME, common_name)])
    request = null_signed_request(public, subject, request_extensions(dns, ips))
    params = [('KeyPair', EPR('AMT_PublicPrivateKeyPair', {'InstanceID': handle})), ('SigningAlgorithm', 1),
              ('NullSignedCertificateRequest', request)]
    deadline = time.monotonic() + timeout
    while True:
        out = client.invoke('AMT_PublicKeyManagementService', 'GeneratePKCS10RequestEx', params, check_return=False)
        if out['ReturnValue'] != 2061 or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    _pt(out, 'GeneratePKCS10RequestEx')
    try:
        csr = certs.x509.load_der_x509_csr(base64.b64decode(out.get('SignedCertificateRequest') or ''))
    except ValueError:
        raise TLSError('the device returned an unreadable PKCS#10 request')
    if not csr.is_signature_valid or not certs.same_public_key(csr.public_key(), public):
        raise TLSError('the PKCS#10 request from the device is not signed by its key pair %s' % handle)
    if csr.subject != subject:
        raise TLSError('the device changed the subject of the request (%s)' % csr.subject.rfc4514_string())
    return csr


def sign_request(csr, ca_key, ca_cert, days, now=None):
    """The zone CA signs the device's request: serverAuth, the request's names, at most the CA's lifetime."""
    x509 = certs.x509
    now = now or datetime.datetime.now(datetime.timezone.utc)
    end = min(now + datetime.timedelta(days=days), certs.not_after(ca_cert))
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
               .public_key(csr.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False))
    for ext in csr.extensions:
        if isinstance(ext.value, (x509.SubjectAlternativeName, x509.ExtendedKeyUsage, x509.KeyUsage)):
            builder = builder.add_extension(ext.value, critical=ext.critical)
    return builder.sign(ca_key, certs.hashes.SHA256())


def load_ca(ca_dir):
    crt, key = os.path.join(ca_dir, 'ca.crt'), os.path.join(ca_dir, 'ca.key')
    for path in (crt, key):
        if not os.access(path, os.R_OK):
            raise TLSError('ca_dir: cannot read %s (create the zone with oob.amt.amt_mgmtcert state=present)' % path)
    with open(crt, 'rb') as fh:
        ca_cert = certs.load_certificates(fh.read(), crt)[0]
    with open(key, 'rb') as fh:
        ca_key = certs.load_private_key(fh.read(), key)
    if not certs.same_public_key(ca_cert.public_key(), ca_key.public_key()):
        raise TLSError('ca_dir: %s does not belong to %s' % (key, crt))
    return ca_cert, ca_key


def _verify_against(cert, roots):
    return any(certs.signed_by(cert, root) for root in roots)


def current_ok(state, roots, names, renew_days):
    """(ok, reasons) for the certificate bound in the credential context."""
    if not state['bound']:
        return False, ['no certificate is bound to TLS']
    entry = next((c for c in state['certs'] if c['id'] == state['bound']), None)
    if entry is None or entry['cert'] is None:
        return False, ['the bound certificate %s cannot be read' % state['bound']]
    cert = entry['cert']
    reasons = []
    if roots and not _verify_against(cert, roots):
        reasons.append('it is not issued by the CA (%s)' % cert.issuer.rfc4514_string())
    common_name, dns, ips = names
    have_dns, have_ips = cert_names(cert)
    if (have_dns, have_ips) != (dns, ips):
        reasons.append('its names %s differ from %s' % (have_dns + have_ips, dns + ips))
    cn = [a.value for a in cert.subject.get_attributes_for_oid(certs.NameOID.COMMON_NAME)]
    if cn != [common_name]:
        reasons.append('its common name %s is not %s' % (cn, common_name))
    reasons += certs.validity_problems(cert, renew_before_days=renew_days)
    if key_of(cert, state['keys']) is None:
        reasons.append('its key pair is not on the device')
    return not reasons, reasons


def wanted_settings(params, current):
    mutual, accept = MODES[params['mode']]
    remote = current.get(REMOTE_ID) or {}
    supported = remote.get('NonSecureConnectionsSupported')
    if supported is not None and not _bool(supported) and accept:
        raise TLSError('mode %s keeps plain HTTP open, but this device (CSME 16.1 or later, '
                       'NonSecureConnectionsSupported=false) no longer accepts it on the network; use mode server or '
                       'mutual' % params['mode'])
    want = {REMOTE_ID: {'ElementName': REMOTE_ID, 'InstanceID': REMOTE_ID, 'Enabled': True,
                        'MutualAuthentication': mutual, 'AcceptNonSecureConnections': accept}}
    if params.get('trusted_cn'):
        want[REMOTE_ID]['TrustedCN'] = list(params['trusted_cn'])
    if params.get('local_tls') is not None and LOCAL_ID in current:
        local = current[LOCAL_ID]
        want[LOCAL_ID] = {'ElementName': LOCAL_ID, 'InstanceID': LOCAL_ID, 'Enabled': bool(params['local_tls']),
                          'MutualAuthentication': False,
                          'AcceptNonSecureConnections': _bool(local.get('AcceptNonSecureConnections', True))}
    return want


def _differs(want, have):
    if not have:
        return True
    for key in ('Enabled', 'MutualAuthentication', 'AcceptNonSecureConnections'):
        if bool(want[key]) != _bool(have.get(key)):
            return True
    if 'TrustedCN' in want:
        trusted = have.get('TrustedCN') or []
        trusted = trusted if isinstance(trusted, list) else [trusted]
        if sorted(want['TrustedCN']) != sorted(trusted):
            return True
    return False


OPTIONS = dict(
    state=dict(type='str', default='present', choices=['present', 'absent']),
    ca=dict(type='str', default='internal', choices=['internal', 'external']),
    ca_dir=dict(type='path'),
    ca_certificate=dict(type='path'),
    certificate=dict(type='path'),
    csr_path=dict(type='path'),
    common_name=dict(type='str'),
    dns_names=dict(type='list', elements='str'),
    ip_addresses=dict(type='list', elements='str'),
    valid_days=dict(type='int', default=365),
    renew_before_days=dict(type='int', default=30),
    mode=dict(type='str', default='server', choices=list(MODES)),
    local_tls=dict(type='bool', default=True),
    trusted_cn=dict(type='list', elements='str'),
    client_ca=dict(type='path'),
    key_timeout=dict(type='float', default=120),
    remove_old=dict(type='bool', default=True),
    force=dict(type='bool', default=False),
)


def check_params(params):
    """Input checks before any contact; returns params (the runner's prepare)."""
    if params.get('valid_days') is not None and not 1 <= params['valid_days'] <= 3650:
        raise TLSError('option valid_days must be between 1 and 3650')
    if params.get('renew_before_days') is not None and params['renew_before_days'] < 0:
        raise TLSError('option renew_before_days must not be negative')
    if params.get('key_timeout') is not None and params['key_timeout'] <= 0:
        raise TLSError('option key_timeout must be a positive number of seconds')
    if params['state'] == 'present':
        if params['ca'] == 'internal' and not params.get('ca_dir'):
            raise TLSError('ca=internal needs ca_dir, the zone directory of oob.amt.amt_mgmtcert (ca.crt, ca.key)')
        if params['ca'] == 'external' and not (params.get('certificate') or params.get('csr_path')):
            raise TLSError('ca=external needs csr_path (where the device\'s request is written) and, once the CA '
                           'has signed it, certificate')
        if params['mode'] in ('mutual', 'mutual_and_non_tls') and not params.get('client_ca'):
            raise TLSError('mode %s needs client_ca, the CA certificate that issued the consoles\' client '
                           'certificates' % params['mode'])
    for opt in ('ca_certificate', 'certificate', 'client_ca'):
        if params.get(opt) and not os.access(params[opt], os.R_OK):
            raise TLSError('option %s: cannot read %s' % (opt, params[opt]))
    if params.get('ip_addresses'):
        for ip in params['ip_addresses']:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise TLSError('option ip_addresses: %r is not an IP address' % ip)
    return params


def _device_fqdn(client):
    general = client.get('AMT_GeneralSettings')
    host, domain = general.get('HostName') or '', general.get('DomainName') or ''
    if host and domain:
        return ('%s.%s' % (host, domain)).lower()
    return host.lower() or None


def _roots(params):
    paths = []
    if params['ca'] == 'internal':
        paths.append(os.path.join(params['ca_dir'], 'ca.crt'))
    if params.get('ca_certificate'):
        paths.append(params['ca_certificate'])
    roots = []
    for path in paths:
        if os.access(path, os.R_OK):
            with open(path, 'rb') as fh:
                roots += certs.load_certificates(fh.read(), path)
    return roots


def run_tls(client, params, check_mode=False, diff=False, client_factory=None):
    """client_factory(cert_fingerprint) -> a fresh client pinned to the new certificate (after the commit)."""
    if client_factory is None:
        def client_factory(fp):
            return pinned_client(params, fp)
    try:
        state = read_tls(client)
    except WsmanTLSError:
        if params['state'] != 'present' or params['ca'] != 'internal':
            raise
        # the device may already serve a certificate from the zone CA (a re-run): trust that CA as well
        client = zone_client(params)
        state = read_tls(client)
    before = _summary(state)
    result = {'changed': False, 'actions': [], 'before': before}
    if params['state'] == 'absent':
        return _absent(client, params, state, before, result, check_mode, diff)
    names = wanted_names(params, _device_fqdn(client))
    roots = _roots(params)
    if params['ca'] == 'internal':
        ca_cert, ca_key = load_ca(params['ca_dir'])
    ok, reasons = current_ok(state, roots, names, params['renew_before_days'])
    if params.get('force'):
        ok, reasons = False, ['force is set']
    want = wanted_settings(params, state['settings'])
    client_ca = None
    if params.get('client_ca'):
        with open(params['client_ca'], 'rb') as fh:
            client_ca = certs.load_certificates(fh.read(), params['client_ca'])
    new_cert = None
    if not ok:
        result['reasons'] = reasons
        if params['ca'] == 'external':
            new_cert = _external(client, params, state, names, result, check_mode)
            if new_cert is None:
                result['csr_needed'] = True
                return _finish(client, params, state, before, result, diff)
        elif check_mode:
            result['actions'].append('generate a key pair on the device, have it sign a request and sign that with %s'
                                     % ca_cert.subject.rfc4514_string())
        else:
            handle, der_key = generate_key(client, params['key_timeout'])
            result['actions'].append('generated key pair %s on the device' % handle)
            csr = device_csr(client, handle, der_key, names[0], names[1], names[2], params['key_timeout'])
            new_cert = sign_request(csr, ca_key, ca_cert, params['valid_days'])
            result['actions'].append('signed the device request with %s' % ca_cert.subject.rfc4514_string())
        result['changed'] = True
    if client_ca:
        have = set(c['der'] for c in state['certs'] if c['root'])
        for root in client_ca:
            if certs.der(root) not in have:
                result['changed'] = True
                result['actions'].append('trust %s for client certificates' % root.subject.rfc4514_string())
                if not check_mode:
                    _pt(client.invoke('AMT_PublicKeyManagementService', 'AddTrustedRootCertificate',
                                      [('CertificateBlob', certs.der(root))], check_return=False),
                        'AddTrustedRootCertificate')
    cert_id = state['bound']
    if new_cert is not None and not check_mode:
        out = _pt(client.invoke('AMT_PublicKeyManagementService', 'AddCertificate',
                                [('CertificateBlob', certs.der(new_cert))], check_return=False), 'AddCertificate')
        cert_id = _selector(out.get('CreatedCertificate'))
        result['actions'].append('added certificate %s' % cert_id)
        ref = EPR('AMT_PublicKeyCertificate', {'InstanceID': cert_id})
        body = [('ElementInContext', ref),
                ('ElementProvidingContext', EPR('AMT_TLSProtocolEndpointCollection', {'ElementName': COLLECTION}))]
        if state['context']:
            client.put('AMT_TLSCredentialContext', body)
        else:
            client.create('AMT_TLSCredentialContext', body)
        result['actions'].append('bound it to TLS (AMT_TLSCredentialContext)')
    for iid, props in want.items():
        if _differs(props, state['settings'].get(iid)):
            result['changed'] = True
            result['actions'].append('set %s: enabled=%s mutual=%s plain HTTP=%s' % (
                iid, props['Enabled'], props['MutualAuthentication'], props['AcceptNonSecureConnections']))
            if not check_mode:
                client.put('AMT_TLSSettingData', props, {'InstanceID': iid})
    if result['changed'] and not check_mode:
        _pt(client.invoke('AMT_SetupAndConfigurationService', 'CommitChanges', [], check_return=False), 'CommitChanges')
        result['actions'].append('committed (the device closed the connection to apply TLS)')
        client.close()
    final_cert = new_cert
    if final_cert is None:
        entry = next((c for c in state['certs'] if c['id'] == cert_id), None)
        final_cert = entry['cert'] if entry else None
    if result['changed'] and not check_mode and final_cert is not None and client_factory is not None:
        _after_commit(client_factory, final_cert, state, cert_id, params, result)
    elif not result['changed']:
        result['after'] = before
    else:
        after = dict(before)
        after['settings'] = dict((('remote' if k == REMOTE_ID else 'local'),
                                  {'enabled': v['Enabled'], 'mutual_authentication': v['MutualAuthentication'],
                                   'accept_non_tls': v['AcceptNonSecureConnections']}) for k, v in want.items())
        if new_cert is not None or (not ok and check_mode):
            after['certificate'] = _describe(new_cert) if new_cert is not None else {
                'subject': 'CN=%s' % names[0], 'dns_names': names[1], 'ip_addresses': names[2], 'pending': True}
        result['after'] = after
    if final_cert is not None and not (check_mode and not ok):
        result['fingerprint'] = fingerprint(certs.der(final_cert))
        result['certificate'] = _describe(final_cert)
    return _finish(client, params, state, before, result, diff)


def _external(client, params, state, names, result, check_mode):
    """The certificate from the external CA when it belongs to a device key; otherwise write the request."""
    if params.get('certificate'):
        with open(params['certificate'], 'rb') as fh:
            found = certs.load_certificates(fh.read(), params['certificate'])
        leaf = found[0]
        if key_of(leaf, state['keys']) is None:
            raise TLSError('certificate %s does not belong to a key pair on the device; sign the request from '
                           'csr_path again' % params['certificate'])
        roots = _roots(params) + found[1:]
        if roots and not _verify_against(leaf, roots):
            raise TLSError('certificate %s is not issued by ca_certificate' % params['certificate'])
        problems = certs.validity_problems(leaf, renew_before_days=params['renew_before_days'])
        if problems:
            raise TLSError('certificate %s: %s' % (params['certificate'], '; '.join(problems)))
        if any(c['der'] == certs.der(leaf) for c in state['certs']):
            result['actions'].append('the certificate is already on the device')
        return leaf
    path = params['csr_path']
    result['csr_path'] = path
    if os.path.exists(path):
        with open(path, 'rb') as fh:
            try:
                existing = certs.x509.load_pem_x509_csr(fh.read())
            except ValueError:
                existing = None
        if existing is not None and key_of(existing, state['keys']) is not None and \
                cert_names(existing) == (names[1], names[2]):
            result['csr'] = existing.public_bytes(certs.serialization.Encoding.PEM).decode('ascii')
            result['msg'] = 'have %s signed by the CA, then run again with certificate' % path
            return None
    result['changed'] = True
    result['actions'].append('generate a key pair on the device and write its signed request to %s' % path)
    if check_mode:
        return None
    handle, der_key = generate_key(client, params['key_timeout'])
    csr = device_csr(client, handle, der_key, names[0], names[1], names[2], params['key_timeout'])
    pem = csr.public_bytes(certs.serialization.Encoding.PEM)
    from ansible_collections.oob.amt.plugins.module_utils.formats.files import write_atomic
    write_atomic(path, pem, 0o644)
    result['csr'] = pem.decode('ascii')
    result['msg'] = 'have %s signed by the CA, then run again with certificate' % path
    return None


def _after_commit(client_factory, cert, state, cert_id, params, result):
    """Reconnect pinned to the new certificate, check the device serves it, then prune what it replaced."""
    fp = fingerprint(certs.der(cert))
    check = client_factory(fp)
    try:
        after = read_tls(check)
        served = getattr(check, 'peer_cert_sha256', None)
        if served and served.replace(':', '').lower() != fp:
            raise TLSError('after the commit the device serves %s, not the new certificate %s' % (served, fp))
        if params.get('remove_old'):
            keep_key = key_of(cert, after['keys'])
            for entry in state['certs']:
                if entry['root'] or entry['read_only'] or entry['id'] == after['bound']:
                    continue
                if entry['cert'] is not None and key_of(entry['cert'], after['keys']) is None and entry['id'] != cert_id:
                    continue
                try:
                    check.delete('AMT_PublicKeyCertificate', {'InstanceID': entry['id']})
                    result['actions'].append('removed the replaced certificate %s' % entry['id'])
                except WsmanFault:
                    pass
            used = set(key_of(c['cert'], after['keys']) for c in read_tls(check)['certs'] if c['cert'] is not None)
            for handle in after['keys']:
                if handle != keep_key and handle not in used:
                    try:
                        check.delete('AMT_PublicPrivateKeyPair', {'InstanceID': handle})
                        result['actions'].append('removed the unused key pair %s' % handle)
                    except WsmanFault:
                        pass
            after = read_tls(check)
        result['after'] = _summary(after)
        result['exchanges_after_commit'] = check.exchanges
    finally:
        check.close()


def _absent(client, params, state, before, result, check_mode, diff):
    remote = state['settings'].get(REMOTE_ID) or {}
    if not state['bound'] and not _bool(remote.get('Enabled')):
        result['after'] = before
        return _finish(client, params, state, before, result, diff)
    if 'NonSecureConnectionsSupported' in remote and not _bool(remote['NonSecureConnectionsSupported']):
        raise TLSError('this device (CSME 16.1 or later) cannot turn TLS off on the network interface; replace the '
                       'certificate (state=present) instead of removing it')
    result['changed'] = True
    for iid in (REMOTE_ID, LOCAL_ID):
        if iid in state['settings'] and _bool(state['settings'][iid].get('Enabled')):
            result['actions'].append('disable TLS on %s' % iid)
            if not check_mode:
                client.put('AMT_TLSSettingData', {'ElementName': iid, 'InstanceID': iid, 'Enabled': False,
                                                  'MutualAuthentication': False,
                                                  'AcceptNonSecureConnections': True}, {'InstanceID': iid})
    if state['context']:
        result['actions'].append('remove the TLS credential context')
        if not check_mode:
            client.delete('AMT_TLSCredentialContext', {})
    # before the commit: afterwards the TLS port is closed and the device answers on plain HTTP only
    bound = next((c for c in state['certs'] if c['id'] == state['bound']), None)
    if bound is not None and not bound['read_only']:
        result['actions'].append('delete certificate %s and its key' % bound['id'])
        if not check_mode:
            client.delete('AMT_PublicKeyCertificate', {'InstanceID': bound['id']})
            handle = key_of(bound['cert'], state['keys']) if bound['cert'] is not None else None
            if handle:
                client.delete('AMT_PublicPrivateKeyPair', {'InstanceID': handle})
    if not check_mode:
        _pt(client.invoke('AMT_SetupAndConfigurationService', 'CommitChanges', [], check_return=False), 'CommitChanges')
        result['actions'].append('committed: the device now answers on plain HTTP (port 16992) only')
        client.close()
    result['after'] = {'certificate': None, 'settings': {'remote': dict(settings_view(state['settings'])['remote'] or {},
                                                                        enabled=False, accept_non_tls=True)}}
    return _finish(client, params, state, before, result, diff)


def _describe(cert):
    if cert is None:
        return None
    dns, ips = cert_names(cert)
    return {'subject': cert.subject.rfc4514_string(), 'issuer': cert.issuer.rfc4514_string(),
            'not_after': certs.not_after(cert).isoformat(), 'dns_names': dns, 'ip_addresses': ips,
            'sha256': fingerprint(certs.der(cert))}


def _summary(state):
    entry = next((c for c in state['certs'] if c['id'] == state['bound']), None)
    return {'certificate': _describe(entry['cert']) if entry and entry['cert'] is not None else None,
            'settings': settings_view(state['settings'])}


def _finish(client, params, state, before, result, diff):
    if diff:
        result['diff'] = {'before': before, 'after': result.get('after', before)}
    if 'fingerprint' in result:
        result['fingerprint_colon'] = colon(result['fingerprint'])
    result['exchanges'] = client.exchanges
    return result


OPERATION = Operation(OPTIONS, run_tls, name=lambda params: 'TLS %s' % params['state'], prepare=check_params,
                      needs_cryptography=True)

__all__ = ['OPERATION', 'run_tls', 'TLSError', 'WsmanError', 'null_signed_request', 'sign_request']

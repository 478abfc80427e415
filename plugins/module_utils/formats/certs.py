# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""X.509 for AMT: the provisioning (management) certificate, its zone CA, CSRs, markers and root hashes.

Intel firmware accepts a provisioning certificate whose EKU holds 2.16.840.1.113741.1.2.3 (Client
Setup) with serverAuth, or whose subject OU is exactly "Intel(R) Client Setup Certificate". The
ZENworks manual's 2.16.840.1.113741.1.2.1 is the Remote Console OID: we add it only on request.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
import traceback

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
    # importable without cryptography, so modules can fail with a clear message instead of a traceback
    x509 = InvalidSignature = hashes = serialization = ec = padding = rsa = pkcs12 = ExtendedKeyUsageOID = NameOID = None

SETUP_OID = '2.16.840.1.113741.1.2.3'
CONSOLE_OID = '2.16.840.1.113741.1.2.1'
SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1'
SETUP_OU = 'Intel(R) Client Setup Certificate'
HASH_NAMES = ('sha1', 'sha256', 'sha384')


class CertError(ValueError):
    """A certificate, key or request that cannot be used; the message says which and why."""


# -- reading ----------------------------------------------------------------------------------------

def load_certificates(data, source='certificate'):
    """All certificates in PEM data, or the one DER certificate."""
    if b'-----BEGIN' in data:
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise CertError('%s: not a readable PEM certificate (%s)' % (source, exc))
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise CertError('%s: neither PEM nor DER certificate data' % source)


def read_file(path, option):
    """The bytes of a file an option names; CertError naming the option when it cannot be read."""
    try:
        with open(path, 'rb') as fh:
            return fh.read()
    except (IOError, OSError) as exc:
        raise CertError('option %s: cannot read %s (%s)' % (option, path, exc.strerror))


def load_certificate_file(path, option='certificate'):
    return load_certificates(read_file(path, option), 'option %s (%s)' % (option, path))


def load_private_key_file(path, option='key', password=None):
    return load_private_key(read_file(path, option), 'option %s (%s)' % (option, path), password)


def load_pfx_file(path, password=None, option='pfx'):
    """(private key, certificates: the certificate first, then the others) of a PFX/PKCS#12 file holding both."""
    try:
        key, cert, extra = load_pkcs12(read_file(path, option), password)
    except ValueError:
        raise CertError('%s: cannot open the PFX (wrong %s_password or not PKCS#12)' % (option, option.split('_')[-1]))
    if key is None or cert is None:
        raise CertError('%s: the PFX must hold the certificate and its private key' % option)
    return key, [cert] + list(extra or [])


def load_pkcs12(data, password=None):
    """(key, certificate, additional certificates) of a PFX; ValueError for a wrong password or non-PKCS#12 data."""
    return pkcs12.load_key_and_certificates(data, password.encode('utf-8') if password else None)


def load_private_key(data, source='key', password=None):
    try:
        return serialization.load_pem_private_key(data, password.encode('utf-8') if password else None)
    except (ValueError, TypeError):
        raise CertError('%s: cannot read a PEM private key (wrong passphrase or not a key)' % source)


def not_after(cert):
    value = getattr(cert, 'not_valid_after_utc', None)
    return value or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def not_before(cert):
    value = getattr(cert, 'not_valid_before_utc', None)
    return value or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def is_self_signed(cert):
    return cert.issuer == cert.subject


def root_of(chain):
    """The root of a chain: its self-signed certificate, or the top of the ordered chain when the root is absent."""
    roots = [c for c in chain if is_self_signed(c)]
    return roots[0] if roots else order_chain(chain)[-1]


def load_root_certificate(path, option='certificate'):
    """The root CA certificate of a PEM or DER file (the file may hold a chain)."""
    return root_of(load_certificate_file(path, option))


def common_name(cert, default=None):
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else default


# -- hashes in the forms people type -----------------------------------------------------------------

def hash_forms(digest_hex):
    """hex, colon-separated (zman irch display) and MEBx entry form (groups of four, hyphens)."""
    upper = digest_hex.upper()
    return {
        'hex': digest_hex.lower(),
        'colon': ':'.join(upper[i:i + 2] for i in range(0, len(upper), 2)),
        'mebx': '-'.join(upper[i:i + 4] for i in range(0, len(upper), 4)),
    }


def normalize_hash(text):
    """Lower-case hex from any of the three forms (or with spaces); ValueError when it is not hex."""
    cleaned = text.replace(':', '').replace('-', '').replace(' ', '').strip().lower()
    if not cleaned or any(c not in '0123456789abcdef' for c in cleaned):
        raise ValueError('%r is not a hexadecimal hash' % text)
    return cleaned


def algorithm_for_length(digest_hex):
    return {40: 'sha1', 64: 'sha256', 96: 'sha384'}.get(len(digest_hex))


def certificate_hashes(cert):
    """SHA-1/256/384 of the DER (what AMT stores) in every form, and MD5 for display parity only."""
    data = der(cert)
    out = dict((name, hash_forms(hashlib.new(name, data).hexdigest())) for name in HASH_NAMES)
    md5 = hash_forms(hashlib.md5(data).hexdigest())  # nosec - display only, never compared or stored
    md5['display_only'] = True
    out['md5'] = md5
    return out


def fingerprints(cert):
    data = der(cert)
    return {'sha1': hashlib.sha1(data).hexdigest(), 'sha256': hashlib.sha256(data).hexdigest()}  # nosec


# -- markers ----------------------------------------------------------------------------------------

def extended_key_usages(cert):
    try:
        return [o.dotted_string for o in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        return []


def organizational_units(name):
    return [a.value for a in name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]


def markers(cert_or_csr):
    """Which AMT provisioning markers a certificate (or CSR) carries."""
    ekus = extended_key_usages(cert_or_csr)
    return {
        'client_setup_oid': SETUP_OID in ekus,
        'server_auth': SERVER_AUTH_OID in ekus,
        'remote_console_oid': CONSOLE_OID in ekus,
        'client_setup_ou': SETUP_OU in organizational_units(cert_or_csr.subject),
    }


def marker_verdict(cert):
    """(ok, message): ok is True, 'warn' (only the Remote Console OID) or False (nothing firmware accepts)."""
    m = markers(cert)
    if (m['client_setup_oid'] and m['server_auth']) or m['client_setup_ou']:
        return True, 'carries the AMT provisioning markers'
    if m['remote_console_oid']:
        return 'warn', ('carries only %s (Remote Console, as the ZENworks manual says) and not %s + serverAuth '
                        'or the OU %r: Intel firmware checks the latter, so ACM activation will fail'
                        % (CONSOLE_OID, SETUP_OID, SETUP_OU))
    return False, ('has neither the EKU %s with serverAuth nor the OU %r: Intel firmware will not accept it for '
                   'ACM provisioning; ask the CA to add them' % (SETUP_OID, SETUP_OU))


# -- making keys, CAs, certificates and requests ----------------------------------------------------

def generate_key(key_type='rsa', key_size=2048):
    if key_type == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if key_type == 'ecdsa':
        curve = {256: ec.SECP256R1(), 384: ec.SECP384R1()}.get(key_size)
        if curve is None:
            raise CertError('key_size must be 256 or 384 for ecdsa keys')
        return ec.generate_private_key(curve)
    raise CertError('key_type must be rsa or ecdsa')


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def key_description(key):
    if isinstance(key, rsa.RSAPrivateKey):
        return 'rsa', key.key_size
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return 'ecdsa', key.curve.key_size
    return 'unknown', 0


def same_public_key(a, b):
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*fmt) == b.public_bytes(*fmt)


def build_name(params, organizational_unit=None):
    attrs = []
    for oid, key in ((NameOID.COUNTRY_NAME, 'country'), (NameOID.STATE_OR_PROVINCE_NAME, 'state_or_province'),
                     (NameOID.LOCALITY_NAME, 'locality'), (NameOID.ORGANIZATION_NAME, 'organization')):
        if params.get(key):
            attrs.append(x509.NameAttribute(oid, params[key]))
    for ou in organizational_unit or []:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, params['common_name']))
    try:
        return x509.Name(attrs)
    except ValueError as exc:
        raise CertError('subject: %s' % exc)


def management_extensions(params, is_ca):
    """The extensions of a management certificate or its CSR: EKU with serverAuth + Client Setup
    (+ Remote Console on request), SANs, basic constraints."""
    ekus = [ExtendedKeyUsageOID.SERVER_AUTH, x509.ObjectIdentifier(SETUP_OID)]
    if params.get('seed_compatibility'):
        ekus.append(x509.ObjectIdentifier(CONSOLE_OID))
    names = list(params.get('dns_names') or [])
    if params['common_name'] not in names and '.' in params['common_name']:
        names.insert(0, params['common_name'])
    exts = [
        (x509.BasicConstraints(ca=bool(is_ca), path_length=0 if is_ca else None), True),
        (x509.ExtendedKeyUsage(ekus), False),
        (x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                       data_encipherment=False, key_agreement=False, key_cert_sign=bool(is_ca),
                       crl_sign=bool(is_ca), encipher_only=False, decipher_only=False), True),
    ]
    if names:
        exts.append((x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False))
    return exts


def management_ous(params):
    ous = [ou for ou in (params.get('organizational_unit') or []) if ou != SETUP_OU]
    return ous + [SETUP_OU]


def make_ca(key, params, days, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    name = build_name(dict(params, common_name=params['ca_common_name']))
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return builder.sign(key, hashes.SHA256())


def make_management_cert(key, params, ca_key, ca_cert, days, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    end = min(now + datetime.timedelta(days=days), not_after(ca_cert))
    builder = (x509.CertificateBuilder().subject_name(build_name(params, management_ous(params)))
               .issuer_name(ca_cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(end)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    for ext, critical in management_extensions(params, params.get('is_ca')):
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(ca_key, hashes.SHA256())


def make_csr(key, params):
    builder = x509.CertificateSigningRequestBuilder().subject_name(build_name(params, management_ous(params)))
    for ext, critical in management_extensions(params, params.get('is_ca')):
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(key, hashes.SHA256())


def signed_by(cert, issuer):
    """True when issuer's key verifies cert's signature."""
    if cert.issuer != issuer.subject:
        return False
    public = issuer.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def verify_chain(chain):
    """Problems (sentences) with a chain given leaf first: each signed by the next, ending in a self-signed root."""
    problems = []
    for cert, issuer in zip(chain, chain[1:]):
        if not signed_by(cert, issuer):
            problems.append('%s is not signed by %s' % (cert.subject.rfc4514_string(), issuer.subject.rfc4514_string()))
    root = chain[-1]
    if not is_self_signed(root):
        problems.append('the chain ends in %s, not in a self-signed root: give the issuing CA chain'
                        % root.subject.rfc4514_string())
    elif not signed_by(root, root):
        problems.append('the root %s has a bad self-signature' % root.subject.rfc4514_string())
    return problems


def order_chain(certs):
    """Leaf first, root last (by issuer/subject links)."""
    by_subject = dict((c.subject, c) for c in certs)
    issuers = set(c.issuer for c in certs if c.issuer != c.subject)
    leaves = [c for c in certs if c.subject not in issuers]
    chain = [leaves[0] if leaves else certs[0]]
    while not is_self_signed(chain[-1]) and chain[-1].issuer in by_subject and len(chain) < 10:
        chain.append(by_subject[chain[-1].issuer])
    return chain


def validity_problems(cert, now=None, renew_before_days=0):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    start, end = not_before(cert), not_after(cert)
    if now < start:
        return ['%s is not valid before %s' % (cert.subject.rfc4514_string(), start.isoformat())]
    if now > end:
        return ['%s expired on %s' % (cert.subject.rfc4514_string(), end.isoformat())]
    if now + datetime.timedelta(days=renew_before_days) > end:
        return ['%s expires on %s, within renew_before_days (%d)' % (cert.subject.rfc4514_string(), end.date(),
                                                                     renew_before_days)]
    return []


def describe_certificate(cert):
    return {
        'subject': cert.subject.rfc4514_string(),
        'issuer': cert.issuer.rfc4514_string(),
        'serial_number': '%x' % cert.serial_number,
        'not_before': not_before(cert).isoformat(),
        'not_after': not_after(cert).isoformat(),
        'fingerprints': fingerprints(cert),
        'markers': markers(cert),
    }


def _sha256_pin(text):
    pin = str(text or '').replace(':', '').replace(' ', '').lower()
    if len(pin) != 64 or any(ch not in '0123456789abcdef' for ch in pin):
        raise CertError('tls_fingerprint must be the SHA-256 fingerprint of the server certificate (64 hex digits, '
                        'colons allowed)')
    return pin


def fetch_tls_chain(host, port=443, timeout=10, ca_path=None, fingerprint=None):
    """Certificates a TLS server presents, leaf first. Python before 3.13 exposes only the leaf; then the result has
    one certificate. With ca_path the chain and the name are verified against that CA file (a failure is a CertError);
    with fingerprint the server certificate's SHA-256 must match it. Without either nothing is verified: the caller
    must not trust what it gets (amt_hash only reports it)."""
    import socket
    import ssl
    pin = _sha256_pin(fingerprint) if fingerprint else None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_path:
        try:
            context.load_verify_locations(cafile=ca_path)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise CertError('tls_ca_path %s holds no usable PEM CA certificate (%s)' % (ca_path, exc))
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # nosec - pinned below, or only reported, never trusted
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                getter = getattr(tls, 'get_unverified_chain', None)
                if getter is not None:
                    chain = getter() or []
                    ders = [c if isinstance(c, bytes) else c.public_bytes(1) for c in chain]
                else:
                    ders = [tls.getpeercert(binary_form=True)]
    except ssl.SSLCertVerificationError as exc:
        raise CertError('tls_host %s:%s: its certificate is not verified by tls_ca_path %s (%s)'
                        % (host, port, ca_path, exc.verify_message or exc))
    except (OSError, ssl.SSLError) as exc:
        raise CertError('tls_host %s:%s: cannot read its certificate (%s)' % (host, port, exc))
    if pin and (not ders or hashlib.sha256(ders[0]).hexdigest() != pin):
        raise CertError('tls_host %s:%s: its certificate (SHA-256 %s) does not match tls_fingerprint'
                        % (host, port, hashlib.sha256(ders[0]).hexdigest() if ders else 'none'))
    return [x509.load_der_x509_certificate(d) for d in ders if d]


def issuing_root(chain, cas):
    """The certificate among cas (a verified chain's trust anchors) that is the root of chain: the top of the
    chain when it is one of them, else the one that signed it; None when none did."""
    top = order_chain(chain)[-1]
    top_der = der(top)
    for ca in cas:
        if der(ca) == top_der:
            return ca
    for ca in cas:
        if ca.subject == top.issuer and signed_by(top, ca):
            return ca
    return None

"""Device TLS: key pairs generated on the device, PKCS#10 signed by the device, certificates, the TLS
credential context and the TLS settings of the remote and local interfaces, applied by CommitChanges.

Behaviour modelled on Intel's own clients (read, not copied): rpc-go internal/commands/configure/tls.go
(GenerateKeyPair -> GeneratePKCS10RequestEx -> AddCertificate -> Create/Put AMT_TLSCredentialContext ->
Put AMT_TLSSettingData for '802.3' and 'LMS' -> CommitChanges) and go-wsman-messages pkg/wsman/amt/publickey,
pkg/wsman/amt/tls (message shapes, PT_STATUS codes 2058 duplicate, 2061 generating keys, 2063 invalid
certificate, NonSecureConnectionsSupported on CSME 16.1+).

Firmware behaviour reproduced:
- RSA key generation takes time (state 'key_generation_seconds', default 1.0): the key pair is not listed
  and GeneratePKCS10RequestEx answers PT_STATUS_PKI_GENERATING_KEYS (2061) until it is done;
- TLS settings and the credential context are pending until CommitChanges; the listener keeps the old
  certificate until then; CommitChanges that changes TLS closes the current connection;
- the remote interface of CSME 16.1+ reports NonSecureConnectionsSupported=false: accepting plain HTTP
  again or disabling remote TLS is refused;
- after a commit with AcceptNonSecureConnections=false the plain HTTP port refuses network connections;
- the TLS listener serves the certificate bound in the committed credential context (with its key).
"""

import base64
import binascii
import datetime
import ssl
import time

from tests.simulator.registry import ClassHandler, EPR, SoapFault, as_bool, register, require_int
from tests.simulator.classes import core

REMOTE_ID = 'Intel(r) AMT 802.3 TLS Settings'
LOCAL_ID = 'Intel(r) AMT LMS TLS Settings'
COLLECTION = 'TLSProtocolEndpointInstances Collection'
MAX_KEYS = 6
MAX_CERTS = 10

PT_SUCCESS, PT_INTERNAL_ERROR, PT_NOT_PERMITTED, PT_MAX_LIMIT = 0, 1, 16, 23
PT_INVALID_PARAMETER, PT_DUPLICATE, PT_GENERATING_KEYS, PT_INVALID_KEY = 36, 2058, 2061, 2062
PT_INVALID_CERT, PT_CERT_KEY_NOT_MATCH = 2063, 2064


def tls_state(device):
    s = device.state.setdefault('tls', {})
    s.setdefault('keys', [])
    s.setdefault('certs', [])
    s.setdefault('next_handle', 0)
    s.setdefault('context', None)            # pending (what Get shows)
    if 'settings' not in s:
        s['settings'] = {'remote': {'Enabled': True, 'MutualAuthentication': False,
                                    'AcceptNonSecureConnections': True, 'TrustedCN': []},
                         'local': {'Enabled': False, 'MutualAuthentication': False,
                                   'AcceptNonSecureConnections': True, 'TrustedCN': []}}
    s.setdefault('applied', None)            # None: factory (self-signed firmware certificate, plain HTTP open)
    return s


def _new16(device):
    parts = device.state['amt_version'].split('.')
    return (int(parts[0]), int(parts[1])) >= (16, 1)


def _handle(s, kind):
    s['next_handle'] += 1
    return 'Intel(r) AMT %s: Handle: %d' % (kind, s['next_handle'])


def _ready(key):
    return key.get('ready_at', 0) <= time.time()


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def _decode(value):
    try:
        return base64.b64decode(value or '', validate=True)
    except (binascii.Error, ValueError):
        return None


def _pub_pkcs1(public_key):
    from cryptography.hazmat.primitives import serialization
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


@register
class PublicKeyManagementService(ClassHandler):
    name = 'AMT_PublicKeyManagementService'

    def instances(self, device, ctx):
        return [{'CreationClassName': 'AMT_PublicKeyManagementService', 'ElementName': 'Intel(r) AMT Public Key '
                 'Management Service', 'EnabledDefault': 5, 'EnabledState': 5, 'Name': 'Intel(r) AMT Public Key '
                 'Management Service', 'RequestedState': 12, 'SystemCreationClassName': 'CIM_ComputerSystem',
                 'SystemName': 'Intel(r) AMT'}]

    def method_GenerateKeyPair(self, device, params, ctx):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        if device.state['provisioning_state'] != 2:
            return {'ReturnValue': 32}
        if require_int(params, 'KeyAlgorithm') != 0 or require_int(params, 'KeyLength') != 2048:
            return {'ReturnValue': PT_INVALID_PARAMETER}
        s = tls_state(device)
        if len(s['keys']) >= MAX_KEYS:
            return {'ReturnValue': PT_MAX_LIMIT}
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        handle = _handle(s, 'Key')
        s['keys'].append({
            'id': handle,
            'pem': key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode('ascii'),
            'der': _b64(_pub_pkcs1(key.public_key())),
            'ready_at': time.time() + float(device.state.get('key_generation_seconds', 1.0)),
        })
        return {'KeyPair': EPR('AMT_PublicPrivateKeyPair', {'InstanceID': handle}), 'ReturnValue': 0}

    def method_GeneratePKCS10RequestEx(self, device, params, ctx):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        s = tls_state(device)
        ref = params.get('KeyPair')
        handle = ref.get('selectors', {}).get('InstanceID') if isinstance(ref, dict) else None
        key = next((k for k in s['keys'] if k['id'] == handle), None)
        if key is None:
            return {'ReturnValue': 2068}
        if not _ready(key):
            return {'ReturnValue': PT_GENERATING_KEYS}
        if require_int(params, 'SigningAlgorithm') != 1:      # SHA256RSA only (SHA1RSA refused on new firmware)
            return {'ReturnValue': PT_INVALID_PARAMETER}
        raw = _decode(params.get('NullSignedCertificateRequest'))
        try:
            request = x509.load_der_x509_csr(raw)
            subject, extensions, public = request.subject, list(request.extensions), request.public_key()
        except Exception:
            return {'ReturnValue': PT_INVALID_PARAMETER}
        if _pub_pkcs1(public) != base64.b64decode(key['der']):
            return {'ReturnValue': PT_CERT_KEY_NOT_MATCH}
        private = serialization.load_pem_private_key(key['pem'].encode(), None)
        builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
        for ext in extensions:
            builder = builder.add_extension(ext.value, critical=ext.critical)
        signed = builder.sign(private, hashes.SHA256())
        return {'SignedCertificateRequest': _b64(signed.public_bytes(serialization.Encoding.DER)), 'ReturnValue': 0}

    def _add(self, device, params, root):
        from cryptography import x509
        s = tls_state(device)
        der = _decode(params.get('CertificateBlob'))
        try:
            cert = x509.load_der_x509_certificate(der)
        except Exception:
            return {'ReturnValue': PT_INVALID_CERT}
        now = datetime.datetime.now(datetime.timezone.utc)
        if cert.not_valid_after_utc < now:
            return {'ReturnValue': PT_INVALID_CERT}
        if any(c['der'] == _b64(der) for c in s['certs']):
            return {'ReturnValue': PT_DUPLICATE}
        if len(s['certs']) >= MAX_CERTS:
            return {'ReturnValue': PT_MAX_LIMIT}
        key_id = None
        if not root:
            pub = _b64(_pub_pkcs1(cert.public_key()))
            key_id = next((k['id'] for k in s['keys'] if k['der'] == pub and _ready(k)), None)
            if key_id is None:
                return {'ReturnValue': PT_CERT_KEY_NOT_MATCH}
        handle = _handle(s, 'Certificate')
        s['certs'].append({'id': handle, 'der': _b64(der), 'root': root, 'key': key_id,
                           'subject': cert.subject.rfc4514_string(), 'issuer': cert.issuer.rfc4514_string()})
        return {'CreatedCertificate': EPR('AMT_PublicKeyCertificate', {'InstanceID': handle}), 'ReturnValue': 0}

    def method_AddCertificate(self, device, params, ctx):
        return self._add(device, params, root=False)

    def method_AddTrustedRootCertificate(self, device, params, ctx):
        return self._add(device, params, root=True)


def _in_use(s, cert_id):
    # the credential context as set (pending or committed); the listener keeps its loaded context until the commit
    return cert_id == s.get('context')


@register
class PublicPrivateKeyPair(ClassHandler):
    name = 'AMT_PublicPrivateKeyPair'

    def instances(self, device, ctx):
        return [{'DERKey': k['der'], 'ElementName': 'Intel(r) AMT Key', 'InstanceID': k['id']}
                for k in tls_state(device)['keys'] if _ready(k)]

    def delete(self, device, selectors, ctx):
        s = tls_state(device)
        key = next((k for k in s['keys'] if k['id'] == (selectors or {}).get('InstanceID')), None)
        if key is None:
            raise SoapFault('InvalidSelectors')
        if any(c.get('key') == key['id'] and _in_use(s, c['id']) for c in s['certs']):
            raise SoapFault('AccessDenied', detail='the key belongs to the certificate of the TLS credential context')
        s['keys'].remove(key)


@register
class PublicKeyCertificate(ClassHandler):
    name = 'AMT_PublicKeyCertificate'

    def instances(self, device, ctx):
        return [{'ElementName': 'Intel(r) AMT Certificate', 'InstanceID': c['id'], 'Issuer': c['issuer'],
                 'ReadOnlyCertificate': False, 'Subject': c['subject'], 'TrustedRootCertficate': c['root'],
                 'X509Certificate': c['der']} for c in tls_state(device)['certs']]

    def delete(self, device, selectors, ctx):
        s = tls_state(device)
        cert = next((c for c in s['certs'] if c['id'] == (selectors or {}).get('InstanceID')), None)
        if cert is None:
            raise SoapFault('InvalidSelectors')
        if _in_use(s, cert['id']):
            raise SoapFault('AccessDenied', detail='the certificate is bound to the TLS credential context')
        s['certs'].remove(cert)


def _context_instance(cert_id):
    return {'ElementInContext': EPR('AMT_PublicKeyCertificate', {'InstanceID': cert_id}),
            'ElementProvidingContext': EPR('AMT_TLSProtocolEndpointCollection', {'ElementName': COLLECTION})}


@register
class TLSCredentialContext(ClassHandler):
    name = 'AMT_TLSCredentialContext'

    def instances(self, device, ctx):
        s = tls_state(device)
        return [_context_instance(s['context'])] if s['context'] else []

    def _cert_from(self, device, props):
        ref = props.get('ElementInContext')
        cert_id = ref.get('selectors', {}).get('InstanceID') if isinstance(ref, dict) else None
        cert = next((c for c in tls_state(device)['certs'] if c['id'] == cert_id), None)
        if cert is None or cert['root']:
            raise SoapFault('InvalidRepresentation', detail='ElementInContext must name a non-root certificate '
                            'with its key on the device')
        return cert_id

    def create(self, device, props, ctx):
        s = tls_state(device)
        if s['context']:
            raise SoapFault('AlreadyExists')
        s['context'] = self._cert_from(device, props)
        return EPR('AMT_TLSCredentialContext', {})

    def put(self, device, selectors, props, ctx):
        s = tls_state(device)
        s['context'] = self._cert_from(device, props)
        return _context_instance(s['context'])

    def delete(self, device, selectors, ctx):
        s = tls_state(device)
        if not s['context']:
            raise SoapFault('InvalidSelectors')
        if s['settings']['remote']['Enabled'] or s['settings']['local']['Enabled']:
            raise SoapFault('AccessDenied', detail='disable TLS before removing its credential context')
        s['context'] = None


@register
class TLSSettingData(ClassHandler):
    name = 'AMT_TLSSettingData'

    def instances(self, device, ctx):
        s = tls_state(device)
        out = []
        for iid, key in ((REMOTE_ID, 'remote'), (LOCAL_ID, 'local')):
            cur = s['settings'][key]
            inst = {'ElementName': iid, 'InstanceID': iid, 'Enabled': cur['Enabled'],
                    'MutualAuthentication': cur['MutualAuthentication'],
                    'AcceptNonSecureConnections': cur['AcceptNonSecureConnections']}
            if cur.get('TrustedCN'):
                inst['TrustedCN'] = list(cur['TrustedCN'])
            if key == 'remote' and _new16(device):
                inst['NonSecureConnectionsSupported'] = False
            out.append(inst)
        return out

    def put(self, device, selectors, props, ctx):
        s = tls_state(device)
        iid = (selectors or {}).get('InstanceID') or props.get('InstanceID')
        key = {REMOTE_ID: 'remote', LOCAL_ID: 'local'}.get(iid)
        if key is None:
            raise SoapFault('InvalidSelectors')
        cur = dict(s['settings'][key])
        if 'Enabled' not in props or 'MutualAuthentication' not in props:
            raise SoapFault('InvalidRepresentation', detail='Enabled and MutualAuthentication are required')
        enabled, mutual = as_bool(props['Enabled']), as_bool(props['MutualAuthentication'])
        accept = as_bool(props.get('AcceptNonSecureConnections', cur['AcceptNonSecureConnections']))
        if enabled and not s['context']:
            raise SoapFault('InvalidRepresentation', detail='no TLS credential context: bind a certificate first')
        if key == 'local':
            if mutual:
                raise SoapFault('InvalidRepresentation', detail='mutual authentication is not supported on the '
                                'local interface')
            accept = cur['AcceptNonSecureConnections']          # read-only on the local interface
        elif _new16(device):
            if not enabled or accept:
                # AMT_STATUS_NOT_PERMITTED on CSME 16.1+: plain HTTP cannot come back on the network interface
                raise SoapFault('AccessDenied', detail='NonSecureConnectionsSupported is false: remote TLS cannot '
                                'be disabled and plain HTTP cannot be accepted again')
        if mutual and not any(c['root'] for c in s['certs']):
            raise SoapFault('InvalidRepresentation', detail='mutual authentication needs a trusted root certificate')
        trusted = props.get('TrustedCN')
        if trusted is None:
            trusted = []
        elif not isinstance(trusted, list):
            trusted = [trusted]
        cur.update({'Enabled': enabled, 'MutualAuthentication': mutual, 'AcceptNonSecureConnections': accept,
                    'TrustedCN': [str(t) for t in trusted]})
        s['settings'][key] = cur
        return self.instances(device, ctx)[0 if key == 'remote' else 1]


@register
class SetupAndConfigurationService(core.SetupAndConfigurationService):
    """CommitChanges applies the pending TLS configuration (and drops the connection when TLS changed)."""

    def method_CommitChanges(self, device, params, ctx):
        answer = super().method_CommitChanges(device, params, ctx)      # completes an AMT 19 Setup (core.py)
        if answer.get('ReturnValue'):
            return answer                     # refused there (CSME 19 Secure Host-Based Configuration)
        s = tls_state(device)
        wanted = {'context': s['context'], 'remote': dict(s['settings']['remote']),
                  'local': dict(s['settings']['local'])}
        if s.get('applied') is None and not s['context']:
            return {'ReturnValue': 0}        # nothing was configured: the factory state stays
        if wanted != s.get('applied'):
            s['applied'] = wanted
            s['commits'] = s.get('commits', 0) + 1
            device.ssl_context = None         # the next handshake uses the committed certificate
            device.drop_connection = True     # firmware closes the connection that changed TLS
        return {'ReturnValue': 0}


def plain_http_allowed(device):
    """Whether a network connection to the plain HTTP port is accepted (committed settings)."""
    applied = (device.state.get('tls') or {}).get('applied')
    if not applied:
        return True
    remote = applied['remote']
    return not remote['Enabled'] or bool(remote['AcceptNonSecureConnections'])


def listener_context(device, fleet_ca):
    """The SSL context of the device's TLS port: the committed certificate and its key, else the factory one."""
    s = device.state.get('tls') or {}
    applied = s.get('applied')
    cert = None
    if applied and applied.get('context'):
        cert = next((c for c in s.get('certs', []) if c['id'] == applied['context']), None)
    key = next((k for k in s.get('keys', []) if cert and k['id'] == cert['key']), None)
    if cert is None or key is None:
        return fleet_ca.server_context(device.address, device.state.get('hostname'))
    import os
    import tempfile
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    pem = x509.load_der_x509_certificate(base64.b64decode(cert['der'])).public_bytes(serialization.Encoding.PEM)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    fd, path = tempfile.mkstemp(suffix='.pem')
    try:
        with os.fdopen(fd, 'wb') as fh:
            fh.write(pem + key['pem'].encode('ascii'))
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)
    if applied['remote'].get('MutualAuthentication'):
        roots = [c for c in s.get('certs', []) if c['root']]
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=b''.join(base64.b64decode(c['der']) for c in roots))
    return ctx


def port_open(device, tls, interface):
    """Whether a new connection on this port is accepted under the committed TLS settings."""
    if interface != 'network':
        return True
    if not tls:
        return plain_http_allowed(device)
    applied = (device.state.get('tls') or {}).get('applied')
    return not applied or bool(applied['remote']['Enabled'])

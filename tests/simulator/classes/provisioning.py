"""Host-based setup (reference §5.3): CCM Setup, ACM AdminSetup/UpgradeClientToAdmin, admin password changes.

Setup and AdminSetup are accepted only on the host-local (LMS) interface. Failures are ReturnValues,
not faults, as on firmware. The ACM chain is verified for real: the root's hash must be an enabled
trusted hash, every certificate must be signed by the next, the leaf must carry the AMT setup marker
and a domain under the device's PKI DNS suffix, and the signature over ConfigurationNonce||McNonce
must verify with the leaf key (RSA PKCS#1 v1.5, SHA-256).
"""

import base64
import binascii
import hashlib
import re

from tests.simulator import firmware
from tests.simulator.registry import ClassHandler, SoapFault, register, require_int

SETUP_OID = '2.16.840.1.113741.1.2.3'
SETUP_OU = 'Intel(R) Client Setup Certificate'
_HEX32 = re.compile(r'^[0-9a-fA-F]{32}$')


@register
class HostBasedSetupService(ClassHandler):
    name = 'IPS_HostBasedSetupService'

    def instances(self, device, ctx):
        s = device.state
        return [{'AllowedControlModes': [2, 1], 'CertChainStatus': s.get('cert_chain_status', 0),
                 'ConfigurationNonce': s['configuration_nonce'], 'CreationClassName': 'IPS_HostBasedSetupService',
                 'CurrentControlMode': s['control_mode'], 'ElementName': 'Intel(r) AMT Host Based Setup Service',
                 'Name': 'Intel(r) AMT Host Based Setup Service', 'SystemCreationClassName': 'CIM_ComputerSystem',
                 'SystemName': 'Intel(r) AMT'}]

    @staticmethod
    def _password_hash(params):
        if require_int(params, 'NetAdminPassEncryptionType') != 2:
            return None
        value = params.get('NetworkAdminPassword') or ''
        return value.lower() if _HEX32.match(value) else None

    def method_Setup(self, device, params, ctx):
        s = device.state
        if ctx.interface != 'local' or s['provisioning_state'] != 0:
            return {'ReturnValue': 2}
        ha1 = self._password_hash(params)
        if ha1 is None:
            return {'ReturnValue': 3}
        _provision(device, ha1, mode=4, control=1)
        if firmware.setup_needs_commit(device):
            s['provisioning_state'] = 1     # in provisioning until CommitChanges (firmware.setup_needs_commit)
        return {'ReturnValue': 0}

    def method_AddNextCertInChain(self, device, params, ctx):
        s = device.state
        if ctx.interface != 'local' or s['provisioning_state'] == 2 and s['control_mode'] != 1:
            return {'ReturnValue': 3}
        try:
            der = base64.b64decode(params.get('NextCertificate') or '', validate=True)
        except (binascii.Error, ValueError):
            return {'ReturnValue': 1}
        leaf = str(params.get('IsLeafCertificate')).lower() == 'true'
        chain = [] if leaf else list(s.get('pending_chain', []))
        if len(chain) >= 4:
            return {'ReturnValue': 5}
        chain.append(base64.b64encode(der).decode())
        s['pending_chain'] = chain
        s['cert_chain_status'] = 2 if str(params.get('IsRootCertificate')).lower() == 'true' else 1
        return {'ReturnValue': 0}

    def _verify_admin(self, device, params):
        """0 when chain + signature are acceptable, else the ReturnValue firmware gives."""
        s = device.state
        chain = [base64.b64decode(c) for c in s.get('pending_chain', [])]
        if s.get('cert_chain_status') != 2 or len(chain) < 2:
            return 2
        problem = verify_chain(chain, s)
        if problem:
            s['last_setup_error'] = problem
            return 5
        try:
            mc_nonce = base64.b64decode(params.get('McNonce') or '', validate=True)
            signature = base64.b64decode(params.get('DigitalSignature') or '', validate=True)
        except (binascii.Error, ValueError):
            return 3
        if len(mc_nonce) != 20 or require_int(params, 'SigningAlgorithm') != 2:
            return 3
        fw_nonce = base64.b64decode(s['configuration_nonce'])
        if not verify_signature(chain[0], fw_nonce + mc_nonce, signature):
            s['last_setup_error'] = 'signature does not verify'
            return 5
        return 0

    def method_AdminSetup(self, device, params, ctx):
        s = device.state
        if firmware.admin_setup_removed(device):
            raise SoapFault('ActionNotSupported')       # CSME 19: removed (firmware.admin_setup_removed)
        if ctx.interface != 'local' or s['provisioning_state'] != 0:
            return {'ReturnValue': 2}
        ha1 = self._password_hash(params)
        if ha1 is None:
            return {'ReturnValue': 3}
        rv = self._verify_admin(device, params)
        device.regenerate_nonce()          # a fresh nonce after every attempt: no replay
        s['pending_chain'] = []
        s['cert_chain_status'] = 0
        if rv:
            return {'ReturnValue': rv}
        _provision(device, ha1, mode=1, control=2)
        return {'ReturnValue': 0}

    def method_UpgradeClientToAdmin(self, device, params, ctx):
        s = device.state
        if firmware.admin_setup_removed(device):
            raise SoapFault('ActionNotSupported')
        if s['provisioning_state'] != 2 or s['control_mode'] != 1:
            return {'ReturnValue': 2}
        rv = self._verify_admin(device, params)
        device.regenerate_nonce()
        s['pending_chain'] = []
        s['cert_chain_status'] = 0
        if rv:
            return {'ReturnValue': rv}
        s['provisioning_mode'] = 1
        s['control_mode'] = 2
        return {'ReturnValue': 0}


def _provision(device, ha1, mode, control):
    s = device.state
    s['mebx_password'] = s.get('mebx_password', s['admin_password'])
    s['admin_ha1'] = ha1
    s['provisioning_state'] = 2
    s['provisioning_mode'] = mode
    s['control_mode'] = control
    s['provisioned_interface'] = 'local'
    device.regenerate_nonce()


def verify_chain(chain_der, state):
    """None when acceptable, else a description of the first failed firmware check."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from cryptography.hazmat.primitives.asymmetric import padding, ec
    certs = [x509.load_der_x509_certificate(der) for der in chain_der]
    root_hash = hashlib.sha256(chain_der[-1]).hexdigest()
    enabled = {h['hash'].lower() for h in state.get('hashes', []) if h.get('enabled')}
    if root_hash not in enabled:
        return 'root certificate hash is not an enabled trusted hash'
    for child, parent in zip(certs, certs[1:]):
        try:
            key = parent.public_key()
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(child.signature_hash_algorithm))
            else:
                key.verify(child.signature, child.tbs_certificate_bytes, padding.PKCS1v15(), child.signature_hash_algorithm)
        except Exception:
            return 'certificate chain does not verify'
    leaf = certs[0]
    ous = [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    try:
        ekus = [o.dotted_string for o in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        ekus = []
    if not (SETUP_OID in ekus and ExtendedKeyUsageOID.SERVER_AUTH.dotted_string in ekus) and SETUP_OU not in ous:
        return 'leaf certificate lacks the AMT setup marker'
    suffix = (state.get('pki_dns_suffix') or '').lower()
    names = [a.value.lower() for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        names += [n.lower() for n in leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                  .get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        pass
    if suffix and not any(n == suffix or n.endswith('.' + suffix) for n in names):
        return 'certificate domain does not match the PKI DNS suffix'
    return None


def verify_signature(leaf_der, data, signature):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    try:
        x509.load_der_x509_certificate(leaf_der).public_key().verify(signature, data, padding.PKCS1v15(),
                                                                     hashes.SHA256())
        return True
    except Exception:
        return False


@register
class AuthorizationService(ClassHandler):
    name = 'AMT_AuthorizationService'

    def instances(self, device, ctx):
        return [{'AllowHttpQopAuthOnly': 1, 'CreationClassName': 'AMT_AuthorizationService',
                 'ElementName': 'Intel(r) AMT Authorization Service', 'EnabledState': 5,
                 'Name': 'Intel(r) AMT Authorization Service', 'RequestedState': 12,
                 'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT'}]

    def method_SetAdminAclEntryEx(self, device, params, ctx):
        hbc = device.state.get('hbc') if getattr(ctx, 'hbc', False) else None
        if device.state['provisioning_state'] != 2 and not hbc:
            return {'ReturnValue': 32}
        if (params.get('Username') or '') != device.state['admin_username']:
            return {'ReturnValue': 36}
        try:
            raw = base64.b64decode(params.get('DigestPassword') or '', validate=True)
        except (binascii.Error, ValueError):
            return {'ReturnValue': 36}
        if len(raw) != 16:
            return {'ReturnValue': 36}
        if hbc:
            # Secure Host-Based Configuration (CSME 19): the password waits for CommitChanges (core.py); a
            # StopConfiguration over MEI drops it with the rest (mei_standin)
            device.state['hbc'] = dict(hbc, admin_ha1=raw.hex())
            return {'ReturnValue': 0}
        device.state['admin_ha1'] = raw.hex()
        return {'ReturnValue': 0}

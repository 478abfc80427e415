# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning: CCM (Setup), ACM (AddNextCertInChain + AdminSetup / UpgradeClientToAdmin), password
rotation (SetAdminAclEntryEx) and unprovisioning, with the pre-flight checks users keep tripping over.

Client or Admin Control Mode is decided once (mode_for) into a ControlMode that says what the mode
needs and how it is activated; the rest of the code asks it instead of testing the option.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import collections
import datetime
import os
import time

from ansible_collections.oob.amt.plugins.module_utils.formats import certs
from ansible_collections.oob.amt.plugins.module_utils.formats.certs import (
    CONSOLE_OID, CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY, SETUP_OID, SETUP_OU, ExtendedKeyUsageOID, NameOID,
    extended_key_usages, hashes, order_chain, padding, rsa, serialization, x509)
from ansible_collections.oob.amt.plugins.module_utils.amt.constants import (
    CONTROL_MODES, PROVISIONING_MODE_CONTROL, PROVISIONING_STATES)
from ansible_collections.oob.amt.plugins.module_utils.amt.compat import enumerate_instances
from ansible_collections.oob.amt.plugins.module_utils.amt.hashes import list_hashes
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, OutcomeLost, write_or_reread
from ansible_collections.oob.amt.plugins.module_utils.amt.password import (
    admin_password_digest_raw, admin_password_hash, check_password)
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanAuthError, WsmanError, WsmanReturnValueError

NETWORK_TABLE = ('supported: host static + AMT static, host DHCP + AMT DHCP; '
                 'not supported: host static + AMT DHCP, host DHCP + AMT static')
# IPS_HostBasedSetupService.NetAdminPassEncryptionType: 2 = HTTP_DIGEST_MD5_A1, MD5(admin:realm:password) in hex.
ENCRYPTION_DIGEST_MD5_A1 = 2
# IPS_HostBasedSetupService.SigningAlgorithm: 2 = RSA_SHA2_256.
SIGNING_RSA_SHA256 = 2


class ProvisionError(AmtError):
    """Activation, password rotation or unprovisioning refused, or its input unusable."""


# -- certificates ---------------------------------------------------------------------------------

def load_chain(cert_path=None, key_path=None, pfx_path=None, pfx_password=None):
    """(certificates leaf..root, private key) from PEM files or a PFX/PKCS#12 bundle; checked to belong together
    before anything is sent."""
    try:
        if pfx_path:
            key, found = certs.load_pfx_file(pfx_path, pfx_password, 'provisioning_pfx')
        else:
            found = certs.load_certificate_file(cert_path, 'provisioning_cert')
            key = certs.load_private_key_file(key_path, 'provisioning_key')
    except certs.CertError as exc:
        raise ProvisionError(str(exc))
    chain = order_chain(found)
    if not certs.same_public_key(key.public_key(), chain[0].public_key()):
        raise ProvisionError('provisioning_key does not belong to the provisioning certificate %s (give the key of '
                             'the leaf certificate)' % chain[0].subject.rfc4514_string())
    return chain, key


def _names(cert):
    names = [a.value.lower() for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        names += [n.lower() for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
                  .value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        pass
    return names


def preflight(chain, key, trusted_hashes, dns_suffix, now=None):
    """Every failed condition (list of sentences), checked before anything is sent."""
    problems = []
    now = now or datetime.datetime.now(datetime.timezone.utc)
    leaf, root = chain[0], chain[-1]
    if root.issuer != root.subject:
        problems.append('the chain does not end in a self-signed root (include the root CA certificate)')
    ekus = extended_key_usages(leaf)
    ous = [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    if not (SETUP_OID in ekus and ExtendedKeyUsageOID.SERVER_AUTH.dotted_string in ekus) and SETUP_OU not in ous:
        if CONSOLE_OID in ekus:
            problems.append('the certificate carries %s (Remote Console) but not %s (Client Setup) or the OU %r'
                            % (CONSOLE_OID, SETUP_OID, SETUP_OU))
        else:
            problems.append('the certificate has neither the EKU %s + serverAuth nor the OU %r'
                            % (SETUP_OID, SETUP_OU))
    for cert in chain:
        start, end = certs.not_before(cert), certs.not_after(cert)
        if not start <= now <= end:
            problems.append('certificate %s is not valid now (valid %s to %s)'
                            % (cert.subject.rfc4514_string(), start.date(), end.date()))
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append('the provisioning key must be RSA (AMT signs and verifies with RSA-SHA256)')
    elif key.public_key().public_numbers() != leaf.public_key().public_numbers():
        problems.append('the private key does not belong to the leaf certificate')
    root_hash = certs.certificate_hashes(root)
    enabled = set(h['hash'] for h in trusted_hashes if h.get('enabled') and h.get('hash'))
    if not any(root_hash[name]['hex'] in enabled for name in certs.HASH_NAMES):
        problems.append('the root CA hash %s is not an enabled trusted hash on the device (add it with '
                        'amt_hash or a USB setup.bin from amt_usb_setupbin)' % root_hash['sha256']['hex'])
    suffix = (dns_suffix or '').lower().strip('.')
    if suffix and not any(n == suffix or n.endswith('.' + suffix) for n in _names(leaf)):
        problems.append('the certificate names (%s) are not in the device DNS suffix %s'
                        % (', '.join(_names(leaf)) or 'none', suffix))
    return problems


def send_chain_and_sign(client, chain, key, fw_nonce_b64):
    """AddNextCertInChain leaf -> root; returns McNonce and signature for AdminSetup/UpgradeClientToAdmin."""
    for i, cert in enumerate(chain):
        der = cert.public_bytes(serialization.Encoding.DER)
        client.invoke('IPS_HostBasedSetupService', 'AddNextCertInChain',
                      [('NextCertificate', base64.b64encode(der).decode()), ('IsLeafCertificate', i == 0),
                       ('IsRootCertificate', i == len(chain) - 1)])
    mc_nonce = os.urandom(20)
    # SIGNING_RSA_SHA256: PKCS#1 v1.5 over firmware nonce + our nonce
    signature = key.sign(base64.b64decode(fw_nonce_b64) + mc_nonce, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(mc_nonce).decode(), base64.b64encode(signature).decode()


def _signed(chain, key, client, fw_nonce_b64):
    mc_nonce, signature = send_chain_and_sign(client, chain, key, fw_nonce_b64)
    return [('McNonce', mc_nonce), ('SigningAlgorithm', SIGNING_RSA_SHA256), ('DigitalSignature', signature)]


# -- device state ---------------------------------------------------------------------------------

def provisioning_status(setup, hbs):
    """(ProvisioningState, control mode value) from AMT_SetupAndConfigurationService and IPS_HostBasedSetupService
    (None when the firmware lacks it). Firmware without CurrentControlMode tells the mode by ProvisioningMode."""
    state = setup.get('ProvisioningState')
    control = (hbs or {}).get('CurrentControlMode')
    if control is None and state == 2:
        control = PROVISIONING_MODE_CONTROL.get(setup.get('ProvisioningMode'))
    return state, control or 0


def read_state(client):
    setup = client.get('AMT_SetupAndConfigurationService')
    hbs = client.get('IPS_HostBasedSetupService')
    general = client.get('AMT_GeneralSettings')
    state, control = provisioning_status(setup, hbs)
    control = control if state == 2 else 0
    return {'provisioning_state': PROVISIONING_STATES.get(state, 'unknown'), 'provisioning_state_value': state,
            'control_mode': CONTROL_MODES.get(control, 'unknown'), 'realm': general.get('DigestRealm'),
            'configuration_nonce': hbs.get('ConfigurationNonce'), 'dns_suffix': general.get('DomainName')}


def reader_after_activation(params, admin_factory):
    """An admin client for reads once the device is provisioned. The local system account is for activation
    only: rpc-go reads the control mode over MEI and talks as admin after activation (internal/local/configure.go,
    deactivate.go: SetupWsmanClient("admin", password)). Tries admin_password, then current_password."""
    for option in ('admin_password', 'current_password'):
        password = params.get(option)
        if not password:
            continue
        client = admin_factory(password)
        try:
            client.get('AMT_GeneralSettings')
            return client
        except WsmanAuthError:
            client.close()
    raise ProvisionError('the device is provisioned and the local system account no longer reads it; neither '
                         'admin_password nor current_password works as admin (give the working password as '
                         'current_password)')


def password_works(client_factory, password):
    client = client_factory(password)
    try:
        client.get('AMT_GeneralSettings')
        return True
    except WsmanAuthError:
        return False
    finally:
        client.close()


def _preflight_or_fail(params, before, plan, local):
    problems = preflight(plan['chain'], plan['key'], list_hashes(local), params.get('dns_suffix') or before['dns_suffix'])
    if problems:
        raise ProvisionError('ACM pre-flight failed: %s' % ' | '.join(problems), preflight=problems)


def _ccm_check(params, before, plan, local, check_mode, result):
    _network_check(params, local, result, check_mode)


def _ccm_setup_args(plan, local, before):
    return []


def _acm_check(params, before, plan, local, check_mode, result):
    _preflight_or_fail(params, before, plan, local)


def _acm_setup_args(plan, local, before):
    return _signed(plan['chain'], plan['key'], local, before['configuration_nonce'])


def _acm_plan(params):
    if not HAS_CRYPTOGRAPHY:
        raise ProvisionError('ACM needs the cryptography Python library', exception=CRYPTOGRAPHY_IMPORT_ERROR)
    if not (params.get('provisioning_pfx') or (params.get('provisioning_cert') and params.get('provisioning_key'))):
        raise ProvisionError('mode acm needs provisioning_pfx, or provisioning_cert and provisioning_key')
    chain, key = load_chain(params.get('provisioning_cert'), params.get('provisioning_key'),
                            params.get('provisioning_pfx'), params.get('provisioning_pfx_password'))
    return {'chain': chain, 'key': key}


# What differs between Client Control Mode and Admin Control Mode: plan(params) loads what the mode needs
# before contact; check(...) runs its pre-activation checks; method is the IPS_HostBasedSetupService activation
# call, setup_args(...) what it adds to the password.
ControlMode = collections.namedtuple('ControlMode', 'name console_name method plan check setup_args')


CCM = ControlMode('ccm', 'smb', 'Setup', plan=lambda params: {}, check=_ccm_check, setup_args=_ccm_setup_args)
ACM = ControlMode('acm', 'enterprise', 'AdminSetup', plan=_acm_plan, check=_acm_check, setup_args=_acm_setup_args)
CONTROL_MODE_TABLE = {'ccm': CCM, 'acm': ACM}
# The console's names, accepted for the option mode.
MODE_ALIASES = {'smb': 'ccm', 'enterprise': 'acm'}
MODE_CHOICES = sorted(CONTROL_MODE_TABLE) + sorted(MODE_ALIASES)


def mode_for(value):
    """The ControlMode an option value (ccm, acm, or an alias) means."""
    return CONTROL_MODE_TABLE[MODE_ALIASES.get(value or 'ccm', value or 'ccm')]


def run_provision(params, local_factory, admin_factory, check_mode=False, diff=False, sleep=time.sleep,
                  unauthenticated_state=None, secure_hbc=None):
    """local_factory(): client on the host-local interface (local account); admin_factory(password): admin client;
    unauthenticated_state(): the provisioning state the device tells without an account ('pre', 'in', 'post'), or
    None when it cannot be read (state=absent reads it first); secure_hbc: the host's SecureHostBased access
    (MEI + mutual TLS) when the firmware enforces TLS on local ports, else None (see uses_secure_hbc)."""
    result = {'changed': False, 'actions': []}
    if params['state'] == 'absent':
        return _unprovision(params, admin_factory, check_mode, diff, result, sleep, unauthenticated_state)
    mode = mode_for(params.get('mode'))
    problems = check_password(params.get('admin_password'))
    if problems:
        raise ProvisionError('admin_password does not meet the AMT password rules: %s' % '; '.join(problems))
    plan = mode.plan(params)
    local = local_factory()
    try:
        try:
            before = read_state(local)
        except WsmanAuthError:
            # provisioned already: the local system account is refused from then on, read as admin
            local.close()
            local = reader_after_activation(params, admin_factory)
            before = read_state(local)
        result['before'] = dict((k, before[k]) for k in ('provisioning_state', 'control_mode'))
        admin = _uncommitted_setup(params, before, admin_factory)
        if admin is not None:
            local.close()
            local = admin
            result['changed'] = True
            result['actions'].append(COMMIT_ACTION)
            if not check_mode:
                _commit_activation(params, local, admin_factory, result)
        elif before['provisioning_state'] == 'post':
            _converge_provisioned(params, mode, before, plan, local, admin_factory, check_mode, result)
        elif uses_secure_hbc(mode, secure_hbc):
            _activate_secure_hbc(params, before, plan, local, secure_hbc, check_mode, result, admin_factory)
        else:
            _activate(params, mode, before, plan, local, check_mode, result, admin_factory)
        after = before
        if result['changed'] and not check_mode:
            # after activation only the admin account is accepted (the local one worked for activation only)
            local.close()
            local = reader_after_activation(params, admin_factory)
            after = read_state(local)
            if after['provisioning_state'] == 'in' and COMMIT_ACTION not in result['actions']:
                result['actions'].append(COMMIT_ACTION)
                after = _commit_activation(params, local, admin_factory, result)
        if check_mode and result['changed']:
            after = dict(before, provisioning_state='post', control_mode=mode.name)
        result['after'] = dict((k, after[k]) for k in ('provisioning_state', 'control_mode'))
        result['realm'] = after['realm']
        result['control_mode'] = after['control_mode']
        result['provisioning_state'] = after['provisioning_state']
    finally:
        local.close()
    if diff:
        result['diff'] = {'before': result['before'], 'after': result['after']}
    return result


# What fix_network writes, as rpc-go internal/commands/configure/wired.go and RPS set the wired port: DHCP with
# IP sync, or static with IP sync (AMT takes the host OS's static address: SharedStaticIp).
NETWORK_FIX = {True: {'DHCPEnabled': True, 'IpSyncEnabled': True, 'SharedStaticIp': False},
               False: {'DHCPEnabled': False, 'IpSyncEnabled': True, 'SharedStaticIp': True}}
_STATIC_FIELDS = ('IPAddress', 'SubnetMask', 'DefaultGateway', 'PrimaryDNS', 'SecondaryDNS')


def _network_check(params, local, result, check_mode):
    host_dhcp = params.get('host_dhcp')
    if host_dhcp is None:
        return
    ports = enumerate_instances(local, 'AMT_EthernetPortSettings')
    wired = next((p for p in ports if str(p.get('InstanceID', '')).endswith(' 0')), ports[0] if ports else {})
    amt_dhcp = wired.get('DHCPEnabled')
    if amt_dhcp is None or bool(amt_dhcp) == bool(host_dhcp):
        return
    pair = 'host %s + AMT %s' % ('DHCP' if host_dhcp else 'static', 'DHCP' if amt_dhcp else 'static')
    fix = NETWORK_FIX[bool(host_dhcp)]
    fix_text = ('switches AMT to DHCP' if host_dhcp else
                'switches AMT to a static address taken from the host OS (IP sync)')
    if not params.get('fix_network'):
        raise ProvisionError('unsupported network configuration for Client Control (SMB) mode: %s (%s). '
                             'fix_network: true %s; or change the host\'s network configuration to match AMT'
                             % (pair, NETWORK_TABLE, fix_text))
    result['actions'].append('set AMT network to %s to match the host' % (
        'DHCP' if host_dhcp else 'static with IP sync'))
    if not check_mode:
        # the whole instance as read, with the mode fields changed (a full Put, as RPS and rpc-go do)
        instance = dict((k, v) for k, v in wired.items() if not k.startswith('_') and k not in _STATIC_FIELDS)
        instance.update(fix)
        local.put('AMT_EthernetPortSettings', instance, {'InstanceID': wired.get('InstanceID')})


def _activate(params, mode, before, plan, local, check_mode, result, admin_factory=None):
    mode.check(params, before, plan, local, check_mode, result)
    result['changed'] = True
    result['actions'].append('activate %s' % mode.name.upper())
    if check_mode:
        return
    pw_hash = admin_password_hash(before['realm'], params['admin_password'])
    started = time.time()
    args = [('NetAdminPassEncryptionType', ENCRYPTION_DIGEST_MD5_A1), ('NetworkAdminPassword', pw_hash)] \
        + mode.setup_args(plan, local, before)
    # answer lost: activated means the admin account now reads the device in the asked mode
    out = write_or_reread(local, '%s (activation)' % mode.method,
                          lambda: local.invoke('IPS_HostBasedSetupService', mode.method, args),
                          lambda: _state_as_admin(params, admin_factory),
                          lambda found: found['provisioning_state'] == 'post' and found['control_mode'] == mode.name,
                          describe=_describe_state)
    _warn_lost(result, out)
    result['activation_seconds'] = round(time.time() - started, 3)


# -- Admin Control Mode where the firmware enforces TLS on local ports (CSME 19) ----------------------------------
# Intel removed AdminSetup from CSME 19 (IPS_HostBasedSetupService class reference, quoted in rpc-go issue #355).
# rpc-go (device-management-toolkit/rpc-go, 2026-08, internal/commands/activate/local.go: activateACM ->
# setupACMTLSConfig, activateACMWithTLS, setupMEBxAndCommit, stopConfigOnFailure) then does Secure Host-Based
# Configuration, keyed on the same "TLS enforced on local ports" flag: AMTHI StartConfigurationHBased over MEI with
# the hash of the provisioning leaf certificate (SHA-256 or SHA-384 by the certificate's signature hash), mutual TLS
# to the local port with the provisioning chain as client certificate and the device certificate checked against
# the hash the firmware answered (internal/certs/lmsTls.go VerifyLeafCertificate), AMT_GeneralSettings for the
# realm, AMT_AuthorizationService.SetAdminAclEntryEx (admin, base64 MD5(admin:realm:password); go-wsman-messages
# pkg/wsman/amt/authorization), AMT_SetupAndConfigurationService.CommitChanges, and StopConfiguration over MEI when
# it fails. When CommitChanges answers 2057 (PT_STATUS_DATA_MISSING: the firmware wants a MEBx password), the MEBx
# password is set to the admin password with AMT_SetupAndConfigurationService.SetMEBxPassword (go-wsman-messages
# pkg/wsman/amt/setupandconfiguration SetMEBXPassword) and CommitChanges repeated, rpc-go's first retry; that is
# an action and a warning in the result. Differences: we run the pre-flight checks first (rpc-go does not in this
# path), send StopConfiguration on any failure after the start (rpc-go only around CommitChanges), do not retry the
# start, and do not prompt for another MEBx password (rpc-go's second retry).
HBC_ACTION = 'activate ACM (Secure Host-Based Configuration)'
HBC_DATA_MISSING = 2057
HBC_MEBX_ACTION = 'set the MEBx password to the admin password (SetMEBxPassword; the firmware asked: 2057)'


def uses_secure_hbc(mode, secure_hbc):
    """The one place the activation flow is chosen: ACM on firmware that enforces TLS locally."""
    return mode is ACM and secure_hbc is not None and bool(secure_hbc.tls_enforced_local)


def hbc_leaf_hash(leaf):
    """(AMTHI hash algorithm, digest of the leaf DER) as rpc-go startSecureHostBasedConfiguration picks them: by the
    leaf's signature hash, SHA-256 or SHA-384 only."""
    algorithm = getattr(leaf.signature_hash_algorithm, 'name', None)
    der = leaf.public_bytes(serialization.Encoding.DER)
    if algorithm == 'sha256':
        digest = hashes.Hash(hashes.SHA256())
        code = 2
    elif algorithm == 'sha384':
        digest = hashes.Hash(hashes.SHA384())
        code = 3
    else:
        raise ProvisionError('the provisioning certificate is signed with %s; Secure Host-Based Configuration takes '
                             'SHA-256 or SHA-384 certificates only' % (algorithm or 'an unknown hash'))
    digest.update(der)
    return code, digest.finalize()


def _activate_secure_hbc(params, before, plan, local, secure, check_mode, result, admin_factory):
    ACM.check(params, before, plan, local, check_mode, result)
    algorithm, leaf_hash = hbc_leaf_hash(plan['chain'][0])
    result['changed'] = True
    result['actions'].append(HBC_ACTION)
    if check_mode:
        return
    started = time.time()
    answer = secure.start(algorithm, leaf_hash)
    if answer['status'] != 0:
        raise ProvisionError('the firmware refused StartConfigurationHBased over MEI (AMT status %s); nothing was '
                             'changed. The device must be unprovisioned, AMT enabled, and the firmware enforce TLS '
                             'locally' % secure.status_name(answer['status']), refusal='hbc_start_refused')
    step = 'connecting with the provisioning certificate (mutual TLS)'
    try:
        client = secure.client(params['admin_password'], plan['chain'], plan['key'], answer)
        try:
            # the first request opens the mutual-TLS connection: a refusal of the certificate shows up here
            realm = client.get('AMT_GeneralSettings').get('DigestRealm') or before['realm']
            step = 'SetAdminAclEntryEx (the admin password)'
            digest = base64.b64encode(admin_password_digest_raw(realm, params['admin_password'])).decode()
            client.invoke('AMT_AuthorizationService', 'SetAdminAclEntryEx',
                          [('Username', 'admin'), ('DigestPassword', digest)])
            step = 'CommitChanges'
            try:
                client.invoke('AMT_SetupAndConfigurationService', 'CommitChanges', [])
            except WsmanReturnValueError as err:
                if err.return_value != HBC_DATA_MISSING:
                    raise
                # rpc-go setupMEBxAndCommit without a MEBx password: set it to the AMT password, commit again
                step = 'SetMEBxPassword (the firmware asked for a MEBx password: 2057)'
                client.invoke('AMT_SetupAndConfigurationService', 'SetMEBxPassword',
                              [('Password', params['admin_password'])])
                result['actions'].append(HBC_MEBX_ACTION)
                result.setdefault('warnings', []).append(
                    'the firmware asked for a MEBx password before CommitChanges (2057): it was set to the new '
                    'admin password, as rpc-go does; change it in MEBx if it must differ')
                step = 'CommitChanges'
                client.invoke('AMT_SetupAndConfigurationService', 'CommitChanges', [])
        finally:
            client.close()
    except (WsmanError, AmtError, OSError, ValueError) as err:
        if step == 'CommitChanges' and not isinstance(err, WsmanReturnValueError):
            # rpc-go commitActivation: the commit restarts the local port stack and may cut its own answer; the
            # device state decides
            try:
                found = _state_as_admin(params, admin_factory)
            except (WsmanError, AmtError):
                found = None
            if found and found['provisioning_state'] == 'post' and found['control_mode'] == ACM.name:
                result.setdefault('warnings', []).append(
                    'the answer to CommitChanges was lost (%s); the device reports ACM, so the activation went '
                    'through' % err)
                result['activation_seconds'] = round(time.time() - started, 3)
                return
        raise ProvisionError(_hbc_failure(secure, step, err), refusal='hbc_failed', step=step)
    result['activation_seconds'] = round(time.time() - started, 3)


def _hbc_failure(secure, step, err):
    why = str(err)
    if step.startswith('connecting') and isinstance(err, WsmanError) and not isinstance(err, WsmanReturnValueError):
        why = err.reason + (' (the firmware did not accept the provisioning certificate as TLS client certificate, '
                            'or its own certificate did not match the hash it announced over MEI: check that the '
                            'root CA hash of the chain is trusted by the device and that the certificate domain is '
                            'in the device PKI DNS suffix; do not override dns_suffix unless the device has it)')
    elif step.startswith('SetMEBxPassword'):
        why += ' (the MEBx password is set to the admin password: it must meet the MEBx password rules)'
    try:
        status = secure.stop()
        stopped = ('StopConfiguration was sent over MEI (AMT status %s): the device is back in pre-provisioning '
                   'and nothing stays changed' % secure.status_name(status)) if status == 0 else (
            'StopConfiguration over MEI answered AMT status %s: read the device state (amt_info) before retrying'
            % secure.status_name(status))
    except Exception as stop_err:   # the report must still say what failed first
        stopped = 'StopConfiguration over MEI failed too (%s): read the device state before retrying' % stop_err
    return ('Admin Control Mode activation (Secure Host-Based Configuration) failed at %s: %s. %s'
            % (step, why, stopped))


# AMT 19: host-based Setup leaves the device "in provisioning" until CommitChanges, sent as admin ("Starting AMT
# [19], CommitChange() call is mandatory to cause AMT to move to post-provisioning state": rpc-go issue #845, citing
# Intel's local setup page; rpc-go DMT internal/commands/activate/local.go activateCCM -> commitCCMChanges, and
# commitActivation for why the answer may be lost: the commit restarts the local port stack).
COMMIT_ACTION = 'commit the activation (CommitChanges)'


def _commit_activation(params, admin, admin_factory, result):
    """CommitChanges as admin, then the state read on a fresh connection; returns it (provisioning 'post')."""
    out = write_or_reread(admin, 'CommitChanges (completing the activation)',
                          lambda: admin.invoke('AMT_SetupAndConfigurationService', 'CommitChanges', []),
                          lambda: _state_as_admin(params, admin_factory),
                          lambda found: found['provisioning_state'] == 'post', describe=_describe_state)
    _warn_lost(result, out)
    after = out.found if isinstance(out, OutcomeLost) else _state_as_admin(params, admin_factory)
    if after['provisioning_state'] != 'post':
        raise ProvisionError('the activation was committed (CommitChanges) but the device still reports %s; read it '
                             'again with amt_info before repeating' % _describe_state(after))
    return after


def _uncommitted_setup(params, before, admin_factory):
    """An admin client when the device is 'in provisioning' with the admin account already set (Setup went through,
    CommitChanges never did: an AMT 19 activation interrupted), else None. Older firmware reports 'in' for other
    reasons (remote configuration armed in MEBx); there the admin password does not work and activation proceeds
    as before."""
    if before['provisioning_state'] != 'in':
        return None
    try:
        return reader_after_activation(params, admin_factory)
    except (ProvisionError, WsmanError):
        return None


def _describe_state(found):
    return 'provisioning state %s, control mode %s' % (found['provisioning_state'], found['control_mode'])


def _warn_lost(result, out):
    if isinstance(out, OutcomeLost):
        result.setdefault('warnings', []).append(out.warning)


def _state_as_admin(params, admin_factory, password=None):
    """read_state with an admin client (the given password, else admin_password then current_password)."""
    if password is not None:
        client = admin_factory(password)
    else:
        client = reader_after_activation(params, admin_factory)
    try:
        return read_state(client)
    finally:
        client.close()


def _converge_provisioned(params, mode, before, plan, local, admin_factory, check_mode, result):
    if before['control_mode'] == ACM.name and mode is CCM:
        raise ProvisionError('the device is in Admin Control Mode; going back to Client Control Mode needs '
                             'state: absent (unprovision) first')
    new_ok = password_works(admin_factory, params['admin_password'])
    if mode is ACM and before['control_mode'] == CCM.name:
        password = params['admin_password'] if new_ok else params.get('current_password')
        if not password or (not new_ok and not password_works(admin_factory, password)):
            raise ProvisionError('upgrading CCM to ACM needs the current admin password (admin_password or '
                                 'current_password)')
        _preflight_or_fail(params, before, plan, local)
        result['changed'] = True
        result['actions'].append('upgrade CCM to ACM')
        if not check_mode:
            admin = admin_factory(password)
            try:
                nonce = admin.get('IPS_HostBasedSetupService').get('ConfigurationNonce')
                args = _signed(plan['chain'], plan['key'], admin, nonce)
                _warn_lost(result, write_or_reread(
                    admin, 'UpgradeClientToAdmin',
                    lambda: admin.invoke('IPS_HostBasedSetupService', 'UpgradeClientToAdmin', args),
                    lambda: _state_as_admin(params, admin_factory, password),
                    lambda found: found['control_mode'] == ACM.name, describe=_describe_state))
            finally:
                admin.close()
    if not new_ok:
        current = params.get('current_password')
        if not current or not password_works(admin_factory, current):
            raise ProvisionError('the device is provisioned but admin_password does not work; give the working '
                                 'password as current_password to rotate it')
        result['changed'] = True
        result['actions'].append('rotate admin password')
        if not check_mode:
            admin = admin_factory(current)
            try:
                digest = base64.b64encode(admin_password_digest_raw(before['realm'], params['admin_password'])).decode()
                _warn_lost(result, write_or_reread(
                    admin, 'SetAdminAclEntryEx (the admin password change)',
                    lambda: admin.invoke('AMT_AuthorizationService', 'SetAdminAclEntryEx',
                                         [('Username', 'admin'), ('DigestPassword', digest)]),
                    lambda: password_works(admin_factory, params['admin_password']), bool,
                    describe=lambda works: 'the new admin password %s' % ('works' if works else 'refused')))
            finally:
                admin.close()


def _unprovision(params, admin_factory, check_mode, diff, result, sleep, unauthenticated_state=None):
    # Read the state that needs no account first: an unprovisioned device no longer knows the admin password, so
    # the admin account cannot tell that it is already where it should be (and a refused password counts towards
    # the firmware's lockout).
    seen = unauthenticated_state() if unauthenticated_state else None
    if seen == 'pre':
        result['before'] = result['after'] = {'provisioning_state': 'pre'}
        result['state_source'] = 'unauthenticated'
        if diff:
            result['diff'] = {'before': result['before'], 'after': result['after']}
        return result
    admin = admin_factory(params.get('admin_password'))
    try:
        try:
            setup = admin.get('AMT_SetupAndConfigurationService')
        except WsmanAuthError as err:
            raise ProvisionError('the admin password is refused (%s). If the device is already unprovisioned it no '
                                 'longer knows that password, but its provisioning state could not be read without '
                                 'an account (%s); check the password, or the device\'s presence ping (UDP 623)'
                                 % (err.reason, 'it says %s' % seen if seen else 'no answer'))
        state = setup.get('ProvisioningState')
        result['before'] = {'provisioning_state': PROVISIONING_STATES.get(state, 'unknown')}
        if state != 2:
            result['after'] = result['before']
            return result
        result['changed'] = True
        result['actions'].append('unprovision')
        result['after'] = {'provisioning_state': 'pre'}
        if not check_mode:
            started = time.time()
            deadline = started + (params.get('wait_timeout') or 120)

            def settled():
                while True:
                    try:
                        # the admin account stops working once the device is back in pre-provisioning
                        state = admin.get('AMT_SetupAndConfigurationService').get('ProvisioningState')
                    except WsmanAuthError:
                        state = 0
                    if state == 0 or time.time() > deadline:
                        return state
                    sleep(1)
            out = write_or_reread(admin, 'Unprovision',
                                  lambda: admin.invoke('AMT_SetupAndConfigurationService', 'Unprovision',
                                                       [('ProvisioningMode', 1)]),
                                  settled, lambda state: state == 0,
                                  describe=lambda state: 'provisioning state %s' % PROVISIONING_STATES.get(state, state))
            _warn_lost(result, out)
            if not isinstance(out, OutcomeLost) and settled() != 0:
                raise ProvisionError('Unprovision was accepted but the device is still provisioned after %ss'
                                     % params.get('wait_timeout'))
            result['unprovision_seconds'] = round(time.time() - started, 3)
    finally:
        admin.close()
    if diff:
        result['diff'] = {'before': result['before'], 'after': result['after']}
    return result


OPTIONS = dict(
    state=dict(type='str', default='present', choices=['present', 'absent']),
    mode=dict(type='str', default='ccm', choices=MODE_CHOICES),
    admin_password=dict(type='str', required=True, no_log=True),
    current_password=dict(type='str', no_log=True),
    provisioning_cert=dict(type='path'),
    provisioning_key=dict(type='path', no_log=False),
    provisioning_pfx=dict(type='path'),
    provisioning_pfx_password=dict(type='str', no_log=True),
    dns_suffix=dict(type='str'),
    lms_host=dict(type='str', default='localhost'),
    lms_port=dict(type='int', default=16992),
    lms_tls_port=dict(type='int', default=16993),
    local_transport=dict(type='str', default='auto', choices=['auto', 'lms', 'mei']),
    local_tls=dict(type='str', default='auto', choices=['auto', 'always', 'never']),
    local_username=dict(type='str'),
    local_password=dict(type='str', no_log=True),
    mei_device=dict(type='path'),
    host_dhcp=dict(type='bool'),
    fix_network=dict(type='bool', default=False),
    wait_timeout=dict(type='int', default=120),
    forget_on_failure=dict(type='bool', default=False),
    inventory_cache=dict(type='path', default='~/.cache/oob-amt'),
)
CONSTRAINTS = dict(mutually_exclusive=[('provisioning_pfx', 'provisioning_cert')],
                   required_together=[('provisioning_cert', 'provisioning_key')])


__all__ = ['run_provision', 'ProvisionError', 'preflight', 'load_chain', 'mode_for', 'provisioning_status', 'WsmanError']

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a module running on the managed host reaches its own AMT firmware (host-based activation).

The decisions rpc-go makes before it activates (cmd/main.go updateConnectionSettings, internal/local/opstate.go
CheckAndEnableAMT, internal/local/amt/wsman.go SetupWsmanClient), made here once per run:

1. Ask the firmware over MEI (state-independence client) whether AMT is enabled and whether TLS is enforced
   on the local ports. AMT 11 and older do not answer that query: then neither is assumed.
2. AMT disabled: enable it over MEI (SetAmtOperationalState), reported as a change; in check mode only
   reported. Then wait until the firmware answers.
3. TLS enforced on local ports (CSME 19): talk TLS to the local TLS port (LMS 16993, or an APF channel to
   16993), else plain HTTP to 16992.
4. Nothing listening on the LMS port (most Linux hosts have no LMS): carry the same HTTP exchanges in APF
   channels over the LME client of the MEI device (host/lme.py), as rpc-go's LocalTransport does.

Trust on the local hop: rpc-go accepts the device certificate without CA validation for this connection
(internal/config/lmsTls.go: InsecureSkipVerify, plus a check of the CSME ODCA chain in pre-provisioning).
We accept it without CA validation only when the hop cannot leave the machine: over the MEI device, or to
an LMS on a loopback address. Reaching either already requires root on the host, which can read the local
system account over MEI anyway, so a certificate check would not keep out anyone the hop lets in; TLS there
is what the firmware demands, not what protects the secret. The first certificate seen is then pinned for
every later connection of the run (a change mid-run fails), and its SHA-256 is reported. An LMS address that
is not loopback gets the ordinary validation options (validate_certs, ca_path, cert_fingerprint).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import ipaddress
import os
import shutil
import socket
import ssl
import tempfile
import time

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.host import mei as mei_mod
from ansible_collections.oob.amt.plugins.module_utils.host.heci import MEIError
from ansible_collections.oob.amt.plugins.module_utils.host.lme import LMESession
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError

OPTIONS = dict(
    lms_host=dict(type='str', default='localhost'),
    lms_port=dict(type='int', default=16992),
    lms_tls_port=dict(type='int', default=16993),
    local_transport=dict(type='str', default='auto', choices=['auto', 'lms', 'mei']),
    local_tls=dict(type='str', default='auto', choices=['auto', 'always', 'never']),
    mei_device=dict(type='path'),
)
# The local system account (read over MEI when not given), for modules that work on the host-local interface
ACCOUNT_OPTIONS = dict(
    local_username=dict(type='str'),
    local_password=dict(type='str', no_log=True),
)
ENABLE_WAIT = 60


class LocalAccessError(WsmanError):
    default_hint = ('Run the task on the managed host with become: true; without LMS the module needs /dev/mei0 '
                    '(the mei_me kernel driver)')


def _is_loopback(host):
    if host in ('localhost', 'localhost.localdomain', 'ip6-localhost'):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listening(host, port, timeout=2.0, attempts=3, pause=0.5):
    """True when something accepts TCP on host:port; False when refused/unreachable on every attempt (a
    service that is (re)starting, or a loaded host, gets a few tries before we fall back to MEI).

    A reset after the handshake is a listener: LMS on CSME 19 accepts a plain connection and drops it as soon as
    the firmware refuses the channel, and that drop can reach the socket before connect() returns."""
    for attempt in range(attempts):
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return True
        except (OSError, socket.timeout):
            if attempt + 1 < attempts:
                time.sleep(pause)
            continue
        sock.close()
        return True
    return False


class LocalAccess(object):
    """One run's way to the local firmware; close() it at the end."""

    def __init__(self, params, sleep=time.sleep):
        self.params = params
        self.mei_device = params.get('mei_device')
        self.lms_host = params.get('lms_host') or 'localhost'
        self.lms_port = params.get('lms_port') or 16992
        self.lms_tls_port = params.get('lms_tls_port') or 16993
        self.transport_choice = params.get('local_transport') or 'auto'
        self.tls_choice = params.get('local_tls') or 'auto'
        self.timeout = params.get('timeout') or 30
        self.sleep = sleep
        self.state = None            # IsChangeToAMTEnabled flags, or None (no MEI / old firmware)
        self.mei_available = None
        self.path = None             # 'lms' or 'mei'
        self.use_tls = False
        self.session = None
        self.pinned = None
        self.enabled_amt = False
        self.actions = []
        self.warnings = []

    # -- decisions --------------------------------------------------------------------------------
    def prepare(self, check_mode=False, before_change=None):
        """Query MEI, enable AMT when needed, pick TLS and the path. Returns facts for the result.
        before_change(self), when given, runs after the MEI state query and before anything is changed (it may
        raise to refuse the run)."""
        try:
            self.state = mei_mod.amt_operational_state(self.mei_device)
            self.mei_available = True
        except MEIError as exc:
            self.mei_available = False
            self.mei_error = str(exc)
            if self.transport_choice == 'mei':
                raise LocalAccessError('local_transport=mei but the MEI device cannot be used: %s' % exc,
                                       operation='opening the MEI device')
        if before_change is not None:
            before_change(self)
        if self.state is not None and not self.state['amt_enabled']:
            if not self.state['transition_allowed'] or not self.state['new_interface']:
                raise LocalAccessError('AMT is disabled in the firmware and cannot be enabled from the host (the '
                                       'firmware does not allow the transition); enable it in the BIOS/MEBx',
                                       operation='enabling AMT')
            self.actions.append('enable AMT (MEI SetAmtOperationalState)')
            if check_mode:
                self.enabled_amt = True
                return self.facts()
            try:
                mei_mod.set_amt_enabled(self.mei_device, True)
            except MEIError as exc:
                raise LocalAccessError('enabling AMT over MEI failed: %s' % exc, operation='enabling AMT')
            self.enabled_amt = True
            self._wait_enabled()
        if self.tls_choice == 'always':
            self.use_tls = True
        elif self.tls_choice == 'never':
            self.use_tls = False
        else:
            self.use_tls = bool(self.state and self.state['tls_enforced_local'])
        self.path = self._pick_path()
        if self.path == 'mei':
            self.session = LMESession(self.mei_device, timeout=min(self.timeout, 30)).start()
        return self.facts()

    def _wait_enabled(self):
        deadline = time.monotonic() + ENABLE_WAIT
        while True:
            state = mei_mod.amt_operational_state(self.mei_device)
            if state is None or state['amt_enabled']:
                if state is not None:
                    self.state = state
                return
            if time.monotonic() > deadline:
                raise LocalAccessError('AMT was enabled over MEI but still reports disabled after %ss' % ENABLE_WAIT,
                                       operation='enabling AMT')
            self.sleep(1)

    def _pick_path(self):
        if self.transport_choice == 'mei':
            return 'mei'
        port = self.lms_tls_port if self.use_tls else self.lms_port
        if self.transport_choice == 'lms' or _listening(self.lms_host, port):
            return 'lms'
        if not self.mei_available:
            raise LocalAccessError(
                'nothing listens on %s:%s (no Local Manageability Service) and the MEI device cannot be used '
                'for the firmware\'s own transport (%s)' % (self.lms_host, port, getattr(self, 'mei_error', '')),
                operation='reaching the local AMT interface')
        return 'mei'

    def facts(self):
        return {'path': self.path, 'tls': self.use_tls,
                'amt_enabled_before': None if self.state is None else (
                    False if self.enabled_amt else self.state['amt_enabled']),
                'tls_enforced_local': None if self.state is None else self.state['tls_enforced_local'],
                'certificate_sha256': self.pinned}

    @property
    def local_hop(self):
        return self.path == 'mei' or _is_loopback(self.lms_host)

    # -- clients ----------------------------------------------------------------------------------
    def client(self, username, password):
        """A WS-Man client on the host-local interface with this account."""
        kw = dict(username=username, password=password, timeout=self.timeout)
        if self.use_tls:
            kw['use_tls'] = True
            if self.local_hop:
                kw['validate_certs'] = False
                if self.pinned:
                    kw['cert_fingerprint'] = self.pinned
            else:
                for key in ('validate_certs', 'ca_path', 'cert_fingerprint', 'min_tls_version', 'ciphers'):
                    if self.params.get(key) is not None:
                        kw[key] = self.params[key]
        else:
            kw['use_tls'] = False
        if self.path == 'mei':
            host = 'localhost'
            port = 16993 if self.use_tls else 16992
            kw['socket_factory'] = self.session.socket_factory
        else:
            host = self.lms_host
            port = self.lms_tls_port if self.use_tls else self.lms_port
        client = WsmanClient(host, port=port, **kw)
        if self.use_tls and self.local_hop:
            client = _PinOnFirstUse(client, self)
        return client

    def mutual_tls_client(self, username, password, chain, key, answer):
        """A client on the local TLS port that presents the provisioning chain (leaf first) and key as its TLS client
        certificate, for Secure Host-Based Configuration, as rpc-go setupACMTLSConfig does. The device certificate
        is checked against the hash the firmware answered to StartConfigurationHBased over MEI (rpc-go
        internal/certs/lmsTls.go VerifyLeafCertificate): that binds the TLS peer to the firmware we asked, on top of
        the local-hop reasoning above. rpc-go also checks the device chain against Intel's ODCA roots; we do not
        ship those (docs/dev/fidelity.md)."""
        if answer.get('hash_algorithm') != 'SHA256':
            raise LocalAccessError('the firmware announced a %s hash of its TLS certificate; this module checks '
                                   'SHA-256 only' % answer.get('hash_algorithm'),
                                   operation='connecting with the provisioning certificate')
        fingerprint = binascii.hexlify(answer['device_cert_hash']).decode('ascii')
        kw = dict(username=username, password=password, timeout=self.timeout, use_tls=True,
                  ssl_context=client_certificate_context(chain, key), cert_fingerprint=fingerprint)
        if self.path == 'mei':
            host, port = 'localhost', 16993
            kw['socket_factory'] = self.session.socket_factory
        else:
            host, port = self.lms_host, self.lms_tls_port
        return WsmanClient(host, port=port, **kw)

    def local_account(self):
        """(user, password) for pre-provisioning: given, or read over MEI."""
        user, password = self.params.get('local_username'), self.params.get('local_password')
        if user and password:
            return user, password
        client = mei_mod.MEIClient(self.mei_device)
        try:
            return client.local_system_account()
        finally:
            client.close()

    def control_mode(self):
        """0/1/2 from MEI GetControlMode, or None when MEI cannot be used."""
        if not self.mei_available:
            return None
        client = mei_mod.MEIClient(self.mei_device)
        try:
            return client.control_mode()
        except MEIError:
            return None
        finally:
            client.close()

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None


def client_certificate_context(chain, key):
    """A client SSLContext presenting chain (leaf..root) and key, no server validation (the caller pins the device
    certificate). ssl loads a client certificate only from a file: the PEM is written to a private temporary
    directory and removed as soon as it is loaded; the key in it is encrypted with a one-time password that
    never leaves this process, so the file never holds the provisioning key in the clear."""
    from ansible_collections.oob.amt.plugins.module_utils.formats.certs import serialization
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    one_time = binascii.hexlify(os.urandom(32))
    directory = tempfile.mkdtemp(prefix='oob-amt-hbc-')
    path = os.path.join(directory, 'client.pem')
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'wb') as fh:
            for cert in chain:
                fh.write(cert.public_bytes(serialization.Encoding.PEM))
            fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(one_time)))
        ctx.load_cert_chain(path, password=one_time)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return ctx


class _PinOnFirstUse(object):
    """Wraps a client on the local hop: remembers the first certificate, later clients pin it."""

    def __init__(self, client, access):
        self._client = client
        self._access = access

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if callable(attr) and name in ('get', 'put', 'create', 'delete', 'enumerate', 'pull', 'invoke', 'identify'):
            def call(*args, **kwargs):
                try:
                    return attr(*args, **kwargs)
                finally:
                    seen = self._client.peer_cert_sha256
                    if seen and self._access.pinned is None:
                        self._access.pinned = seen
            return call
        return attr


# -- any device operation on the host-local interface -------------------------------------------------------

INTERFACE_OPTION = dict(interface=dict(type='str', default='network', choices=['network', 'local']))


def _is_local(params):
    return params.get('interface') == 'local'


def local_account_or_admin(params, access):
    """(user, password) for the host-local interface: the local system account while the device is not
    activated (MEI GetControlMode 0), the admin account once it is (the firmware refuses the local account then,
    as rpc-go assumes: it uses the local account only in Activate()). Without MEI: the local account when given,
    else the admin account when a password is given."""
    mode = access.control_mode()
    local_given = bool(params.get('local_username') and params.get('local_password'))
    if mode == 0 or (mode is None and (local_given or not params.get('password'))):
        try:
            return access.local_account()
        except MEIError as err:
            raise AmtError('%s; give local_username and local_password, or run with become: true so /dev/mei0 '
                           'can be read' % err, operation='reading the local system account')
    if not params.get('password'):
        raise AmtError('the device is activated (control mode %s): the local system account is refused from then '
                       'on; give password (the AMT admin password)' % mode, operation='choosing the account')
    return params.get('username') or 'admin', params['password']


def local_operation(operation):
    """The operation with option interface: V(network) (as before) or V(local): run it on the managed host
    against its own firmware, reached the way amt_provision reaches it (LocalAccess: MEI state query, AMT
    enabled first, TLS when the firmware enforces it locally, LMS or APF over MEI) with the local system
    account before activation and the admin account after."""
    def needs_device(params):
        return not _is_local(params) and operation.needs_device(params)

    def prepare(params):
        if _is_local(params):
            for option in ('lms_port', 'lms_tls_port'):
                if not 1 <= params[option] <= 65535:
                    raise ValueError('option %s must be between 1 and 65535' % option)
            # the device is the host's own firmware: name it by the local interface address
            params = dict(params, host=params['lms_host'], port=None)
        return operation.prepare(params)

    def run(client, params, check_mode=False, diff=False):
        if not _is_local(params):
            return operation.run(client, params, check_mode=check_mode, diff=diff)
        access = LocalAccess(params)
        try:
            try:
                access.prepare(check_mode=check_mode)
            except MEIError as err:
                raise AmtError(str(err), operation='reaching the local AMT interface')
            if check_mode and access.enabled_amt:
                # AMT is off: nothing can be read before it is enabled, which check mode does not do
                return {'changed': True, 'actions': list(access.actions), 'local_access': access.facts(),
                        'warnings': ['AMT is disabled in the firmware: it would be enabled over MEI first; the '
                                     'device could not be read in check mode']}
            local = access.client(*local_account_or_admin(params, access))
            try:
                result = operation.run(local, params, check_mode=check_mode, diff=diff)
                result.setdefault('exchanges', local.exchanges)
            finally:
                local.close()
            if access.actions:
                result['actions'] = list(access.actions) + list(result.get('actions') or [])
                result['changed'] = True
            result['local_access'] = access.facts()
            return result
        finally:
            access.close()

    options = dict(operation.options)
    options.update(INTERFACE_OPTION)
    options.update(OPTIONS)
    options.update(ACCOUNT_OPTIONS)
    return Operation(options, run, operation.name, prepare=prepare, needs_device=needs_device,
                     own_clients=operation.own_clients, target=operation.target, on_failure=operation.on_failure,
                     controller_side=operation.controller_side,
                     constraints=operation.constraints, needs_cryptography=operation.needs_cryptography,
                     fleet=operation.fleet)

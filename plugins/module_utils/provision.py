# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible glue of amt_provision: the clients it needs and the inventory cache edit after a failure.

Activation talks to the host-local interface with the local system account the MEI device gives; how
(LMS or APF over MEI, plain or TLS, AMT enabled first) is local_access.py's decision, made once per run.
Password checks, reads after activation and unprovisioning use admin clients: on the network when host is
given, else on the same local path. The operation itself is amt/provisioning.py; the runner is device.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.amt.provisioning import ACM, CONSTRAINTS, OPTIONS, mode_for, run_provision
from ansible_collections.oob.amt.plugins.module_utils.device import client_from_params
from ansible_collections.oob.amt.plugins.module_utils.host import mei as mei_mod
from ansible_collections.oob.amt.plugins.module_utils.host.mei import MEIClient, MEIError
from ansible_collections.oob.amt.plugins.module_utils.host.rmcp import presence_ping
from ansible_collections.oob.amt.plugins.module_utils.inventory_cache import forget_device
from ansible_collections.oob.amt.plugins.module_utils.local_access import LocalAccess
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanConnectionError


def local_account(params):
    """(user, password) of the host-local interface: given, or read from the MEI device."""
    user, password = params.get('local_username'), params.get('local_password')
    if user and password:
        return user, password
    try:
        mei = MEIClient(params.get('mei_device'))
        try:
            return mei.local_system_account()
        finally:
            mei.close()
    except MEIError as err:
        raise AmtError(str(err), operation='reading the local system account')


def lms_client(params, username, password):
    return WsmanClient(params['lms_host'], port=params['lms_port'], use_tls=False, username=username,
                       password=password, timeout=params['timeout'] or 30)


def announced_state(params):
    """() -> the provisioning state the device announces without an account in its ASF presence pong (UDP 623,
    host/rmcp.py): 'pre', 'in', 'post', or None (no answer: the ping may be disabled or filtered)."""
    def read():
        try:
            pongs = presence_ping([params['host']], timeout=min(2.0, float(params.get('timeout') or 30)))
        except (OSError, ValueError):
            return None
        return next((p.get('amt_provisioning_state') for p in pongs.values()), None)
    return read


def local_factory(params):
    return lambda: lms_client(params, *local_account(params))


def admin_factory(params):
    """admin(password) -> a client with the admin account: the device on the network, or the host-local one."""
    def admin(password):
        if params.get('host'):
            return client_from_params(dict(params, password=password))
        return lms_client(params, params['username'] or 'admin', password)
    return admin


def prepare(params):
    for option in ('lms_port', 'lms_tls_port'):
        if not 1 <= params[option] <= 65535:
            raise ValueError('option %s must be between 1 and 65535' % option)
    if params['wait_timeout'] < 1:
        raise ValueError('option wait_timeout must be at least 1 second')
    return params


def _local_factory(params, access):
    def local():
        user, password = params.get('local_username'), params.get('local_password')
        if not (user and password):
            try:
                user, password = access.local_account()
            except MEIError as err:
                raise AmtError(str(err), operation='reading the local system account')
        return access.client(user, password)
    return local


def _admin_factory(params, access):
    def admin(password):
        if params.get('host'):
            return client_from_params(dict(params, password=password))
        return access.client(params['username'] or 'admin', password)
    return admin


def _predicted(params, access, result):
    """Check mode with AMT disabled: the device cannot be read before it is enabled; MEI tells the mode."""
    mode = access.control_mode()
    wanted = mode_for(params.get('mode')).name
    result['before'] = {'provisioning_state': 'pre' if not mode else 'post',
                        'control_mode': {0: 'none', 1: 'ccm', 2: 'acm'}.get(mode, 'unknown')}
    if not mode:
        result['actions'].append('activate %s' % wanted.upper())
    result['after'] = {'provisioning_state': 'post', 'control_mode': wanted if not mode else
                       result['before']['control_mode']}
    return result


# ACM where the firmware enforces TLS on local ports (CSME 19 and later): Intel removed AdminSetup and
# UpgradeClientToAdmin there. Activation from pre-provisioning takes Secure Host-Based Configuration
# (amt/provisioning.py _activate_secure_hbc, after rpc-go internal/commands/activate/local.go); this glue gives it the
# MEI commands and the mutual-TLS client (SecureHostBased). CCM -> ACM has no such flow in rpc-go: refused before
# any change.
UPGRADE_TLS_ENFORCED = ('Admin Control Mode cannot be reached from Client Control Mode here: the firmware enforces '
                        'TLS on local ports (CSME 19 or later), where Intel removed UpgradeClientToAdmin. Nothing was '
                        'changed. Unprovision first (state: absent), then activate ACM')


def _refuse_upgrade_without_admin_setup(params, access):
    """Fail before any change when ACM is asked of a CCM device whose firmware enforces TLS locally."""
    if params['state'] != 'present' or mode_for(params.get('mode')) is not ACM:
        return
    if not (access.state and access.state['tls_enforced_local']):
        return
    if access.control_mode() == 1:
        raise AmtError(UPGRADE_TLS_ENFORCED, operation='activating Admin Control Mode',
                       refusal='upgrade_client_to_admin_removed')


class SecureHostBased(object):
    """What Secure Host-Based Configuration needs from the host: the AMTHI commands over MEI and a client with the
    provisioning certificate on the local TLS port (amt/provisioning.py drives it)."""

    def __init__(self, access):
        self.access = access
        self.tls_enforced_local = bool(access.state and access.state['tls_enforced_local'] and access.mei_available)
        self.status_name = mei_mod.status_name

    def start(self, algorithm, leaf_hash):
        try:
            return mei_mod.start_configuration_hbased(self.access.mei_device, algorithm, leaf_hash)
        except MEIError as err:
            raise AmtError('StartConfigurationHBased over MEI failed: %s' % err,
                           operation='starting Secure Host-Based Configuration')

    def client(self, password, chain, key, answer):
        return self.access.mutual_tls_client('admin', password, chain, key, answer)

    def stop(self):
        return mei_mod.stop_configuration(self.access.mei_device)


def run(client, params, check_mode=False, diff=False):
    if params['state'] == 'absent' and params.get('host'):
        return run_provision(params, local_factory(params), admin_factory(params), check_mode=check_mode, diff=diff,
                             unauthenticated_state=announced_state(params))
    access = LocalAccess(params)
    try:
        try:
            access.prepare(check_mode=check_mode,
                           before_change=lambda found: _refuse_upgrade_without_admin_setup(params, found))
        except MEIError as err:
            raise AmtError(str(err), operation='reaching the local AMT interface')
        if check_mode and access.enabled_amt and params['state'] == 'present':
            result = _predicted(params, access, {'changed': True, 'actions': list(access.actions)})
        else:
            try:
                # MEI GetControlMode needs no account: 0 = not activated
                result = run_provision(params, _local_factory(params, access), _admin_factory(params, access),
                                       check_mode=check_mode, diff=diff,
                                       unauthenticated_state=lambda: 'pre' if access.control_mode() == 0 else None,
                                       secure_hbc=SecureHostBased(access))
            except WsmanConnectionError as err:
                if access.path == 'lms' and not access.use_tls and access.state is None:
                    # the firmware could not be asked over MEI whether it enforces TLS locally (CSME 19 does)
                    err.hint = ('The firmware may enforce TLS on local ports (CSME 19): set local_tls: always, or let '
                                'the module read /dev/mei0 (become: true) so it can ask')
                raise
            result['actions'] = list(access.actions) + result['actions']
            result['changed'] = result['changed'] or bool(access.actions)
        result['local_access'] = access.facts()
        if diff and 'diff' not in result and 'before' in result:
            result['diff'] = {'before': result['before'], 'after': result['after']}
        return result
    finally:
        access.close()


def target(params):
    return params.get('host') or params['lms_host']


def forget(params, check_mode):
    """After a failed unprovision with forget_on_failure: drop the device from the discovery cache.
    Returns (extra result keys, warnings)."""
    if params['state'] != 'absent' or not params['forget_on_failure']:
        return {'forgotten_in': []}, []
    try:
        changed = forget_device(params['inventory_cache'], target(params), check_mode=check_mode)
    except (IOError, OSError) as exc:
        return {'forgotten_in': []}, ['forget_on_failure: could not edit the inventory cache %s: %s'
                                      % (params['inventory_cache'], exc)]
    warnings = []
    if changed:
        warnings.append('forget_on_failure: %s removed from the discovery cache (%s); rediscover it once it answers'
                        % (target(params), ', '.join(changed)))
    return {'forgotten_in': changed}, warnings


OPERATION = Operation(OPTIONS, run, name=lambda params: 'provisioning (%s)' % params['state'], prepare=prepare,
                      own_clients=True, target=target, on_failure=forget,
                      constraints=CONSTRAINTS)

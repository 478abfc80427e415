# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Digest user accounts (AMT_AuthorizationService ACL entries) and the admin password, over the network.

Methods and shapes from go-wsman-messages pkg/wsman/amt/authorization (AddUserAclEntryEx, UpdateUserAclEntryEx,
RemoveUserAclEntry, EnumerateUserAclEntries, GetUserAclEntryEx, SetAdminAclEntryEx) and rpc-go
internal/commands/configure/amtpassword.go (admin password: DigestPassword = base64 of the raw 16-byte
MD5(user:DigestRealm:password), realm from AMT_GeneralSettings); read, not copied.

Firmware never tells a password. Whether a password is already the wanted one is decided by trying it: one
digest exchange as that user (a Get of AMT_GeneralSettings). A 401 means it differs; an answer, or a
SOAP AccessDenied fault for a user without the General Info realm, means it matches. Local-only accounts
cannot be tried from the network: their password is set on creation and with update_password=always only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.amt.password import check_password
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import Embedded, WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanAuthError, WsmanError, WsmanFault

SERVICE = 'AMT_AuthorizationService'
REALMS = {
    'redirection': 2, 'pt_administration': 3, 'hardware_asset': 4, 'remote_control': 5, 'storage': 6,
    'event_manager': 7, 'storage_admin': 8, 'agent_presence_local': 9, 'agent_presence_remote': 10,
    'circuit_breaker': 11, 'network_time': 12, 'general_info': 13, 'firmware_update': 14, 'eit': 15,
    'local_un': 16, 'endpoint_access_control': 17, 'endpoint_access_control_admin': 18, 'event_log_reader': 19,
    'audit_log': 20, 'acl': 21, 'local_system': 24,
}
REALM_NAMES = dict((v, k) for k, v in REALMS.items())
ACCESS = {'local': 0, 'network': 1, 'any': 2}
ACCESS_NAMES = dict((v, k) for k, v in ACCESS.items())
PT_MEANINGS = {
    12: 'invalid user name', 16: 'not permitted', 23: 'the device holds no more user accounts',
    32: 'the device is not activated', 36: 'invalid parameter', 2053: 'no such user entry (invalid handle)',
    2054: 'invalid password', 2055: 'invalid realm', 2058: 'a user with that name exists',
}
NAME_FORBIDDEN = ':,<>&"'


class UserError(AmtError):
    """A user-account change refused or failed."""


CONNECTION_KEYS = ('host', 'port', 'use_tls', 'username', 'password', 'validate_certs', 'ca_path', 'client_cert',
                   'client_key', 'ciphers', 'min_tls_version', 'cert_fingerprint', 'timeout')


def sibling_client(params, username, password):
    """A client with the same connection options, signing in as another account (to try its password)."""
    kwargs = dict((k, params.get(k)) for k in CONNECTION_KEYS)
    kwargs.update(username=username, password=password, timeout=params.get('timeout') or 30, retries=0)
    return WsmanClient(**kwargs)


def digest_password(username, realm, password):
    """base64 of the raw MD5(username:realm:password), as SetAdminAclEntryEx/AddUserAclEntryEx expect."""
    raw = hashlib.md5(('%s:%s:%s' % (username, realm, password)).encode('utf-8')).digest()
    return base64.b64encode(raw).decode('ascii')


def _pt(out, what):
    rv = out['ReturnValue']
    if rv:
        raise UserError('%s failed: ReturnValue %d (%s)' % (what, rv, PT_MEANINGS.get(rv, 'unknown')), return_value=rv)
    return out


def _list(value):
    if value is None or value == '':
        return []
    if isinstance(value, dict):                  # <Realms><RealmValue>..</RealmValue></Realms>
        return _list(value.get('RealmValue'))
    if not isinstance(value, list):
        value = [value]
    return [int(str(v).strip()) for v in value if str(v).strip() != '']


def realm_of(client):
    return client.get('AMT_GeneralSettings').get('DigestRealm') or client.realm


def list_users(client):
    """[{'handle', 'name', 'access', 'realms'}] of the digest users (admin is not in the ACL list)."""
    handles = []
    start = 1
    while True:
        out = _pt(client.invoke(SERVICE, 'EnumerateUserAclEntries', [('StartIndex', start)], check_return=False),
                  'EnumerateUserAclEntries')
        page = _list(out.get('Handles'))
        handles += page
        total = int(out.get('TotalCount') or 0)
        if not page or len(handles) >= total:
            break
        start += len(page)
    users = []
    for handle in handles:
        out = client.invoke(SERVICE, 'GetUserAclEntryEx', [('Handle', handle)], check_return=False)
        if out['ReturnValue']:
            continue          # Kerberos entries and entries removed meanwhile
        if not out.get('DigestUsername'):
            continue
        users.append({'handle': handle, 'name': out.get('DigestUsername'),
                      'access': int(out.get('AccessPermission') or 0), 'realms': sorted(_list(out.get('Realms')))})
    return users


def password_works(client_factory, username, password):
    """True/False by one digest exchange as that user; None when the account cannot be tried (local only)."""
    trial = client_factory(username, password)
    try:
        trial.get('AMT_GeneralSettings')
        return True
    except WsmanAuthError:
        return False
    except WsmanFault as fault:
        if getattr(fault, 'subcode', None) == 'AccessDenied':
            return True            # authenticated, just not allowed to read general settings
        raise
    finally:
        trial.close()


def _view(entry):
    if entry is None:
        return None
    return {'name': entry['name'], 'access': ACCESS_NAMES.get(entry['access'], entry['access']),
            'realms': sorted(REALM_NAMES.get(r, str(r)) for r in entry['realms'])}


OPTIONS = dict(
    name=dict(type='str', required=True),
    user_password=dict(type='str', no_log=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    realms=dict(type='list', elements='str', choices=list(REALMS)),
    access=dict(type='str', default='network', choices=list(ACCESS)),
    update_password=dict(type='str', default='when_changed', choices=['when_changed', 'always', 'on_create']),
)


def check_params(params, admin_name=None):
    """Input checks before any contact; returns params (the runner's prepare)."""
    admin_name = admin_name or params.get('username') or 'admin'
    name = params['name']
    if not name or len(name) > 16 or any(c in NAME_FORBIDDEN or not 32 < ord(c) < 127 for c in name):
        raise UserError('option name must be 1 to 16 printable ASCII characters without spaces or %s'
                        % ' '.join(NAME_FORBIDDEN))
    if params['state'] == 'absent':
        if name == admin_name:
            raise UserError('the built-in admin account cannot be removed (unprovision the device instead)')
        return params
    if params.get('user_password') is None:
        raise UserError('option user_password is required with state=present')
    problems = check_password(params['user_password'])
    if problems:
        raise UserError('option user_password breaks the AMT password rules: %s' % '; '.join(problems))
    if name == admin_name:
        if params.get('realms'):
            raise UserError('the admin account has every realm; realms cannot be given for it')
        return params
    unknown = [r for r in params.get('realms') or [] if r not in REALMS]
    if unknown:
        raise UserError('option realms: unknown %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(REALMS))))
    if not params.get('realms'):
        raise UserError('option realms is required for a new or updated user (for example [hardware_asset, '
                        'remote_control, redirection])')
    return params


def run_user(client, params, check_mode=False, diff=False, client_factory=None, warn=None):
    """client_factory(username, password) -> a client with the same connection options as another user."""
    warnings = []
    warn = warn or warnings.append
    if client_factory is None:
        def client_factory(username, password):
            return sibling_client(params, username, password)
    admin_name = params.get('username') or 'admin'
    check_params(params, admin_name)
    if params['name'] == admin_name:
        return rotate_admin(client, params, check_mode, diff, client_factory)
    users = list_users(client)
    current = next((u for u in users if u['name'] == params['name']), None)
    result = {'changed': False, 'actions': [], 'user': _view(current)}
    before = _view(current)
    if params['state'] == 'absent':
        if current is not None:
            result['changed'] = True
            result['actions'].append('remove user %s' % params['name'])
            if not check_mode:
                _pt(client.invoke(SERVICE, 'RemoveUserAclEntry', [('Handle', current['handle'])], check_return=False),
                    'RemoveUserAclEntry')
        result['user'] = None
        return _finish(client, result, before, None, diff)
    realms = sorted(set(REALMS[r] for r in params['realms']))
    access = ACCESS[params['access']]
    wanted = {'handle': None, 'name': params['name'], 'access': access, 'realms': realms}
    realm = realm_of(client)
    hashed = digest_password(params['name'], realm, params['user_password'])
    if current is None:
        result['changed'] = True
        result['actions'].append('add user %s' % params['name'])
        if not check_mode:
            out = _pt(client.invoke(SERVICE, 'AddUserAclEntryEx', _entry_params(wanted, hashed), check_return=False),
                      'AddUserAclEntryEx')
            wanted['handle'] = out.get('Handle')
        result['password_changed'] = True
    else:
        wanted['handle'] = current['handle']
        set_password = False
        if params['update_password'] == 'always':
            set_password = True
        elif params['update_password'] == 'when_changed':
            works = None
            if current['access'] != 0 and client_factory is not None:
                works = password_works(client_factory, params['name'], params['user_password'])
            if works is None:
                warn('the password of local-only user %s cannot be tried from the network; it is set only with '
                     'update_password=always' % params['name'])
            set_password = works is False
        settings_differ = current['access'] != access or current['realms'] != realms
        if set_password or settings_differ:
            result['changed'] = True
            result['actions'].append('update user %s (%s)' % (params['name'], ', '.join(
                ([] if not settings_differ else ['access/realms']) + (['password'] if set_password else []))))
            if not check_mode:
                _pt(client.invoke(SERVICE, 'UpdateUserAclEntryEx',
                                  [('Handle', current['handle'])] + _entry_params(wanted, hashed if set_password else None),
                                  check_return=False), 'UpdateUserAclEntryEx')
        result['password_changed'] = set_password
    result['user'] = _view(wanted)
    if warnings:
        result['warnings'] = warnings
    return _finish(client, result, before, _view(wanted), diff)


def _entry_params(entry, hashed):
    params = [('DigestUsername', entry['name'])]
    if hashed is not None:
        params.append(('DigestPassword', hashed))
    params += [('AccessPermission', entry['access']),
               ('Realms', Embedded(SERVICE, [('RealmValue', list(entry['realms']))]))]
    return params


def rotate_admin(client, params, check_mode, diff, client_factory):
    """The admin password over the network (SetAdminAclEntryEx), decided by trying the new password first."""
    name = params['name']
    result = {'changed': False, 'actions': [], 'user': {'name': name, 'access': 'any', 'realms': ['all']}}
    if params['state'] == 'absent':
        raise UserError('the built-in admin account cannot be removed')
    if client_factory is not None and params['update_password'] != 'always':
        if password_works(client_factory, name, params['user_password']):
            result['password_changed'] = False
            return _finish(client, result, None, None, diff, admin=True)
    if params['update_password'] == 'on_create':
        result['password_changed'] = False
        return _finish(client, result, None, None, diff, admin=True)
    result['changed'] = True
    result['password_changed'] = True
    result['actions'].append('set a new admin password (SetAdminAclEntryEx)')
    # also in check mode: the current password (option password) must work and the device be activated
    state = client.get('AMT_SetupAndConfigurationService')
    if str(state.get('ProvisioningState')) != '2':
        raise UserError('the device is not activated; set the admin password with oob.amt.amt_provision')
    if not check_mode:
        realm = realm_of(client)
        _pt(client.invoke(SERVICE, 'SetAdminAclEntryEx', [('Username', name),
                                                          ('DigestPassword', digest_password(name, realm,
                                                                                             params['user_password']))],
                          check_return=False), 'SetAdminAclEntryEx')
        if client_factory is not None and not password_works(client_factory, name, params['user_password']):
            raise UserError('the device accepted the new admin password but does not authenticate with it')
    return _finish(client, result, None, None, diff, admin=True)


def _finish(client, result, before, after, diff, admin=False):
    if diff:
        if admin:
            result['diff'] = {'before': {'admin_password': 'old'},
                              'after': {'admin_password': 'new' if result['changed'] else 'old'}}
        else:
            after_view = dict(after) if after else None
            before_view = dict(before) if before else None
            if after_view is not None and result.get('password_changed'):
                after_view['password'] = 'changed'
            result['diff'] = {'before': before_view, 'after': after_view}
    result['exchanges'] = client.exchanges
    return result


OPERATION = Operation(OPTIONS, run_user, name=lambda params: 'user %s %s' % (params['name'], params['state']),
                      prepare=check_params)

__all__ = ['OPERATION', 'run_user', 'UserError', 'WsmanError', 'digest_password', 'list_users']

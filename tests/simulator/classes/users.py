"""Digest user accounts (AMT_AuthorizationService ACL entries) beside the built-in admin.

Method shapes follow go-wsman-messages pkg/wsman/amt/authorization (AddUserAclEntryEx, UpdateUserAclEntryEx,
RemoveUserAclEntry, EnumerateUserAclEntries, GetUserAclEntryEx; read, not copied). Firmware only ever sees
the digest hash MD5(user:realm:password), never the password, so it enforces the user-name rules and the
entry limit, not password complexity (clients check that before hashing, as MEBx does for the admin).
Return values are AMT PT_STATUS codes: 12 invalid name, 23 max limit, 36 invalid parameter,
2053 invalid handle, 2055 invalid realm, 2058 duplicate.
"""

import base64
import binascii

from tests.simulator.registry import require_int, register
from tests.simulator.classes import provisioning

MAX_USERS = 7                       # digest entries beside admin (simulator's limit; firmware keeps a small table)
FORBIDDEN = set(':,<>&"')
VALID_REALMS = set(range(2, 22)) | {24}     # 0 invalid, 1/22/23 reserved
NAME_INVALID, MAX_LIMIT, INVALID_PARAMETER, INVALID_HANDLE, INVALID_REALM, DUPLICATE = 12, 23, 36, 2053, 2055, 2058


def _users(device):
    return device.state.setdefault('users', [])


def _realms(params):
    value = params.get('Realms')
    if isinstance(value, dict):                   # <Realms><RealmValue>n</RealmValue>...</Realms>
        value = value.get('RealmValue')
    if value is None or value == '':
        return []
    if not isinstance(value, list):
        value = [value]
    return [int(str(v).strip()) for v in value]


def _ha1(params):
    try:
        raw = base64.b64decode(params.get('DigestPassword') or '', validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


@register
class AuthorizationService(provisioning.AuthorizationService):

    def _check(self, device, params, handle=None):
        name = params.get('DigestUsername') or ''
        if not name or len(name) > 16 or any(c in FORBIDDEN or not 32 < ord(c) < 127 for c in name):
            return NAME_INVALID, None
        if name.lower() == device.state['admin_username'].lower() or name == device.state.get('local_username'):
            return NAME_INVALID, None
        if any(u['name'] == name and u['handle'] != handle for u in _users(device)):
            return DUPLICATE, None
        try:
            realms = _realms(params)
        except ValueError:
            return INVALID_PARAMETER, None
        if not realms or any(r not in VALID_REALMS for r in realms):
            return INVALID_REALM, None
        access = require_int(params, 'AccessPermission')
        if access not in (0, 1, 2):
            return INVALID_PARAMETER, None
        ha1 = _ha1(params)
        if ha1 is None and handle is not None and not params.get('DigestPassword'):
            ha1 = next(u['ha1'] for u in _users(device) if u['handle'] == handle)   # Update keeps the password
        if ha1 is None:
            return INVALID_PARAMETER, None
        return 0, {'name': name, 'ha1': ha1, 'access': access, 'realms': sorted(set(realms))}

    def method_AddUserAclEntryEx(self, device, params, ctx):
        if device.state['provisioning_state'] != 2:
            return {'ReturnValue': 32}
        if len(_users(device)) >= MAX_USERS:
            return {'ReturnValue': MAX_LIMIT}
        rv, entry = self._check(device, params)
        if rv:
            return {'ReturnValue': rv}
        handle = device.state.get('next_user_handle', 1)
        device.state['next_user_handle'] = handle + 1
        entry['handle'] = handle
        _users(device).append(entry)
        return {'Handle': handle, 'ReturnValue': 0}

    def _find(self, device, params):
        try:
            handle = int(str(params.get('Handle')).strip())
        except ValueError:
            return None
        return next((u for u in _users(device) if u['handle'] == handle), None)

    def method_UpdateUserAclEntryEx(self, device, params, ctx):
        user = self._find(device, params)
        if user is None:
            return {'ReturnValue': INVALID_HANDLE}
        rv, entry = self._check(device, params, handle=user['handle'])
        if rv:
            return {'ReturnValue': rv}
        user.update(entry)
        return {'ReturnValue': 0}

    def method_RemoveUserAclEntry(self, device, params, ctx):
        user = self._find(device, params)
        if user is None:
            return {'ReturnValue': INVALID_HANDLE}
        _users(device).remove(user)
        return {'ReturnValue': 0}

    def method_EnumerateUserAclEntries(self, device, params, ctx):
        start = require_int(params, 'StartIndex')
        if start < 1:
            return {'ReturnValue': INVALID_PARAMETER}
        handles = [u['handle'] for u in _users(device)]
        page = handles[start - 1:start - 1 + 50]
        return {'TotalCount': len(handles), 'HandlesCount': len(page), 'Handles': page, 'ReturnValue': 0}

    def method_GetUserAclEntryEx(self, device, params, ctx):
        user = self._find(device, params)
        if user is None:
            return {'ReturnValue': INVALID_HANDLE}
        return {'DigestUsername': user['name'], 'AccessPermission': user['access'], 'Realms': user['realms'],
                'ReturnValue': 0}

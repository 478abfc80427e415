# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""User consent (IPS_OptInService): the policy and the code flow of Client Control Mode.

Values (protocol reference §5.7; go-wsman-messages pkg/wsman/ips/optin; MeshCommander index.html
iderUserConsent*): OptInRequired 0 none, 1 KVM only, 4294967295 all redirection and boot-to-BIOS;
OptInState 0 not started, 1 requested, 2 displayed, 3 received (consent granted), 4 in session.
Flow: StartOptIn shows a 6-digit code on the host screen; SendOptInCode(code) grants consent;
CancelOptIn ends it. Method returns: 0 success, 1 internal error, 2 invalid state, 3 blocked,
2066 wrong code (our reading of MeshCentral's handling; the SDK table was not available).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation

import re

OPT_IN_SELECTORS = {
    'CreationClassName': 'IPS_OptInService', 'Name': 'Intel(r) AMT OptIn Service',
    'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT',
}
POLICIES = {'none': 0, 'kvm': 1, 'all': 4294967295}
POLICY_NAMES = dict((v, k) for k, v in POLICIES.items())
STATE_NAMES = {0: 'not_started', 1: 'requested', 2: 'displayed', 3: 'received', 4: 'in_session'}
RETURN_MEANINGS = {0: 'success', 1: 'internal error', 2: 'invalid state (no consent request is pending, or one '
                   'is already running)', 3: 'blocked (too many wrong codes; start a new request)',
                   2066: 'wrong consent code'}
STATES = ('present', 'requested', 'granted', 'cancelled', 'status')
MAX_DISPLAY_TIMEOUT = 999


class ConsentError(AmtError):
    pass


def _int(value, default=0):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def read_consent(client):
    svc = client.get('IPS_OptInService')
    required = _int(svc.get('OptInRequired'))
    state = _int(svc.get('OptInState'))
    can_modify = str(svc.get('CanModifyOptInPolicy', '1')).strip().lower() in ('1', 'true')
    return {'policy': POLICY_NAMES.get(required, str(required)), 'policy_value': required,
            'state': STATE_NAMES.get(state, str(state)), 'state_value': state,
            'can_modify_policy': can_modify, 'display_timeout': _int(svc.get('OptInDisplayTimeout'), 300),
            'code_timeout': _int(svc.get('OptInCodeTimeout'), 120), '_raw': svc}


def _public(info):
    return dict((k, v) for k, v in info.items() if not k.startswith('_'))


OPTIONS = dict(
    state=dict(type='str', default='present', choices=list(STATES)),
    policy=dict(type='str', choices=list(POLICIES)),
    display_timeout=dict(type='int'),
    code=dict(type='str', no_log=True),
)


def validate(params):
    state = params.get('state') or 'present'
    if state == 'granted' and not params.get('code'):
        raise ConsentError('state=granted needs code: the 6-digit number shown on the host screen (use vars_prompt '
                           'or an AWX survey to ask the person at the machine)')
    code = params.get('code')
    if code is not None and not re.match(r'^\d{6}$', str(code).strip()):
        raise ConsentError('option code must be the 6 digits shown on the host screen')
    timeout = params.get('display_timeout')
    if timeout is not None and not 60 <= timeout <= MAX_DISPLAY_TIMEOUT:
        raise ConsentError('option display_timeout must be between 60 and %d seconds, got %s'
                           % (MAX_DISPLAY_TIMEOUT, timeout))
    if state != 'present' and (params.get('policy') is not None or timeout is not None):
        raise ConsentError('options policy and display_timeout belong to state=present')
    return params


def _call(client, method, params=None):
    out = client.invoke('IPS_OptInService', method, params or [], selectors=OPT_IN_SELECTORS, check_return=False)
    rv = out['ReturnValue']
    if rv != 0:
        raise ConsentError('%s was refused: ReturnValue %d (%s)' % (method, rv, RETURN_MEANINGS.get(rv, 'unknown')),
                           return_value=rv)
    return out


def run_consent(client, params, check_mode=False, diff=False):
    validate(params)
    state = params.get('state') or 'present'
    before = read_consent(client)
    after = _public(before)
    result = {'changed': False}
    if state == 'present':
        changes = {}
        policy = params.get('policy')
        if policy is not None and POLICIES[policy] != before['policy_value']:
            if not before['can_modify_policy']:
                raise ConsentError('the consent policy cannot be changed on this device (CanModifyOptInPolicy is '
                                   'false: Client Control Mode always requires consent for redirection); activate '
                                   'in Admin Control Mode to change it', policy=before['policy'])
            changes['OptInRequired'] = POLICIES[policy]
            after['policy'] = policy
            after['policy_value'] = POLICIES[policy]
        timeout = params.get('display_timeout')
        if timeout is not None and timeout != before['display_timeout']:
            changes['OptInDisplayTimeout'] = timeout
            after['display_timeout'] = timeout
        if changes:
            result['changed'] = True
            if not check_mode:
                props = [(k, changes.get(k, v)) for k, v in sorted(before['_raw'].items())
                         if not k.startswith('_') and k not in ('OptInState', 'CanModifyOptInPolicy')]
                client.put('IPS_OptInService', props, selectors=OPT_IN_SELECTORS)
    elif state == 'requested':
        if before['state_value'] == 0:
            result['changed'] = True
            after['state'], after['state_value'] = 'displayed', 2
            if not check_mode:
                _call(client, 'StartOptIn')
                after = _public(read_consent(client))
    elif state == 'granted':
        if before['state_value'] in (3, 4):
            pass
        elif before['state_value'] in (1, 2):
            result['changed'] = True
            after['state'], after['state_value'] = 'received', 3
            if not check_mode:
                try:
                    _call(client, 'SendOptInCode', [('OptInCode', int(str(params['code']).strip()))])
                except ConsentError as err:
                    if err.details.get('return_value') == 2066:
                        raise ConsentError('the device rejected the consent code (wrong code; after 3 wrong codes '
                                           'the request is cancelled and must be started again)', return_value=2066)
                    raise
                after = _public(read_consent(client))
        else:
            raise ConsentError('no consent request is pending (state %s); run state=requested first so the code is '
                               'shown on the host screen' % before['state'])
    elif state == 'cancelled':
        if before['state_value'] != 0:
            result['changed'] = True
            after['state'], after['state_value'] = 'not_started', 0
            if not check_mode:
                _call(client, 'CancelOptIn')
                after = _public(read_consent(client))
    result['consent'] = after
    if diff:
        keys = ('policy', 'display_timeout', 'state')
        result['diff'] = {'before': dict((k, before[k]) for k in keys), 'after': dict((k, after[k]) for k in keys)}
    result['exchanges'] = client.exchanges
    return result


__all__ = ['run_consent', 'read_consent', 'ConsentError', 'OPERATION', 'OPTIONS', 'POLICIES']


OPERATION = Operation(OPTIONS, run_consent, name=lambda params: 'user consent %s' % (params.get('state') or 'present'), prepare=validate)

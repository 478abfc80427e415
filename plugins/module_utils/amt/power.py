# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power control: read the state with one Enumerate, change it with one RequestPowerStateChange.

Kept free of AnsibleModule so the same logic can run in a module or in the controller.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.oob.amt.plugins.module_utils.amt.constants import (
    MANAGED_SYSTEM_SELECTORS, OFF_STATES, REQUEST_POWER_STATES, power_state_name, return_value_meaning)
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation, OutcomeLost, write_or_reread
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import EPR
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError

STATES = ('on', 'off', 'graceful_off', 'reset', 'graceful_reset', 'cycle', 'sleep', 'hibernate', 'nmi', 'status')

# Power state each request leads to once it has completed.
RESULTING_STATE = {2: 2, 4: 4, 5: 2, 7: 7, 8: 8, 10: 2, 11: 2, 12: 8, 14: 2}


class PowerError(AmtError):
    """A power request the device refused or that cannot be made."""


def read_power(client):
    """(power_state, available_states) with one Enumerate (optimized: one exchange)."""
    items = client.enumerate('CIM_ServiceAvailableToElement')
    for item in items:
        if item.get('_class') == 'CIM_AssociatedPowerManagementService' or 'PowerState' in item:
            return item.get('PowerState'), list(item.get('AvailableRequestedPowerStates') or [])
    raise PowerError('the device returned no CIM_AssociatedPowerManagementService instance; it may not be an AMT '
                     'device or its firmware is not ready')


def plan(state, current):
    """The PowerState value to request for the desired state, or None when nothing is to be done."""
    is_off = current in OFF_STATES
    if state == 'status':
        return None
    if state == 'on':
        return None if current == 2 else 2
    if state in ('off', 'graceful_off'):
        return None if is_off else REQUEST_POWER_STATES[state]
    if state in ('sleep', 'hibernate'):
        return None if current == REQUEST_POWER_STATES[state] else REQUEST_POWER_STATES[state]
    if state in ('reset', 'graceful_reset', 'cycle'):
        # A host that is off (or asleep) cannot be reset: power it on instead, which is what users mean.
        return 2 if current != 2 else REQUEST_POWER_STATES[state]
    if state == 'nmi':
        if current != 2:
            raise PowerError('a diagnostic interrupt (NMI) needs the host running; it is %s' % power_state_name(current))
        return 11
    raise PowerError('unknown power state %s' % state)


def _describe(value):
    return {'name': power_state_name(value), 'value': value}


# the state choices by the value they send: available_states uses the names users pass to O(state)
REQUEST_STATE_NAMES = dict((v, k) for k, v in REQUEST_POWER_STATES.items())


def _describe_request(value):
    """A state the device accepts, named like the O(state) choice that sends it (cycle, graceful_off ...)."""
    return {'name': REQUEST_STATE_NAMES.get(value, power_state_name(value)), 'value': value}


def _refusal_causes(value, current):
    causes = []
    if value in (5, 8):
        causes.append('a redirection session (SOL, IDE-R/USB-R or KVM) is open; close it first')
    if value in (4, 7, 12, 14):
        causes.append('graceful, sleep and hibernate requests need the OS running with the Intel LMS agent')
    if current in (4, 7):
        causes.append('the host is asleep; power it on first')
    causes.append('a previous power request may still be completing (wait about 10 s between requests)')
    return causes


def request_power(client, value, current):
    params = [('PowerState', value), ('ManagedElement', EPR('CIM_ComputerSystem', MANAGED_SYSTEM_SELECTORS))]
    out = client.invoke('CIM_PowerManagementService', 'RequestPowerStateChange', params, check_return=False)
    rv = out['ReturnValue']
    if rv != 0:
        meaning = return_value_meaning('CIM_PowerManagementService', 'RequestPowerStateChange', rv)
        raise PowerError('the device refused power state %s (%d): ReturnValue %d (%s). Likely causes: %s'
                         % (power_state_name(value), value, rv, meaning.split(' (')[0],
                            '; '.join(_refusal_causes(value, current))), return_value=rv, return_meaning=meaning)


def _reached(target, current):
    return current == target or (target in OFF_STATES and current in OFF_STATES)


def change_power(client, value, current, settle=None):
    """RequestPowerStateChange, with the re-read when its answer is lost (write_or_reread): returns None, or the
    warning when the answer was lost and the device now shows the resulting state. A request whose resulting
    state is the state before (reset, cycle of a running host) cannot be confirmed by a read: outcome unknown.
    settle: seconds to wait for the resulting state on the re-read (the task's wait_timeout when wait is set)."""
    target = RESULTING_STATE.get(value, current)

    def reread():
        if settle:
            try:
                return wait_for(client, target, settle)
            except PowerError:
                pass
        return read_power(client)

    out = write_or_reread(client, 'the power state %s request (%d)' % (power_state_name(value), value),
                          lambda: request_power(client, value, current), reread,
                          lambda found: target != current and _reached(target, found[0]),
                          describe=lambda found: 'power state %s' % power_state_name(found[0]))
    return out.warning if isinstance(out, OutcomeLost) else None


def wait_for(client, target, timeout, interval=2.0):
    deadline = time.monotonic() + timeout
    while True:
        current, available = read_power(client)
        if current == target or (target in OFF_STATES and current in OFF_STATES):
            return current, available
        if time.monotonic() >= deadline:
            raise PowerError('the device did not reach power state %s within %ss (it is %s)'
                             % (power_state_name(target), timeout, power_state_name(current)))
        time.sleep(min(interval, max(0.1, deadline - time.monotonic())))


OPTIONS = dict(
    state=dict(type='str', required=True, choices=list(STATES)),
    wait=dict(type='bool', default=False),
    wait_timeout=dict(type='int', default=120),
)


def prepare(params):
    if params.get('wait_timeout') is not None and params['wait_timeout'] <= 0:
        raise PowerError('option wait_timeout must be a positive number of seconds')
    return params


def run_power(client, params, check_mode=False, diff=False):
    state = params['state']
    current, available = read_power(client)
    value = plan(state, current)
    result = {'changed': False, 'power_state': {'before': _describe(current), 'after': _describe(current)},
              'available_states': [_describe_request(v) for v in available], 'requested': None}
    if value is not None:
        if value not in available:
            raise PowerError('the device does not offer power state %s (%d) now; it offers: %s'
                             % (power_state_name(value), value,
                                ', '.join('%s (%d)' % (power_state_name(v), v) for v in available) or 'nothing'),
                             available_states=available)
        result['requested'] = _describe(value)
        result['changed'] = True
        expected = RESULTING_STATE.get(value, current)
        result['power_state']['after'] = _describe(expected)
        if not check_mode:
            warning = change_power(client, value, current, settle=params.get('wait') and (params.get('wait_timeout') or 120))
            if warning:
                result['warnings'] = [warning]
            if params.get('wait'):
                reached, available = wait_for(client, expected, params.get('wait_timeout') or 120)
                result['power_state']['after'] = _describe(reached)
        if state in ('reset', 'graceful_reset', 'cycle') and value == 2:
            result['msg'] = 'the host was %s, so it was powered on instead of %s' % (power_state_name(current), state)
    if diff:
        result['diff'] = {'before': {'power_state': power_state_name(current)},
                          'after': {'power_state': result['power_state']['after']['name']}}
    result['exchanges'] = client.exchanges
    return result


OPERATION = Operation(OPTIONS, run_power, name=lambda params: 'power %s' % params['state'], prepare=prepare,
                      fleet=True)

__all__ = ['OPERATION', 'run_power', 'read_power', 'change_power', 'plan', 'PowerError', 'STATES', 'WsmanError']

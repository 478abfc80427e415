# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every AMT operation shares: its error class and the description the runner needs.

The runner (module_utils/device.py, run_device_module) takes an Operation and does the rest the same
way for every device module, in a module process or in the controller-side action plugin
(plugin_utils/amt_action.py). Kept free of Ansible imports: options are plain argument-spec dicts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.constants import return_value_meaning
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError, WsmanOutcomeUnknownError

# Every WsmanReturnValueError names its meaning again: wsman/ knows no AMT tables, so the AMT layer hands its lookup
# to every client (contracts.md section 1, WsmanClient.default_return_value_meaning). Every AMT operation imports
# this file, so any client a module makes (device.py, provision.py, amt/users.py, amt/tls.py ...) has it.
WsmanClient.default_return_value_meaning = staticmethod(return_value_meaning)


class AmtError(Exception):
    """An AMT operation refused or failed in a way the user can act on.

    msg says what and why (the runner adds the device and the operation); details are structured
    extras for the result (return_value, preflight, exception, ...). operation, when given, names the
    step that failed instead of the module's operation (for example reading the local system account).
    """

    def __init__(self, msg, operation=None, **details):
        super(AmtError, self).__init__(msg)
        self.msg = msg
        self.operation = operation
        self.details = details


class OutcomeLost(object):
    """What write_or_reread returns when a write's answer was lost and a re-read shows it took effect."""

    def __init__(self, found, warning):
        self.found = found
        self.warning = warning


def write_or_reread(client, what, write, reread, done, describe=repr):
    """Send one write; if its outcome is unknown (sent, no answer: WsmanOutcomeUnknownError, never re-sent by the
    client), re-read the state and report what it shows instead of guessing.

    write()        sends the write and returns its output
    reread()       reads the state again (a fresh exchange)
    done(found)    whether the state read shows the write took effect (True), or cannot tell / did not (False)
    Returns the write's output, or an OutcomeLost (found, warning) when the answer was lost but the device is in
    the asked state. Raises AmtError naming `what` when the re-read fails or does not show the asked state: the
    outcome is unknown, and the message says what the device showed.
    """
    try:
        return write()
    except WsmanOutcomeUnknownError as err:
        how = 'the deadline passed' if err.details.get('timed_out') else 'the connection closed'
        lost = '%s was sent but its answer was lost (%s: %s)' % (what, how, err.reason)
        try:
            found = reread()
        except WsmanError as again:
            raise AmtError('%s; re-reading the state failed too (%s), so the outcome is unknown: read the state (amt_info '
                           'or the task in check mode) before repeating it' % (lost, again.reason),
                           outcome='unknown')
        if done(found):
            return OutcomeLost(found, '%s; the device now shows %s, so it is reported as done' % (lost, describe(found)))
        raise AmtError('%s; the device now shows %s, which does not tell whether it acted, so the outcome is unknown: '
                       'read the state (amt_info or the task in check mode) before repeating it'
                       % (lost, describe(found)), outcome='unknown', found=describe(found))


def _always(params):
    return True


class Operation(object):
    """One device module's logic, for the runner.

    options      the module's own argument spec entries (the connection options are added by the runner)
    run          run(client, params, check_mode, diff) -> result dict; client is None when the operation
                 needs no device (needs_device) or opens its own clients (own_clients)
    name         name(params) -> the operation as error messages name it ('power on')
    prepare      prepare(params) -> params for run; checks input before any contact (raise AmtError or
                 ValueError: the message is reported as is)
    needs_device needs_device(params) -> whether the runner opens a client (default: always)
    own_clients  the operation opens its clients itself (provisioning: host-local and admin clients)
    target       target(params) -> the device named in errors when the runner opened no client
    on_failure   on_failure(params, check_mode) -> (extra result keys, warnings), after an AMT or WS-Man error
    controller_side  controller_side(params) -> whether the controller-side action plugin may run it in
                 its own process on a local connection (default: always)
    constraints  AnsibleModule keywords: mutually_exclusive, required_if, required_together, required_one_of
    needs_cryptography  fail with the standard missing-library message when cryptography is missing
    fleet        the module also takes the fleet options (devices, targets, fleet_workers, max_fail_percentage:
                 module_utils/fleet.py) and then runs on every listed device from one task
    """

    def __init__(self, options, run, name, prepare=None, needs_device=None, own_clients=False, target=None,
                 on_failure=None, controller_side=None, constraints=None, needs_cryptography=False, fleet=False):
        self.options = options
        self.run = run
        self.name = name
        self.prepare = prepare or (lambda params: params)
        self.needs_device = needs_device or _always
        self.own_clients = own_clients
        self.target = target or (lambda params: params.get('host'))
        self.on_failure = on_failure
        self.controller_side = controller_side or _always
        self.constraints = dict(constraints or {})
        self.needs_cryptography = needs_cryptography
        self.fleet = fleet


__all__ = ['AmtError', 'Operation', 'OutcomeLost', 'write_or_reread']

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


__all__ = ['AmtError', 'Operation']

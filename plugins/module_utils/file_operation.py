# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner of the modules that work on files of the host that runs them (amt_mgmtcert, amt_usb_setupbin,
amt_usb_setupbin_info, amt_reconcile): one FileOperation (argument spec, constraints, run), run the same way in a
module process (run_file_module, their main()) and in the controller's worker process (the action plugin,
plugin_utils/amt_action.py FileActionBase, through run_file_operation).

These modules almost always run on the controller (localhost, connection local), where a module process costs
an AnsiballZ payload and an interpreter start per task for a few file reads and writes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.formats.certs import CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY
from ansible_collections.oob.amt.plugins.module_utils.results import failed, finish_module


class FileOperation(object):
    """One file module's logic.

    options      the module's argument spec
    run          run(params, check_mode, diff) -> (result dict, warnings); a failure is a result with
                 failed=True and msg (plus any extra keys), or an AmtError (msg and details)
    constraints  AnsibleModule keywords: mutually_exclusive, required_if, required_together, required_one_of
    needs_cryptography  fail with the standard missing-library message when cryptography is missing
    """

    def __init__(self, options, run, constraints=None, needs_cryptography=False):
        self.options = options
        self.run = run
        self.constraints = dict(constraints or {})
        self.needs_cryptography = needs_cryptography


def run_file_operation(operation, params, check_mode=False, diff=False):
    """(result, warnings) of one run, in a module or in the controller's worker process."""
    if operation.needs_cryptography and not HAS_CRYPTOGRAPHY:
        return failed(missing_required_lib('cryptography'), exception=CRYPTOGRAPHY_IMPORT_ERROR), []
    try:
        return operation.run(params, check_mode=check_mode, diff=diff)
    except AmtError as err:
        return failed(err.msg, **err.details), []


def run_file_module(operation):
    """main() of a file module: its argument spec and constraints, one run, warn, exit or fail."""
    module = AnsibleModule(argument_spec=operation.options, supports_check_mode=True, **operation.constraints)
    finish_module(module, *run_file_operation(operation, module.params, check_mode=module.check_mode, diff=module._diff))


__all__ = ['FileOperation', 'failed', 'run_file_operation', 'run_file_module']

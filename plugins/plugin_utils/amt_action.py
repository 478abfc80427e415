# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an oob.amt device module's logic inside the controller's worker process.

Out-of-band work talks to the AMT device from the controller anyway (ansible_connection: local), so
shipping and starting a module process per device only costs time: the benchmark showed it is most
of the per-device cost. When the task's connection is local, the task does not become another user,
and the operation allows it for these parameters (Operation.controller_side), the action plugin
validates the arguments with the module's own argument spec and runs the same operation through
the same runner (module_utils/device.py, execute). Otherwise it executes the module as usual.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.oob.amt.plugins.module_utils.device import argument_spec, execute


class AmtActionBase(ActionBase):
    """Subclasses set OPERATION, the module's Operation (module_utils/amt/*.py)."""

    TRANSFERS_FILES = False
    _requires_connection = False
    OPERATION = None

    def _local_connection(self, task_vars):
        if os.environ.get('OOB_AMT_RUN_AS_MODULE'):      # benchmarks compare both ways
            return False
        if self._play_context.become:                    # the module runs as the become user; we cannot
            return False
        connection = self._play_context.connection or (task_vars or {}).get('ansible_connection')
        return connection in ('local', 'ansible.builtin.local')

    def _as_module(self, task_vars):
        self._requires_connection = True
        return self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                    module_args=self._task.args, task_vars=task_vars)

    def _validate(self):
        """(params, error message) the way AnsibleModule validates, with the same first message."""
        operation = type(self).OPERATION
        validator = ArgumentSpecValidator(argument_spec(operation), **operation.constraints)
        validated = validator.validate(self._task.args)
        if not validated.error_messages:
            return validated.validated_parameters, None
        msg = validated.errors.msg
        if isinstance(validated.errors[0], UnsupportedError):
            msg = 'Unsupported parameters for (%s) module: %s' % (self._task.resolved_action or self._task.action, msg)
        return None, msg

    def run(self, tmp=None, task_vars=None):
        if not self._local_connection(task_vars):
            return self._as_module(task_vars)
        result = super(AmtActionBase, self).run(tmp, task_vars)
        params, error = self._validate()
        if error:
            result.update(failed=True, msg=error)
            return result
        operation = type(self).OPERATION
        if not operation.controller_side(params):
            return self._as_module(task_vars)
        outcome, warnings = execute(operation, params, check_mode=self._task.check_mode, diff=self._task.diff)
        result.update(outcome)
        if warnings:
            result.setdefault('warnings', []).extend(warnings)
        return result

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an oob.amt module's logic inside the controller's worker process.

Out-of-band work talks to the AMT device from the controller anyway (ansible_connection: local), so
shipping and starting a module process per device only costs time: the benchmark showed it is most
of the per-device cost. When the task's connection is local, the action plugin validates the
arguments with the module's own argument spec and calls the same module_utils function; otherwise
(the module should run on a remote host) it executes the module as usual.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.oob.amt.plugins.module_utils.device import (
    check_connection_params, client_from_params, error_result)
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError
from ansible_collections.oob.amt.plugins.module_utils.wsman.soap import HAS_LXML


class AmtActionBase(ActionBase):
    """Subclasses set ARGUMENT_SPEC (callable), RUN (callable(client, params, check_mode, diff)), OPERATION."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC = None
    RUN = None
    DOMAIN_ERRORS = ()

    def _runs_locally(self, task_vars):
        if os.environ.get('OOB_AMT_RUN_AS_MODULE'):      # benchmarks compare both ways
            return False
        connection = self._play_context.connection or (task_vars or {}).get('ansible_connection')
        return connection in ('local', 'ansible.builtin.local') and HAS_LXML

    def run(self, tmp=None, task_vars=None):
        if not self._runs_locally(task_vars):
            self._requires_connection = True
            return self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                        module_args=self._task.args, task_vars=task_vars)
        result = super(AmtActionBase, self).run(tmp, task_vars)
        validator = ArgumentSpecValidator(type(self).ARGUMENT_SPEC())
        validated = validator.validate(self._task.args)
        if validated.error_messages:
            result.update(failed=True, msg='; '.join(validated.error_messages))
            return result
        params = validated.validated_parameters
        operation = type(self).OPERATION(params)
        try:
            check_connection_params(params)
            client = client_from_params(params)
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if params.get('use_tls') is False:
            result.setdefault('warnings', []).append(
                'use_tls is false: the AMT session travels in plain text on port %s' % (params.get('port') or 16992))
        try:
            result.update(type(self).RUN(client, params, check_mode=self._task.check_mode, diff=self._task.diff))
        except WsmanError as err:
            result.update(error_result(err, operation))
        except self.DOMAIN_ERRORS as err:
            result.update(failed=True, msg='AMT device %s: %s: %s' % (client.host, operation, err.msg),
                          exchanges=client.exchanges, **getattr(err, 'details', {}))
        finally:
            client.close()
        return result

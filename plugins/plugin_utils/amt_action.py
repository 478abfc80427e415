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

Fleet path (module_utils/fleet.py): a module whose Operation has fleet=True also takes `devices` (a list)
or `targets` (an inventory host pattern). The action plugin resolves `targets` against the play's inventory
within --limit (the serial batch and failed-host restrictions of the running play do not apply: the
pattern names the devices, not the host the task runs for) into `devices`, each with the connection
variables the collection's playbooks pass (amt_host or ansible_host, amt_password, amt_username,
amt_ca_path, amt_cert_fingerprint, amt_validate_certs; amt_is_controller marks the device to run last),
then runs the whole fleet in this process (or, off the local path, hands the list to the module).

File modules (module_utils/file_operation.py: amt_mgmtcert, amt_usb_setupbin, amt_usb_setupbin_info,
amt_reconcile) take the same path through FileActionBase: on a local connection without become the worker
process runs their FileOperation and returns what AnsibleModule would have returned (the stats of a returned
path or dest, invocation, no_log values masked, the alias warnings); otherwise the module runs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import grp
import os
import pwd
import stat

from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.oob.amt.plugins.module_utils.device import argument_spec, execute
from ansible_collections.oob.amt.plugins.module_utils.file_operation import run_file_operation

try:
    from ansible.module_utils.compat import selinux
    HAVE_SELINUX = True
except ImportError:  # pragma: no cover
    HAVE_SELINUX = False


# host variable -> module option, as the collection's playbooks pass them (module_defaults)
TARGET_VARS = (('amt_password', 'password'), ('amt_username', 'username'), ('amt_ca_path', 'ca_path'),
               ('amt_cert_fingerprint', 'cert_fingerprint'), ('amt_validate_certs', 'validate_certs'))


def resolve_targets(pattern, task_vars):
    """[device dict] for the inventory hosts `pattern` matches within --limit, in inventory order."""
    hostvars = (task_vars or {}).get('hostvars')
    inventory = getattr(hostvars, '_inventory', None)
    if inventory is None:
        raise AnsibleError('option targets: the inventory is not available to this task; list the devices in '
                           'option devices instead')
    return [device_from_hostvars(host.name, hostvars[host.name])
            for host in inventory.get_hosts(pattern, ignore_restrictions=True)]


def device_from_hostvars(name, hv):
    """One fleet device (name, host and the connection options) from an inventory host's variables."""
    device = {'name': name}
    for var in ('amt_host', 'ansible_host'):
        if var in hv and hv[var]:
            device['host'] = hv[var]
            break
    else:
        device['host'] = name
    for var, option in TARGET_VARS:
        if var in hv and hv[var] is not None:
            device[option] = hv[var]
    if 'amt_is_controller' in hv and boolean(hv['amt_is_controller'], strict=False):
        device['last'] = True
    return device


def plain(value):
    """Task arguments as a module process receives them (through JSON): builtin dict, list, str, int, float, bool
    and None, without the controller's subclasses (ansible-core 2.19 tags every templated value; a file module's
    messages name types and yaml.safe_dump refuses the subclasses)."""
    if isinstance(value, Mapping):
        return dict((plain(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    return value


def path_info(result):
    """Add the stats of the returned path (or dest) as AnsibleModule.exit_json and fail_json do (add_path_info):
    uid, gid, owner, group, mode, state, size (and secontext with SELinux)."""
    path = result.get('path', result.get('dest', None))
    if path is None:
        return result
    b_path = to_bytes(path, errors='surrogate_or_strict')
    if not os.path.exists(b_path):
        return result
    st = os.lstat(os.path.expanduser(os.path.expandvars(b_path)))
    result['uid'], result['gid'] = st.st_uid, st.st_gid
    try:
        result['owner'] = pwd.getpwuid(st.st_uid)[0]
    except KeyError:
        result['owner'] = str(st.st_uid)
    try:
        result['group'] = grp.getgrgid(st.st_gid)[0]
    except KeyError:
        result['group'] = str(st.st_gid)
    st = os.lstat(b_path)
    result['mode'] = '0%03o' % stat.S_IMODE(st[stat.ST_MODE])
    if os.path.islink(b_path):
        result['state'] = 'link'
    elif os.path.isdir(b_path):
        result['state'] = 'directory'
    elif os.stat(b_path).st_nlink > 1:
        result['state'] = 'hard'
    else:
        result['state'] = 'file'
    if HAVE_SELINUX and selinux.is_selinux_enabled() == 1:
        ret = selinux.lgetfilecon_raw(to_native(path, errors='surrogate_or_strict'))
        if ret[0] != -1:
            result['secontext'] = ':'.join(ret[1].split(':', 3))
    result['size'] = st[stat.ST_SIZE]
    return result


def as_module_returns(result, module_args, no_log_values):
    """A result the way AnsibleModule returns it: path stats, invocation (the module's arguments), and every value
    of a no_log option masked wherever it appears (booleans and None kept, as AnsibleModule keeps them)."""
    path_info(result)
    result.setdefault('invocation', {'module_args': module_args})
    preserved = dict((k, v) for k, v in result.items() if v is None or isinstance(v, bool))
    result = remove_values(result, no_log_values)
    result.update(preserved)
    return result


class ControllerSideAction(ActionBase):
    """What both controller-side bases share: when the worker may run the task itself, executing the module
    otherwise (async in Ansible's wrapper), and validating the arguments the way AnsibleModule does."""

    TRANSFERS_FILES = False
    _supports_async = True
    _requires_connection = False

    def _local_connection(self, task_vars):
        if os.environ.get('OOB_AMT_RUN_AS_MODULE'):      # benchmarks compare both ways
            return False
        if self._play_context.become:                    # the module runs as the become user; we cannot
            return False
        connection = self._play_context.connection or (task_vars or {}).get('ansible_connection')
        return connection in ('local', 'ansible.builtin.local')

    def _as_module(self, task_vars):
        self._requires_connection = True
        # async (a SOL capture beside a media boot, a power change with a long wait) runs the module in
        # Ansible's async wrapper, as the normal action does: the worker process cannot outlive the task
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result = self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                      module_args=self._task.args, task_vars=task_vars, wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _validate_args(self, spec, constraints, args=None):
        """(validation result, first error message or None), the message worded as AnsibleModule words it."""
        validated = ArgumentSpecValidator(spec, **constraints).validate(self._task.args if args is None else args)
        if not validated.error_messages:
            return validated, None
        msg = validated.errors.msg
        if isinstance(validated.errors[0], UnsupportedError):
            msg = 'Unsupported parameters for (%s) module: %s' % (self._task.resolved_action or self._task.action, msg)
        return validated, msg


class AmtActionBase(ControllerSideAction):
    """Subclasses set OPERATION, the module's Operation (module_utils/amt/*.py)."""

    OPERATION = None

    def _validate(self):
        """(params, error message) the way AnsibleModule validates, with the same first message."""
        operation = type(self).OPERATION
        validated, msg = self._validate_args(argument_spec(operation), operation.constraints)
        return (None, msg) if msg else (validated.validated_parameters, None)

    def _fleet_targets(self, task_vars):
        """Replace option targets by the devices it names (None), or the error message."""
        if not getattr(type(self).OPERATION, 'fleet', False) or not self._task.args.get('targets'):
            return None
        try:
            devices = resolve_targets(self._task.args['targets'], task_vars)
        except AnsibleError as err:
            return str(err)
        args = dict(self._task.args)
        del args['targets']
        args['devices'] = devices
        self._task.args = args
        return None

    def run(self, tmp=None, task_vars=None):
        error = self._fleet_targets(task_vars)
        if error:
            return dict(failed=True, msg=error)
        if self._task.async_val or not self._local_connection(task_vars):
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


class FileActionBase(ControllerSideAction):
    """Subclasses set OPERATION, the module's FileOperation (module_utils/file_operation.py)."""

    OPERATION = None

    def run(self, tmp=None, task_vars=None):
        if self._task.async_val or not self._local_connection(task_vars):
            return self._as_module(task_vars)
        result = super(FileActionBase, self).run(tmp, task_vars)
        operation = type(self).OPERATION
        args = plain(self._task.args)
        validated, error = self._validate_args(operation.options, operation.constraints, args)
        module_args = dict(args)
        module_args.update(validated.validated_parameters)
        # AnsibleModule warns about an option given under two names while validating, before any outcome
        warnings = ['Both option {option} and its alias {alias} are set.'.format(**w) for w in validated._warnings]
        if error:
            outcome = {'failed': True, 'msg': error}
        else:
            outcome, more = run_file_operation(operation, validated.validated_parameters,
                                               check_mode=self._task.check_mode, diff=self._task.diff)
            warnings += more
        if warnings:
            outcome['warnings'] = warnings
        result.update(as_module_returns(outcome, module_args, validated._no_log_values))
        return result

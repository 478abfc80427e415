"""The file modules' runner (module_utils/file_operation.py) and their controller-side path (plugin_utils/amt_action.py,
FileActionBase): the worker returns what the module process returns for the same FileOperation and arguments, and
hands the task to the module when it must (become, another connection, async, OOB_AMT_RUN_AS_MODULE)."""
import json
import os
import subprocess
import sys
from unittest import mock

import pytest

from ansible_collections.oob.amt.plugins.module_utils import file_operation
from ansible_collections.oob.amt.plugins.module_utils.file_operation import FileOperation, run_file_operation
from ansible_collections.oob.amt.plugins.plugin_utils.amt_action import FileActionBase, plain

from tests.unit.plugins.file_operation_sample import OP, SPEC, _run

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'file_operation_sample.py')
COLLECTIONS = os.path.join(os.path.dirname(SAMPLE), '..', '..', '..', '.collections')
MODULE = """
import json, sys, importlib.util
sys.path[:0] = [sys.argv[1]]
spec = importlib.util.spec_from_file_location('sample', sys.argv[2])
sample = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sample)
from ansible.module_utils.testing import patch_module_args
from ansible_collections.oob.amt.plugins.module_utils.file_operation import run_file_module
with patch_module_args(json.loads(sys.argv[3])):
    run_file_module(sample.OP)
"""


def _as_module(args, check_mode=False, diff=False):
    """What the module process prints for the operation (run_file_module), as the controller reads it. A process of
    its own: in this one ansible's controller code is loaded, and AnsibleModule then sends warnings to the display."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_module_name='oob.amt.amt_test')
    proc = subprocess.run([sys.executable, '-c', MODULE, COLLECTIONS, SAMPLE, json.dumps(args)], capture_output=True,
                          text=True, check=False, timeout=120)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # 2.19 encodes each warning as a WarningSummary; the controller shows its message
    out['warnings'] = [w['event']['msg'] if isinstance(w, dict) else w for w in out.get('warnings', [])]
    if not out['warnings']:
        del out['warnings']
    out.pop('exception', None)          # the traceback of a failed module: the executor adds one to every failure
    return out


class Action(FileActionBase):
    OPERATION = OP


def _action(args, check_mode=False, diff=False, become=False, connection='local', async_val=0):
    task = mock.MagicMock()
    task.args = args
    task.check_mode, task.diff, task.async_val = check_mode, diff, async_val
    task.resolved_action = task.action = 'oob.amt.amt_test'
    conn = mock.MagicMock()
    conn.has_native_async = False
    conn._shell.tmpdir = None
    play_context = mock.MagicMock()
    play_context.become, play_context.connection = become, connection
    action = Action(task, conn, play_context, loader=None, templar=None, shared_loader_obj=None)
    action._execute_module = mock.MagicMock(return_value={'from': 'module'})
    action._remove_tmp_path = mock.MagicMock()
    return action


def _in_worker(args, **kwargs):
    action = _action(args, **kwargs)
    result = action.run(task_vars={})
    assert not action._execute_module.called
    return result


@pytest.fixture
def target(tmp_path):
    path = tmp_path / 'out.bin'
    path.write_bytes(b'12345')
    os.chmod(str(path), 0o640)
    return str(path)


@pytest.mark.parametrize('args,check_mode,diff', [
    ({'secret': 's3cr3t-value', 'count': 2}, False, True),                 # success, diff, masking, path stats
    ({'secret': 's3cr3t-value', 'name': 'n', 'label': 'n'}, True, False),  # check mode, the alias warning
    ({'secret': 's3cr3t-value', 'count': 0}, False, False),                # AmtError: msg and details (a path)
    ({'secret': 's3cr3t-value', 'count': -1}, False, False),               # a failed result with a warning
    ({'count': 'many'}, False, False),                                     # type error
    ({'bogus': 1}, False, False),                                          # unsupported parameter
    ({'mode': 'b'}, False, False),                                         # required_if
    ({'secret': 'x', 'other': 'y'}, False, False),                         # mutually_exclusive
    ({'mode': 'c'}, False, False),                                         # choices
])
def test_worker_returns_what_the_module_returns(target, args, check_mode, diff):
    args = dict(args, path=target)
    module = _as_module(args, check_mode, diff)
    worker = _in_worker(args, check_mode=check_mode, diff=diff)
    worker.pop('exception', None)
    assert worker == module
    assert 's3cr3t-value' not in json.dumps(worker)


def test_the_comparison_sees_what_the_module_adds(target):
    """Guard for the test above: the module's result carries the path stats, invocation and masking it compares."""
    module = _as_module({'path': target, 'secret': 's3cr3t-value'})
    assert module['mode'] == '0640' and module['size'] == 5 and module['state'] == 'file'
    assert module['note'] == 'made with ********' and module['kept'] is None and module['flag'] is False
    assert module['invocation']['module_args']['secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert module['warnings'] == ['look at %s' % target]
    unsupported = _in_worker({'path': target, 'bogus': 1})
    assert unsupported['failed'] and unsupported['msg'].startswith('Unsupported parameters for (oob.amt.amt_test) module: bogus')


def test_path_options_are_expanded_as_the_module_expands_them(monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv('OOB_AMT_TEST_DIR', 'sub')
    args = {'path': '~/$OOB_AMT_TEST_DIR/f'}
    module = _as_module(args)
    worker = _in_worker(args)
    assert worker['path'] == module['path'] == str(tmp_path / 'sub' / 'f')
    assert worker == module


@pytest.mark.parametrize('kwargs,env', [
    ({'become': True}, None),
    ({'connection': 'ssh'}, None),
    ({'async_val': 30}, None),
    ({}, '1'),
])
def test_the_module_runs_off_the_local_path(monkeypatch, kwargs, env):
    if env:
        monkeypatch.setenv('OOB_AMT_RUN_AS_MODULE', env)
    else:
        monkeypatch.delenv('OOB_AMT_RUN_AS_MODULE', raising=False)
    action = _action({'path': '/tmp/x'}, **kwargs)
    assert action.run(task_vars={}) == {'from': 'module'}
    call = action._execute_module.call_args[1]
    assert call['module_name'] == 'oob.amt.amt_test' and call['module_args'] == {'path': '/tmp/x'}
    assert call['wrap_async'] is bool(kwargs.get('async_val'))


def test_runner_reports_a_missing_cryptography(monkeypatch):
    monkeypatch.setattr(file_operation, 'HAS_CRYPTOGRAPHY', False)
    op = FileOperation(SPEC, _run, needs_cryptography=True)
    result, warnings = run_file_operation(op, {'path': '/x', 'count': 1, 'secret': None})
    assert result['failed'] and 'cryptography' in result['msg'] and 'exception' in result and warnings == []
    assert run_file_operation(OP, {'path': '/x', 'count': 1, 'secret': None})[0]['changed'] is True


def test_runner_turns_an_amt_error_into_a_failed_result_with_its_details():
    result, warnings = run_file_operation(OP, {'path': '/x', 'count': 0, 'secret': None})
    assert result == {'failed': True, 'msg': 'option count: nothing to do in /x', 'path': '/x', 'partial': True}
    assert warnings == []


def test_plain_drops_the_controllers_subclasses():
    class Tagged(str):
        pass

    class TaggedInt(int):
        pass
    value = plain({Tagged('k'): [Tagged('v'), TaggedInt(3), (1.5, None, True)], 'd': {'x': TaggedInt(1)}})
    assert value == {'k': ['v', 3, [1.5, None, True]], 'd': {'x': 1}}
    assert [type(v) for v in (list(value)[0], value['k'][0], value['k'][1], value['d']['x'])] == [str, str, int, int]
    try:
        from ansible._internal._datatag._tags import Origin
    except ImportError:
        return
    tagged = Origin(path='/playbook.yml').tag({'uuid': 7, 'name': 'dev0'})
    assert [type(v) for v in plain(tagged).values()] == [int, str]


def test_file_modules_have_their_action_plugins():
    from ansible_collections.oob.amt.plugins.action import amt_mgmtcert, amt_reconcile, amt_usb_setupbin, amt_usb_setupbin_info
    from ansible_collections.oob.amt.plugins.module_utils import reconcile, usb_setup, zone_ca
    assert amt_mgmtcert.ActionModule.OPERATION is zone_ca.OPERATION
    assert amt_usb_setupbin.ActionModule.OPERATION is usb_setup.OPERATION
    assert amt_usb_setupbin_info.ActionModule.OPERATION is usb_setup.INFO_OPERATION
    assert amt_reconcile.ActionModule.OPERATION is reconcile.OPERATION
    for action in (amt_mgmtcert, amt_reconcile, amt_usb_setupbin, amt_usb_setupbin_info):
        assert issubclass(action.ActionModule, FileActionBase)

"""The test suite's fork server (playbook_server.py) stands in for the console scripts: same output and exit code
as a plain subprocess, and a server that dies fails only the run it was serving."""
import json
import os
import subprocess

import pytest

from tests.integration import runner

pytestmark = pytest.mark.skipif(os.environ.get('OOB_AMT_TEST_FORKSERVER', '1') == '0',
                                reason='OOB_AMT_TEST_FORKSERVER=0: every command runs as a subprocess')


def _env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(runner.REPO, '.collections'),
                ANSIBLE_NOCOLOR='1', OOB_AMT_TEST_FORKSERVER='1')


def _inventory(*args):
    return [os.path.join(runner.REPO, '.venv', 'bin', 'ansible-inventory'), '-i', 'pc1,pc2,'] + list(args)


def test_same_output_and_exit_code_as_the_console_script():
    plain = subprocess.run(_inventory('--list'), capture_output=True, text=True, env=_env(), cwd=runner.REPO,
                           check=False)
    served = runner.run_cli(_inventory('--list'), _env())
    assert served.returncode == plain.returncode == 0
    assert json.loads(served.stdout) == json.loads(plain.stdout)
    assert sorted(json.loads(served.stdout)['ungrouped']['hosts']) == ['pc1', 'pc2']
    bad = runner.run_cli(_inventory('--no-such-option'), _env())
    assert bad.returncode == subprocess.run(_inventory('--no-such-option'), capture_output=True, env=_env(),
                                            cwd=runner.REPO, check=False).returncode != 0
    assert 'no-such-option' in bad.stderr


def test_a_server_that_dies_fails_one_run_and_is_replaced():
    env = _env()
    assert runner.run_cli(_inventory('--list'), env).returncode == 0
    key = runner._config_key(env)
    server = runner._SERVERS[key]
    server.proc.kill()
    server.proc.wait()
    with pytest.raises(RuntimeError, match='fork server'):
        runner.run_cli(_inventory('--list'), env)
    assert key not in runner._SERVERS
    assert runner.run_cli(_inventory('--list'), env).returncode == 0
    assert runner._SERVERS[key] is not server

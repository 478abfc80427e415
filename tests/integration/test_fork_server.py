"""The test suite's fork server (playbook_server.py) stands in for the console scripts: same output and exit code
as a plain subprocess, and a server that dies fails only the run it was serving."""
import json
import os
import subprocess

import pytest

from tests.integration import runner

pytestmark = pytest.mark.skipif(os.environ.get('OOB_AMT_TEST_FORKSERVER', '1') == '0',
                                reason='OOB_AMT_TEST_FORKSERVER=0: every command runs as a subprocess')


@pytest.fixture(autouse=True)
def own_servers(monkeypatch):
    """A server pool of this test's own: other tests of this worker may hold every slot (MAX_SERVERS)."""
    servers = {}
    monkeypatch.setattr(runner, '_SERVERS', servers)
    yield servers
    for server in servers.values():
        server.close()


def _env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(runner.REPO, '.collections'),
                ANSIBLE_NOCOLOR='1', OOB_AMT_TEST_FORKSERVER='1')


def _inventory(*args):
    return [os.path.join(runner.REPO, '.venv', 'bin', 'ansible-inventory'), '-i', 'pc1,pc2,'] + list(args)


def test_same_output_and_exit_code_as_the_console_script(own_servers):
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
    assert list(own_servers) == [runner._config_key(_env())]        # both runs went through the server


def test_a_server_that_dies_fails_one_run_and_is_replaced(own_servers):
    env = _env()
    assert runner.run_cli(_inventory('--list'), env).returncode == 0
    key = runner._config_key(env)
    server = own_servers[key]
    server.proc.kill()
    server.proc.wait()
    with pytest.raises(RuntimeError, match='fork server'):
        runner.run_cli(_inventory('--list'), env)
    assert key not in own_servers
    assert runner.run_cli(_inventory('--list'), env).returncode == 0
    assert own_servers[key] is not server

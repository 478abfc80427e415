"""Run ansible-playbook against the simulator and collect per-task results as JSON."""
import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(REPO, 'tests', 'integration', 'playbooks')


class PlaybookResult:
    def __init__(self, proc, results):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.results = results

    def task(self, name, host=None):
        out = [r for r in self.results if r['task'] == name and (host is None or r['host'] == host)]
        if not out:
            raise AssertionError('no result for task %r (host %s); rc=%s\n%s\n%s' % (
                name, host, self.rc, self.stdout[-3000:], self.stderr[-2000:]))
        return out if host is None else out[0]

    @property
    def failed_hosts(self):
        return sorted({r['host'] for r in self.results if r['status'] == 'failed' and not r['result'].get('_ansible_ignore_errors')})


def inventory_for(sim, addresses=None, **extra_vars):
    lines = ['all:', '  vars:', '    ansible_connection: local',
             '    ansible_python_interpreter: "{{ ansible_playbook_python }}"',
             '    amt_ca_path: %s' % sim.ca_path, '    amt_password: %s' % json.dumps(sim.admin_password)]
    for k, v in extra_vars.items():
        lines.append('    %s: %s' % (k, json.dumps(v)))
    lines.append('  hosts:')
    for i, addr in enumerate(addresses or sim.addresses):
        lines += ['    dev%d:' % i, '      amt_host: %s' % addr]
    fd, path = tempfile.mkstemp(suffix='.yml', dir=sim.state_dir)
    with os.fdopen(fd, 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    return path


def run_playbook(playbook, inventory=None, extra_vars=None, check=False, diff=False, limit=None, verbosity=0,
                 env=None, forks=None, collections_path=None):
    if not os.path.isabs(playbook):
        playbook = os.path.join(PLAYBOOKS, playbook)
    fd, results_path = tempfile.mkstemp(suffix='.jsonl')
    os.close(fd)
    cmd = [os.path.join(REPO, '.venv', 'bin', 'ansible-playbook'), playbook]
    if inventory:
        cmd += ['-i', inventory]
    vars_file = None
    if extra_vars:
        # through a file, as users pass secrets (-e @vault.yml): -vvvv echoes command-line JSON verbatim
        fd, vars_file = tempfile.mkstemp(suffix='.json')
        with os.fdopen(fd, 'w') as fh:
            json.dump(extra_vars, fh)
        cmd += ['-e', '@' + vars_file]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if limit:
        cmd += ['--limit', limit]
    if forks:
        cmd += ['--forks', str(forks)]
    if verbosity:
        cmd.append('-' + 'v' * verbosity)
    environment = dict(os.environ)
    environment.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_path or os.path.join(REPO, '.collections'),
        'ANSIBLE_CALLBACK_PLUGINS': os.path.join(REPO, 'tests', 'integration', 'callback_plugins'),
        'ANSIBLE_CALLBACKS_ENABLED': 'result_jsonl',
        'OOB_AMT_RESULTS': results_path,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
        'ANSIBLE_LOCALHOST_WARNING': 'False',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
    })
    environment.update(env or {})
    try:
        proc = _execute(cmd, environment)
    finally:
        if vars_file:
            os.unlink(vars_file)
    results = []
    with open(results_path) as fh:
        for line in fh:
            results.append(json.loads(line))
    os.unlink(results_path)
    return PlaybookResult(proc, results)


TIMEOUT = 900
# One fork server (playbook_server.py) per ansible configuration environment, in this test process; a run that
# finds it busy (another thread) or a fifth environment, or OOB_AMT_TEST_FORKSERVER=0, starts ansible-playbook.
_SERVERS = {}
_SERVER_LOCK = threading.Lock()
MAX_SERVERS = 4


def _config_key(environment):
    return tuple(sorted((k, v) for k, v in environment.items() if k.startswith('ANSIBLE_') or k == 'HOME'))


class _PlaybookServer:
    def __init__(self, environment):
        self.proc = subprocess.Popen([sys.executable, '-m', 'tests.integration.playbook_server'], cwd=REPO,
                                     env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def _answer(self, timeout=None):
        if timeout is not None and not select.select([self.proc.stdout], [], [], timeout)[0]:
            return None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('the playbook fork server exited (rc %s)' % self.proc.poll())
        return json.loads(line)

    def run(self, cmd, environment, timeout):
        out = tempfile.NamedTemporaryFile(prefix='ap-out-', delete=False)
        err = tempfile.NamedTemporaryFile(prefix='ap-err-', delete=False)
        out.close()
        err.close()
        try:
            self.proc.stdin.write(json.dumps({'argv': cmd, 'env': environment, 'cwd': REPO,
                                              'stdout': out.name, 'stderr': err.name}) + '\n')
            self.proc.stdin.flush()
            pid = self._answer()['pid']
            answer = self._answer(timeout)
            if answer is None:
                os.killpg(pid, signal.SIGKILL)
                self._answer()
                raise subprocess.TimeoutExpired(cmd, timeout)
            with open(out.name, errors='replace') as fh_out, open(err.name, errors='replace') as fh_err:
                return subprocess.CompletedProcess(cmd, answer['rc'], fh_out.read(), fh_err.read())
        finally:
            os.unlink(out.name)
            os.unlink(err.name)

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:   # pylint: disable=broad-except
            self.proc.kill()


def _close_servers():
    for server in _SERVERS.values():
        server.close()
    _SERVERS.clear()


atexit.register(_close_servers)


def run_cli(cmd, env, timeout=TIMEOUT):
    """subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout) for ansible-playbook
    and ansible-inventory, through this process's fork server when it can take the run."""
    return _execute(cmd, env, timeout)


def _execute(cmd, environment, timeout=TIMEOUT):
    if os.path.basename(cmd[0]) in ('ansible-playbook', 'ansible-inventory') and \
            os.environ.get('OOB_AMT_TEST_FORKSERVER', '1') != '0' and _SERVER_LOCK.acquire(blocking=False):
        try:
            key = _config_key(environment)
            server = _SERVERS.get(key)
            if server is None and len(_SERVERS) < MAX_SERVERS:
                server = _SERVERS[key] = _PlaybookServer(environment)
            if server is not None:
                try:
                    return server.run(cmd, environment, timeout)
                except (RuntimeError, OSError) as err:      # the server died: the next run starts a new one
                    del _SERVERS[key]
                    server.close()
                    raise RuntimeError('the ansible fork server (tests/integration/playbook_server.py) died during '
                                       'this run (%s); OOB_AMT_TEST_FORKSERVER=0 runs without it' % err) from err
        finally:
            _SERVER_LOCK.release()
    return subprocess.run(cmd, capture_output=True, text=True, env=environment, cwd=REPO, timeout=timeout,
                          check=False)

"""Run ansible-playbook against the simulator and collect per-task results as JSON."""
import json
import os
import subprocess
import tempfile

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
        proc = subprocess.run(cmd, capture_output=True, text=True, env=environment, cwd=REPO, timeout=900, check=False)
    finally:
        if vars_file:
            os.unlink(vars_file)
    results = []
    with open(results_path) as fh:
        for line in fh:
            results.append(json.loads(line))
    os.unlink(results_path)
    return PlaybookResult(proc, results)

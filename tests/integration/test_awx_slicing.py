"""Job slicing as AWX does it, run with ansible-runner (the engine AWX runs jobs with) against the simulator.

AWX imports the inventory plugin's hosts once (an inventory update), then a job template with N slices runs N
jobs, each with the inventory script data of one slice: hosts ordered by name, slice k holds hosts[k-1::N],
groups keep only that slice's hosts, every variable kept (awx/main/models/inventory.py,
Inventory.get_script_data(slice_number, slice_count)). The slices run at the same time and share nothing.
The fleet path (power.yml -e power_fleet=true) resolves its pattern within each slice's inventory, so every
device must be handled exactly once across the slices.
"""
import json
import os
import subprocess
import sys
import threading

import pytest

from tests.integration.runner import REPO

ansible_runner = pytest.importorskip('ansible_runner')

SLICES = 3


def discovered_inventory(sim, tmp_path):
    cfg = tmp_path / 'site.amt.yml'
    cfg.write_text(json.dumps({'plugin': 'oob.amt.amt', 'ranges': ['%s-%s' % (sim.addresses[0], sim.addresses[-1])],
                               'timeout': 5.0, 'concurrency': 16, 'enrich': False, 'ca_path': sim.ca_path}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.collections'),
               ANSIBLE_INVENTORY_ENABLED='oob.amt.amt')
    out = subprocess.run([os.path.join(REPO, '.venv', 'bin', 'ansible-inventory'), '-i', str(cfg), '--list'],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def plain(value):
    """ansible-inventory marks untrusted strings ({'__ansible_unsafe': s}); AWX stores the plain values."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory_script(path, data):
    """An executable inventory script that prints `data` for --list, as AWX hands a job its inventory."""
    path.write_text('#!%s\nimport json, sys\nDATA = json.loads(%r)\n'
                    'print(json.dumps(DATA if "--list" in sys.argv else {}))\n' % (sys.executable, json.dumps(data)))
    path.chmod(0o755)
    return str(path)


def awx_slice(listing, number, count):
    """The inventory script data of slice `number` of `count`, formed the way AWX forms it."""
    hostvars = listing['_meta']['hostvars']
    names = sorted(hostvars)[number - 1::count]
    keep = set(names)
    data = {'_meta': {'hostvars': dict((n, hostvars[n]) for n in names)}, 'all': {'hosts': [], 'children': []}}
    for group, body in listing.items():
        if group in ('_meta', 'all'):
            continue
        hosts = [h for h in body.get('hosts', []) if h in keep]
        data[group] = {'hosts': hosts, 'vars': body.get('vars', {}), 'children': body.get('children', [])}
        data['all']['children'].append(group)
    data['all']['vars'] = listing.get('all', {}).get('vars', {})
    return data, names


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=10) as sim:
        yield sim


def run_sliced_jobs(fleet, tmp_path, prefix, playbook, slices, extravars):
    """Run the slices concurrently through ansible-runner, as AWX runs a sliced job; every slice must succeed."""
    runs = {}

    def job(number):
        private = tmp_path / ('%s%d' % (prefix, number))
        private.mkdir()
        runs[number] = ansible_runner.run(
            private_data_dir=str(private), playbook=playbook,
            inventory=inventory_script(tmp_path / ('%s%d.py' % (prefix, number)), slices[number - 1]),
            extravars=extravars,
            envvars={'ANSIBLE_COLLECTIONS_PATH': os.path.join(REPO, '.collections'),
                     'PATH': os.path.join(REPO, '.venv', 'bin') + os.pathsep + os.environ.get('PATH', ''),
                     'AMT_PASSWORD': fleet.admin_password},      # as an AWX credential injects it
            quiet=True, suppress_env_files=True)
    threads = [threading.Thread(target=job, args=(n,)) for n in range(1, len(slices) + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for number, run in sorted(runs.items()):
        assert run.status == 'successful' and run.rc == 0, (number, run.stdout.read()[-3000:])
    return runs


def test_sliced_fleet_job_handles_every_device_once(fleet, tmp_path, monkeypatch):
    # ansible-runner finds ansible-playbook on PATH, as in an execution environment
    monkeypatch.setenv('PATH', os.path.join(REPO, '.venv', 'bin') + os.pathsep + os.environ.get('PATH', ''))
    listing = plain(discovered_inventory(fleet, tmp_path))
    assert len(listing['_meta']['hostvars']) == 10
    for i, addr in enumerate(fleet.addresses):
        fleet.patch(addr, power_state=8 if i % 2 else 2, redirection_session=False)
    fleet.clear_log()
    slices, seen = [], []
    for number in range(1, SLICES + 1):
        data, names = awx_slice(listing, number, SLICES)
        slices.append(data)
        seen += names
    assert sorted(seen) == sorted(listing['_meta']['hostvars'])        # the slices partition the inventory
    runs = run_sliced_jobs(fleet, tmp_path, 'slice', os.path.join(REPO, 'playbooks', 'power.yml'), slices,
                           {'power_state': 'on', 'power_fleet': True})
    fleet_results = []
    for _number, run in sorted(runs.items()):
        for event in run.events:
            data = event.get('event_data', {})
            if event.get('event') == 'runner_on_ok' and data.get('task') == 'Set the power state of every device':
                fleet_results.append(data['res'])
    assert len(fleet_results) == SLICES                     # one fleet task per slice job
    names = [name for res in fleet_results for name in res['fleet']]
    assert sorted(names) == sorted(listing['_meta']['hostvars'])   # each device in exactly one slice's result
    reads, requests = {}, {}
    for entry in fleet.log_entries():
        action = entry.get('action') or ''
        if entry['status'] == 200 and action.endswith('/Enumerate'):
            reads[entry['device']] = reads.get(entry['device'], 0) + 1
        if entry['status'] == 200 and action.endswith('/RequestPowerStateChange'):
            requests[entry['device']] = requests.get(entry['device'], 0) + 1
    assert reads == dict((a, 1) for a in fleet.addresses)                         # read once, by one slice
    assert requests == dict((a, 1) for i, a in enumerate(fleet.addresses) if i % 2)   # switched once
    assert all(fleet.state(a)['power_state'] == 2 for a in fleet.addresses)
    for res in fleet_results:
        assert fleet.admin_password not in json.dumps(res)


def test_sliced_schedule_job_writes_every_device_once(fleet, tmp_path, monkeypatch):
    """The "AMT scheduled power" template (awx/configure_awx.yml): power_schedule.yml on the fleet path in N slices,
    no controller timers. Each slice's fleet tasks cover exactly its own devices; every device gets its alarm once."""
    monkeypatch.setenv('PATH', os.path.join(REPO, '.venv', 'bin') + os.pathsep + os.environ.get('PATH', ''))
    listing = plain(discovered_inventory(fleet, tmp_path))
    for addr in fleet.addresses:
        fleet.patch(addr, alarms=[])
    fleet.clear_log()
    entries = [{'name': 'morning', 'action': 'on', 'time': '07:00', 'timezone': 'UTC'}]
    slices = [awx_slice(listing, number, SLICES)[0] for number in range(1, SLICES + 1)]
    runs = run_sliced_jobs(fleet, tmp_path, 'sched', os.path.join(REPO, 'playbooks', 'power_schedule.yml'), slices,
                           {'power_targets': 'all', 'power_schedule_entries': entries,
                            'power_schedule_controller_backend': 'none', 'power_schedule_fleet': True,
                            'power_schedule_fleet_workers': 50, 'power_schedule_max_fail_percentage': 0})
    written = []
    for _number, run in sorted(runs.items()):
        for event in run.events:
            data = event.get('event_data', {})
            if event.get('event') == 'runner_on_ok' and (data.get('task') or '').startswith('Write power-on entries'):
                written.append(sorted(name for r in data['res']['results'] for name in r['fleet']))
    assert len(written) == SLICES                                   # one write task per slice job
    assert sorted(n for names in written for n in names) == sorted(listing['_meta']['hostvars'])
    adds = {}
    for entry in fleet.log_entries():
        if entry['status'] == 200 and (entry.get('action') or '').endswith('/AddAlarm'):
            adds[entry['device']] = adds.get(entry['device'], 0) + 1
    assert adds == dict((a, 1) for a in fleet.addresses)
    assert all([x['name'] for x in fleet.state(a)['alarms']] == ['sched-morning-daily'] for a in fleet.addresses)

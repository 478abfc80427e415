"""Controller timers of the power_schedule role carry the whole command: run exactly as written in the unit, with an
empty environment plus what the unit sets, the job powers the devices off. A daily re-apply job keeps device alarms
on local time across daylight-saving changes. A controller without systemd and cron is refused with a clear message."""
import os
import shlex
import stat
import subprocess
import tempfile

import pytest
import yaml

from tests.integration.runner import REPO, run_playbook

PLAYBOOK = os.path.join(REPO, 'playbooks', 'power_schedule.yml')


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2) as sim:
        yield sim


def discovery_inventory(sim, directory):
    path = os.path.join(directory, 'site.amt.yml')
    with open(path, 'w') as fh:
        yaml.safe_dump({'plugin': 'oob.amt.amt', 'ranges': ['%s-%s' % (sim.addresses[0], sim.addresses[-1])],
                        'ca_path': sim.ca_path}, fh)
    return path


def read_unit(path):
    out = {}
    with open(path) as fh:
        for line in fh:
            if '=' in line and not line.startswith('#'):
                key, value = line.rstrip('\n').split('=', 1)
                out.setdefault(key, []).append(value)
    return out


def test_systemd_unit_runs_as_written_with_an_empty_environment(fleet):
    work = tempfile.mkdtemp(dir=fleet.state_dir)
    inv = discovery_inventory(fleet, work)
    units, env_file = os.path.join(work, 'units'), os.path.join(work, 'secret', 'power.env')
    entries = [{'name': 'evening', 'action': 'off', 'days': ['mon'], 'time': '19:30', 'timezone': 'Europe/Berlin'},
               {'name': 'morning', 'action': 'on', 'days': ['tue'], 'time': '07:00', 'timezone': 'Europe/Berlin'}]
    run = run_playbook(PLAYBOOK, inv, {'power_schedule_entries': entries, 'power_schedule_controller_backend': 'systemd',
                                       'power_schedule_manage_service': False, 'power_schedule_unit_dir': units,
                                       'power_schedule_env_file': env_file},
                       env={'AMT_PASSWORD': fleet.admin_password})
    assert run.rc == 0, run.stdout[-3000:]
    names = sorted(os.listdir(units))
    off = [n for n in names if n.startswith('oob-amt-power-evening-off-') and n.endswith('.service')]
    assert len(off) == 1, names
    assert 'oob-amt-power-reapply.timer' in names and 'oob-amt-power-reapply.service' in names
    reapply = read_unit(os.path.join(units, 'oob-amt-power-reapply.timer'))
    assert reapply['OnCalendar'] == ['*-*-* 04:15:00 Europe/Berlin']
    timer = read_unit(os.path.join(units, off[0][:-len('.service')] + '.timer'))
    assert timer['OnCalendar'] == ['Mon *-*-* 19:30:00 Europe/Berlin']

    unit = read_unit(os.path.join(units, off[0]))
    assert unit['EnvironmentFile'] == ['-' + env_file]
    mode = stat.S_IMODE(os.stat(env_file).st_mode)
    assert mode == 0o600 and stat.S_IMODE(os.stat(os.path.dirname(env_file)).st_mode) == 0o700
    with open(env_file) as fh:
        assert "AMT_PASSWORD='%s'" % fleet.admin_password in fh.read()
    argv = shlex.split(unit['ExecStart'][0])
    assert os.path.isabs(argv[0]) and os.access(argv[0], os.X_OK), argv
    assert os.path.isabs(argv[argv.index('-i') + 1]) and os.path.isabs(argv[argv.index('-i') + 2])

    # what systemd would do: an empty environment, Environment= and EnvironmentFile=, any working directory
    env = {'PATH': '/usr/bin:/bin'}
    for item in unit['Environment']:
        key, value = item.split('=', 1)
        env[key] = value
    env['AMT_PASSWORD'] = fleet.admin_password     # from the file, as parsed by systemd (quotes removed)
    for addr in fleet.addresses:
        fleet.patch(addr, power_state=2)
    proc = subprocess.run(argv, env=env, cwd='/', capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert [fleet.state(a)['power_state'] for a in fleet.addresses] == [8, 8]


@pytest.mark.skipif(os.path.isdir('/run/systemd/system') or bool(shutil_which := __import__('shutil').which('crontab')),
                    reason='this controller has systemd or cron')
def test_no_systemd_and_no_cron_is_refused(fleet):
    work = tempfile.mkdtemp(dir=fleet.state_dir)
    inv = discovery_inventory(fleet, work)
    entries = [{'name': 'evening', 'action': 'off', 'time': '19:30'}]
    run = run_playbook(PLAYBOOK, inv, {'power_schedule_entries': entries,
                                       'power_schedule_env_file': os.path.join(work, 'power.env')},
                       env={'AMT_PASSWORD': fleet.admin_password})
    assert run.rc != 0
    assert 'neither systemd' in run.stdout and 'power_schedule_controller_backend: none' in run.stdout

"""playbooks/power.yml and the power_schedule role against the simulator."""
import os
import tempfile

import pytest
import yaml

from tests.integration.runner import REPO, run_playbook


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=4) as sim:
        yield sim


def write_inventory(sim, hosts_vars, group_vars=None, all_vars=None):
    inv = {'all': {'vars': dict({'ansible_connection': 'local',
                                 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                                 'amt_ca_path': sim.ca_path, 'amt_password': sim.admin_password}, **(all_vars or {})),
                   'children': {'amt': {'children': {'lab': {'hosts': {}, 'vars': group_vars or {}},
                                                     'office': {'hosts': {}}}}}}}
    for i, addr in enumerate(sim.addresses):
        group = 'lab' if i < 2 else 'office'
        host = {'amt_host': addr}
        host.update(hosts_vars.get(i, {}))
        inv['all']['children']['amt']['children'][group]['hosts']['pc%d' % i] = host
    fd, path = tempfile.mkstemp(suffix='.yml', dir=sim.state_dir)
    with os.fdopen(fd, 'w') as fh:
        yaml.safe_dump(inv, fh)
    return path


def test_power_playbook_controller_last(fleet):
    for addr in fleet.addresses:
        fleet.patch(addr, power_state=2, redirection_session=False)
    inv = write_inventory(fleet, {0: {'amt_is_controller': True}})
    fleet.clear_log()
    run = run_playbook(os.path.join(REPO, 'playbooks', 'power.yml'), inv, {'power_state': 'off'})
    assert run.rc == 0, run.stdout[-3000:]
    requests = [e['device'] for e in fleet.log_entries() if (e['action'] or '').endswith('RequestPowerStateChange')]
    assert sorted(requests) == sorted(fleet.addresses)
    assert requests[-1] == fleet.addresses[0]
    assert all(fleet.state(a)['power_state'] == 8 for a in fleet.addresses)
    # 4 devices, fewer than power_fleet_min_hosts (20): the per-host form, a result per host
    assert sorted(r['host'] for r in run.results if r['task'] == 'Set the power state') == ['pc0', 'pc1', 'pc2', 'pc3']


def test_power_playbook_auto_takes_the_fleet_path_for_large_runs(fleet):
    """power_fleet=auto (the default): at power_fleet_min_hosts devices within --limit, one task for all of them
    (the controller's own device still last, a device that fails named and the play failed, the others switched);
    below it, or with power_batch, the per-host form."""
    for addr in fleet.addresses:
        fleet.patch(addr, power_state=2, redirection_session=False)
        fleet.faults(addr)
    inv = write_inventory(fleet, {0: {'amt_is_controller': True}})
    playbook = os.path.join(REPO, 'playbooks', 'power.yml')
    fleet.clear_log()
    run = run_playbook(playbook, inv, {'power_state': 'off', 'power_fleet_min_hosts': 3}, check=True)   # the plan only
    assert run.rc == 0, run.stdout[-3000:]
    plan = run.task('Set the power state of every device')[0]['result']
    assert sorted(plan['changed_devices']) == ['pc0', 'pc1', 'pc2', 'pc3'] and '(check mode)' in plan['msg']
    assert not [e for e in fleet.log_entries() if (e['action'] or '').endswith('RequestPowerStateChange')]
    assert [fleet.state(a)['power_state'] for a in fleet.addresses] == [2, 2, 2, 2]
    fleet.clear_log()
    run = run_playbook(playbook, inv, {'power_state': 'off', 'power_fleet_min_hosts': 3}, limit='pc0,pc1,pc3')
    assert run.rc == 0, run.stdout[-3000:]
    assert [r['host'] for r in run.results if r['task'] == 'Set the power state'] == []          # no per-host task
    res = run.task('Set the power state of every device')
    assert len(res) == 1 and sorted(res[0]['result']['fleet']) == ['pc0', 'pc1', 'pc3']
    sent = [e['device'] for e in fleet.log_entries() if (e['action'] or '').endswith('RequestPowerStateChange')]
    assert sorted(sent) == sorted(fleet.addresses[i] for i in (0, 1, 3)) and sent[-1] == fleet.addresses[0]
    assert [fleet.state(a)['power_state'] for a in fleet.addresses] == [8, 8, 2, 8]

    fleet.faults(fleet.addresses[2], lockout=True)
    try:
        run = run_playbook(playbook, inv, {'power_state': 'on', 'power_fleet_min_hosts': 3})
    finally:
        fleet.faults(fleet.addresses[2])
    assert run.rc != 0 and '1 of 4 devices failed' in run.stdout and 'pc2' in run.stdout, run.stdout[-3000:]
    assert [fleet.state(a)['power_state'] for a in fleet.addresses] == [2, 2, 2, 2]

    run = run_playbook(playbook, inv, {'power_state': 'status', 'power_fleet_min_hosts': 3, 'power_batch': 2})
    assert run.rc == 0, run.stdout[-3000:]
    assert sorted(r['host'] for r in run.results if r['task'] == 'Set the power state') == ['pc0', 'pc1', 'pc2', 'pc3']


def test_power_playbook_refuses_unknown_state(fleet):
    inv = write_inventory(fleet, {})
    fleet.clear_log()
    run = run_playbook(os.path.join(REPO, 'playbooks', 'power.yml'), inv, {'power_state': 'explode'})
    assert run.rc != 0 and 'power_state must be one of' in run.stdout
    assert fleet.log_entries() == []


ZONE = [{'name': 'morning', 'action': 'on', 'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'time': '07:00',
         'timezone': 'Europe/Berlin'},
        {'name': 'evening', 'action': 'off', 'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'time': '19:30',
         'timezone': 'Europe/Berlin'}]
LAB = [{'name': 'labon', 'action': 'on', 'time': '06:00'},
       {'name': 'labcycle', 'action': 'cycle', 'days': ['sun'], 'time': '03:00'}]


@pytest.mark.parametrize('fleet_path', [True, False], ids=['fleet-path', 'per-host'])
def test_schedule_zone_group_host_override_idempotent_and_removal(fleet, fleet_path):
    for addr in fleet.addresses:
        fleet.patch(addr, alarms=[])
    units = tempfile.mkdtemp(dir=fleet.state_dir)
    common = {'power_schedule_unit_dir': units, 'power_schedule_manage_service': False, 'power_schedule_fleet': fleet_path,
              'power_schedule_controller_backend': 'systemd', 'power_schedule_inventory': '/etc/amt/hosts.yml',
              'power_schedule_env_file': os.path.join(units + '-secret', 'power.env')}
    host3 = [{'name': 'late', 'action': 'on', 'days': ['sat'], 'time': '10:00'}]
    inv = write_inventory(fleet, {3: {'power_schedule_entries': host3}}, group_vars={'power_schedule_entries': LAB},
                          all_vars=dict(common, power_schedule_entries=ZONE))
    playbook = os.path.join(REPO, 'playbooks', 'power_schedule.yml')
    run = run_playbook(playbook, inv)
    assert run.rc == 0, run.stdout[-4000:]

    def names(addr):
        return sorted(x['name'] for x in fleet.state(addr)['alarms'])
    assert names(fleet.addresses[0]) == ['sched-labon-daily']                     # folder override
    assert names(fleet.addresses[2]) == ['sched-morning-%s' % d for d in ('fri', 'mon', 'thu', 'tue', 'wed')]  # zone
    assert names(fleet.addresses[3]) == ['sched-late-sat']                        # device override
    timers = sorted(f for f in os.listdir(units) if f.endswith('.timer'))
    assert len(timers) == 3 and 'oob-amt-power-reapply.timer' in timers   # + the daily re-apply (Berlin power-on)
    evening = [f for f in timers if 'evening-off' in f][0]
    service = open(os.path.join(units, evening.replace('.timer', '.service'))).read()
    assert '--limit pc2' in service and 'power_state=off' in service and '/etc/amt/hosts.yml' in service
    assert 'OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 19:30:00 Europe/Berlin' in open(os.path.join(units, evening)).read()
    cycle = [f for f in timers if 'labcycle-cycle' in f][0]
    assert '--limit pc0,pc1' in open(os.path.join(units, cycle.replace('.timer', '.service'))).read()

    again = run_playbook(playbook, inv)
    assert again.rc == 0
    changed = [r for r in again.results if r['result'].get('changed')]
    assert changed == [], [(r['host'], r['task']) for r in changed]

    inv = write_inventory(fleet, {}, group_vars={'power_schedule_entries': []}, all_vars=dict(common, power_schedule_entries=[]))
    run = run_playbook(playbook, inv)
    assert run.rc == 0, run.stdout[-3000:]
    assert all(fleet.state(a)['alarms'] == [] for a in fleet.addresses)
    assert [f for f in os.listdir(units) if f.startswith('oob-amt-power-')] == []


def test_schedule_bad_entry_refused(fleet):
    inv = write_inventory(fleet, {}, all_vars={'power_schedule_entries': [{'name': 'x', 'action': 'explode', 'time': '07:00'}],
                                               'power_schedule_controller_backend': 'none'})
    fleet.clear_log()
    run = run_playbook(os.path.join(REPO, 'playbooks', 'power_schedule.yml'), inv)
    assert run.rc != 0 and 'action must be one of' in run.stdout
    assert fleet.log_entries() == []


def role_task(run, name):
    out = [r for r in run.results if r['task'].split(' : ')[-1] == name]
    assert out, (name, run.stdout[-3000:])
    return out


def test_schedule_fleet_path_check_mode_limit_and_partial_failure(fleet):
    """The default (fleet) path: --limit and check mode hold, one device down never stops the others, the failed
    device is named with the reason, and the play fails past power_schedule_max_fail_percentage."""
    for addr in fleet.addresses:
        fleet.patch(addr, alarms=[])
        fleet.faults(addr)
    inv = write_inventory(fleet, {}, all_vars={'power_schedule_entries': LAB[:1], 'power_schedule_controller_backend': 'none'})
    playbook = os.path.join(REPO, 'playbooks', 'power_schedule.yml')

    fleet.clear_log()
    run = run_playbook(playbook, inv, check=True, limit='pc0,pc2')
    assert run.rc == 0, run.stdout[-3000:]
    assert sorted({e['device'] for e in fleet.log_entries()}) == sorted([fleet.addresses[0], fleet.addresses[2]])
    assert all(fleet.state(a)['alarms'] == [] for a in fleet.addresses)            # nothing written in check mode
    write = role_task(run, 'Write power-on entries to the device alarm clocks (oob.amt.amt_alarm, fleet path, one task per alarm)')
    assert len(write) == 1, write                                                     # one task for all devices
    planned = write[0]['result']['results'][0]
    assert sorted(planned['changed_devices']) == ['pc0', 'pc2'] and planned['fleet']['pc0']['alarm']['name'] == 'sched-labon-daily'
    assert 'no device was changed' in run.stdout

    bad = fleet.addresses[1]
    fleet.faults(bad, lockout=True)
    try:
        run = run_playbook(playbook, inv)
        assert run.rc != 0
        assert '1 of 4 devices failed' in run.stdout and 'pc1' in run.stdout, run.stdout[-3000:]
        failed = role_task(run, 'Devices that failed, with the reason')[0]['result']['results']
        assert [r['item']['key'] for r in failed] == ['pc1'] and 'clock: ' in failed[0]['msg'] and bad in failed[0]['msg']
        assert fleet.state(bad)['alarms'] == []
        for addr in fleet.addresses:
            if addr != bad:
                assert [a['name'] for a in fleet.state(addr)['alarms']] == ['sched-labon-daily']
        run = run_playbook(playbook, inv, {'power_schedule_max_fail_percentage': 30})
        assert run.rc == 0, run.stdout[-3000:]
        assert '1 failed (25.0%, max_fail_percentage 30)' in run.stdout and 'pc1: clock: ' in run.stdout
    finally:
        fleet.faults(bad)


def test_schedule_fleet_path_reads_each_devices_own_fact(fleet, tmp_path):
    """The demo's form: a per-device schedule computed in the play (set_fact) is each device's own on the fleet path,
    which includes the role once and reads every device's value from hostvars."""
    for addr in fleet.addresses:
        fleet.patch(addr, alarms=[])
    playbook = tmp_path / 'schedule.yml'
    playbook.write_text(
        '- hosts: amt\n  gather_facts: false\n  vars:\n    power_schedule_controller_backend: none\n'
        '  pre_tasks:\n    - name: Per-device schedule\n      ansible.builtin.set_fact:\n'
        '        power_schedule_entries: "{{ [{\'name\': \'lab\', \'action\': \'on\', \'time\': \'06:00\'}]'
        ' if inventory_hostname == \'pc0\' else [{\'name\': \'office\', \'action\': \'on\', \'time\': \'07:00\'}] }}"\n'
        '  roles:\n    - role: oob.amt.power_schedule\n')
    run = run_playbook(str(playbook), write_inventory(fleet, {}))
    assert run.rc == 0, run.stdout[-3000:]
    names = [sorted(x['name'] for x in fleet.state(addr)['alarms']) for addr in fleet.addresses]
    assert names == [['sched-lab-daily']] + [['sched-office-daily']] * (len(fleet.addresses) - 1), names

"""The fleet path (module_utils/fleet.py, plugin_utils/amt_action.py): one run_once task powers many devices.

Partial failure, the max_fail_percentage threshold, check mode, --limit, per-device results, the
device-list form, and no secret in any result or -vvvv output.
"""
import json

import pytest

from tests.integration.runner import inventory_for, run_playbook


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=6) as sim:
        sim.inventory = inventory_for(sim)
        yield sim


def reset(sim, value=8):
    for addr in sim.addresses:
        sim.patch(addr, power_state=value, redirection_session=False)
        sim.faults(addr)
    sim.clear_log()


def fleet_result(run, task='Fleet power'):
    entries = run.task(task)
    assert len(entries) == 1, entries        # run_once: one result for the whole fleet
    return dict(entries[0]['result'], failed=entries[0]['status'] == 'failed')


def requests_by_device(sim):
    out = {}
    for entry in sim.log_entries():
        if (entry.get('action') or '').endswith('/RequestPowerStateChange') and entry['status'] == 200:
            out[entry['device']] = out.get(entry['device'], 0) + 1
    return out


def test_partial_failure_others_run(fleet):
    reset(fleet)
    bad = fleet.addresses[2]
    fleet.faults(bad, lockout=True)
    run = run_playbook('fleet_power.yml', fleet.inventory, {'power_state': 'on', 'tolerate_failure': True})
    res = fleet_result(run)
    assert res['failed'] is True
    assert res['failed_devices'] == ['dev2']
    assert 'dev2' in res['msg'] and '1 of 6 devices failed' in res['msg'] and bad in res['msg']
    assert res['fleet']['dev2']['failed'] is True and res['fleet']['dev2']['error'] == 'WsmanAuthError'
    for i, addr in enumerate(fleet.addresses):
        if addr == bad:
            assert fleet.state(addr)['power_state'] == 8
            continue
        entry = res['fleet']['dev%d' % i]
        assert entry['changed'] is True and entry['failed'] is False
        assert entry['before'] == {'power_state': 'off'} and entry['after'] == {'power_state': 'on'}
        assert entry['host'] == addr
        assert fleet.state(addr)['power_state'] == 2
    assert requests_by_device(fleet) == dict((a, 1) for a in fleet.addresses if a != bad)
    assert res['fleet_summary'] == dict(total=6, ok=5, failed=1, changed=5, failed_percentage=16.67,
                                        max_fail_percentage=0.0, workers=6)


def test_threshold(fleet):
    reset(fleet)
    fleet.faults(fleet.addresses[0], lockout=True)
    # 1 of 6 failed = 16.7 %: within 20 %, the task is ok and warns with the failed device
    run = run_playbook('fleet_power.yml', fleet.inventory, {'power_state': 'on', 'fleet_max_fail': 20})
    res = fleet_result(run)
    assert run.rc == 0, run.stdout[-2000:]
    assert not res['failed'] and res['changed'] is True
    assert res['failed_devices'] == ['dev0']
    assert any('dev0' in w for w in res.get('warnings', [])), res
    # two failed of 6 = 33 %: above 20 %, the task fails, every other device still ran
    reset(fleet)
    fleet.faults(fleet.addresses[0], lockout=True)
    fleet.faults(fleet.addresses[1], lockout=True)
    run = run_playbook('fleet_power.yml', fleet.inventory, {'power_state': 'on', 'fleet_max_fail': 20,
                                                            'tolerate_failure': True})
    res = fleet_result(run)
    assert res['failed'] is True and '33.3% > max_fail_percentage 20' in res['msg']
    assert sorted(res['failed_devices']) == ['dev0', 'dev1']
    assert [fleet.state(a)['power_state'] for a in fleet.addresses] == [8, 8, 2, 2, 2, 2]


def test_check_mode_and_diff(fleet):
    reset(fleet)
    run = run_playbook('fleet_power.yml', fleet.inventory, {'power_state': 'on'}, check=True, diff=True)
    res = fleet_result(run)
    assert run.rc == 0
    assert res['changed'] is True and res['fleet_summary']['changed'] == 6
    assert all(e['changed'] and e['after'] == {'power_state': 'on'} for e in res['fleet'].values())
    assert [fleet.state(a)['power_state'] for a in fleet.addresses] == [8] * 6
    assert requests_by_device(fleet) == {}
    assert sorted(d['before_header'] for d in res['diff']) == ['dev%d' % i for i in range(6)]
    assert '(check mode)' in res['msg']


def test_limit_respected(fleet):
    reset(fleet)
    run = run_playbook('fleet_power.yml', fleet.inventory, {'power_state': 'on'}, limit='dev1,dev4')
    res = fleet_result(run)
    assert run.rc == 0
    assert sorted(res['fleet']) == ['dev1', 'dev4']
    touched = sorted({e['device'] for e in fleet.log_entries()})
    assert touched == sorted([fleet.addresses[1], fleet.addresses[4]])
    # a pattern narrower than the limit: the intersection
    reset(fleet)
    run = run_playbook('fleet_power.yml', fleet.inventory, {'power_state': 'on', 'fleet_targets': '~dev[0-2]$'},
                       limit='dev1,dev2,dev3')
    assert sorted(fleet_result(run)['fleet']) == ['dev1', 'dev2']


def test_device_list_and_no_secrets(fleet):
    reset(fleet)
    devices = [{'name': 'first', 'host': fleet.addresses[0]}, {'host': fleet.addresses[1]}]
    run = run_playbook('fleet_power.yml', fleet.inventory, {'power_state': 'on', 'fleet_devices': devices},
                       limit='dev5', verbosity=4)
    assert run.rc == 0, run.stdout[-3000:]
    res = fleet_result(run, 'Fleet power from a device list')
    assert sorted(res['fleet']) == sorted(['first', fleet.addresses[1]])
    assert all(e['changed'] for e in res['fleet'].values())
    for text in (run.stdout, run.stderr, json.dumps(run.results)):
        assert fleet.admin_password not in text


def test_power_playbook_fleet_mode_controller_last_and_limit(fleet):
    import os
    from tests.integration.runner import REPO
    reset(fleet, 2)
    inv = inventory_for(fleet)
    with open(inv, 'a') as fh:
        fh.write('    dev9:\n      amt_host: %s\n      amt_is_controller: true\n' % fleet.addresses[5])
    run = run_playbook(os.path.join(REPO, 'playbooks', 'power.yml'), inv,
                       {'power_state': 'off', 'power_fleet': True, 'power_targets': 'all'}, limit='dev0,dev1,dev9')
    assert run.rc == 0, run.stdout[-3000:]
    sent = [e['device'] for e in fleet.log_entries() if (e['action'] or '').endswith('RequestPowerStateChange')]
    assert sorted(sent) == sorted(fleet.addresses[i] for i in (0, 1, 5))
    assert sent[-1] == fleet.addresses[5]            # the controller's own device last
    assert 'TASK [Group hosts by role in the run]' not in run.stdout     # no task per host on the fleet path
    assert [fleet.state(a)['power_state'] for a in fleet.addresses] == [8, 8, 2, 2, 2, 8]

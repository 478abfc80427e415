"""amt_power against the simulator: every transition, idempotency, check mode, refusals, exchange counts."""
import pytest

from tests.integration.runner import inventory_for, run_playbook


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2) as sim:
        # AMT 15: 16.1 and 19 refuse sleep/hibernate themselves (tests/simulator/firmware.py), and every
        # transition is exercised here
        sim.patch(sim.addresses[0], amt_version='15.0.23.1706')
        sim.inventory = inventory_for(sim, sim.addresses[:1])
        yield sim


def power(sim, state, check=False, diff=False, **extra):
    return run_playbook('power.yml', sim.inventory, dict({'power_state': state}, **extra), check=check, diff=diff)


def result(run, host='dev0'):
    entry = run.task('Power', host)
    return dict(entry['result'], _status=entry['status'])


def set_power(sim, addr, value, **extra):
    values = dict(power_state=value, redirection_session=False, os_agent=True)
    values.update(extra)
    sim.patch(addr, **values)


@pytest.mark.parametrize('start,state,sent,end', [
    (2, 'off', 8, 8), (8, 'on', 2, 2), (2, 'graceful_off', 12, 8), (2, 'reset', 10, 2), (2, 'graceful_reset', 14, 2),
    (2, 'cycle', 5, 2), (2, 'sleep', 4, 4), (2, 'hibernate', 7, 7), (2, 'nmi', 11, 2), (4, 'on', 2, 2),
    (8, 'reset', 2, 2), (8, 'cycle', 2, 2),
])
def test_transition(fleet, start, state, sent, end):
    addr = fleet.addresses[0]
    set_power(fleet, addr, start)
    fleet.clear_log()
    run = power(fleet, state)
    res = result(run)
    assert run.rc == 0, run.stdout
    assert res['changed'] is True
    assert res['requested']['value'] == sent
    assert fleet.state(addr)['power_state'] == end
    assert fleet.state(addr)['power_requests'][-1] == sent
    # challenge + one Enumerate + one RequestPowerStateChange
    entries = fleet.log_entries(addr)
    assert len(entries) == 3, entries
    assert entries[-1]['action'].endswith('/RequestPowerStateChange')


@pytest.mark.parametrize('start,state', [(2, 'on'), (8, 'off'), (8, 'graceful_off'), (4, 'sleep'), (7, 'hibernate'),
                                         (2, 'status')])
def test_converged_sends_nothing(fleet, start, state):
    addr = fleet.addresses[0]
    set_power(fleet, addr, start)
    fleet.clear_log()
    res = result(power(fleet, state))
    assert res['changed'] is False
    assert res['requested'] is None
    entries = fleet.log_entries(addr)
    assert [e['status'] for e in entries] == [401, 200]
    assert all(not (e['action'] or '').endswith('RequestPowerStateChange') for e in entries)


def test_second_run_unchanged(fleet):
    addr = fleet.addresses[0]
    set_power(fleet, addr, 8)
    assert result(power(fleet, 'on'))['changed'] is True
    assert result(power(fleet, 'on'))['changed'] is False


def test_check_mode_reports_without_sending(fleet):
    addr = fleet.addresses[0]
    set_power(fleet, addr, 2)
    fleet.clear_log()
    res = result(power(fleet, 'off', check=True, diff=True))
    assert res['changed'] is True
    assert res['diff'] == {'before': {'power_state': 'on'}, 'after': {'power_state': 'off'}}
    assert fleet.state(addr)['power_state'] == 2
    entries = fleet.log_entries(addr)
    assert len(entries) == 2, entries       # challenge + Enumerate (the entries say what a third one was)


def test_redirection_session_refusal(fleet):
    addr = fleet.addresses[0]
    set_power(fleet, addr, 2, redirection_session=True)
    run = power(fleet, 'off', tolerate_failure=True)
    res = result(run)
    assert res['_status'] == 'failed'
    assert 'ReturnValue 2' in res['msg'] and 'redirection session' in res['msg']
    assert addr in res['msg']
    assert fleet.state(addr)['power_state'] == 2
    fleet.patch(addr, redirection_session=False)


def test_not_advertised_is_refused_before_sending(fleet):
    addr = fleet.addresses[0]
    set_power(fleet, addr, 2, os_agent=False)
    fleet.clear_log()
    res = result(power(fleet, 'graceful_off', tolerate_failure=True))
    assert res['_status'] == 'failed'
    assert 'does not offer' in res['msg'] and 'reset (10)' in res['msg']
    assert not any((e['action'] or '').endswith('RequestPowerStateChange') for e in fleet.log_entries(addr))


def test_wait_until_state_reached(fleet):
    addr = fleet.addresses[0]
    set_power(fleet, addr, 8)
    res = result(power(fleet, 'on', power_wait=True))
    assert res['power_state']['after'] == {'name': 'on', 'value': 2}


def test_other_hosts_unaffected_by_one_failure(fleet):
    good, bad = fleet.addresses
    inv = inventory_for(fleet, [good, bad])
    set_power(fleet, good, 8)
    fleet.faults(bad, http_500=True)
    try:
        run = run_playbook('power.yml', inv, {'power_state': 'on'})
    finally:
        fleet.faults(bad)
    assert result(run)['changed'] is True
    failed = result(run, 'dev1')
    assert failed['_status'] == 'failed' and bad in failed['msg'] and 'HTTP 500' in failed['msg']


def test_async_task_runs_the_module_in_the_async_wrapper(fleet, tmp_path):
    """async/poll on a device module (a long wait, a SOL capture beside a media boot): the controller-side path
    cannot outlive its task, so the module runs in Ansible's async wrapper and reports like a normal run."""
    addr = fleet.addresses[0]
    set_power(fleet, addr, 2)
    playbook = tmp_path / 'async.yml'
    playbook.write_text(
        '- hosts: all\n  gather_facts: false\n  tasks:\n'
        '    - name: Power\n      oob.amt.amt_power:\n        host: "{{ amt_host }}"\n'
        '        password: "{{ amt_password }}"\n        ca_path: "{{ amt_ca_path }}"\n        state: "off"\n'
        '      async: 60\n      poll: 1\n')
    run = run_playbook(str(playbook), fleet.inventory)
    assert run.rc == 0, run.stdout[-3000:]
    res = result(run)
    assert res['changed'] is True and res['requested']['value'] == 8, res
    assert res.get('finished') == 1 and res.get('ansible_job_id'), res
    assert fleet.state(addr)['power_state'] == 8

"""amt_boot and amt_alarm against the simulator."""
import datetime

import pytest

from tests.integration.runner import inventory_for, run_playbook


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=1) as sim:
        sim.inventory = inventory_for(sim)
        yield sim


def res(run, task):
    entry = run.task(task, 'dev0')
    return dict(entry['result'], _status=entry['status'])


def future(days=1, hour=6, minute=30):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.replace(hour=hour, minute=minute, second=0, microsecond=0).strftime('%Y-%m-%dT%H:%M:%SZ')


def test_pxe_boot_with_power_on_consumed_by_next_boot(fleet):
    addr = fleet.addresses[0]
    fleet.patch(addr, power_state=8)
    fleet.clear_log()
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, {'boot_device': 'pxe', 'boot_power': True}), 'Boot')
    assert r['changed'] and r['power_action']['name'] == 'on'
    state = fleet.state(addr)
    assert state['power_state'] == 2
    assert state['boot']['last_boot'] == {'source': 'Intel(r) AMT: Force PXE Boot', 'bios_setup': False}
    assert state['boot']['role'] == 32768 and state['boot']['source'] is None   # consumed
    actions = [e['action'].rsplit('/', 1)[-1] for e in fleet.log_entries(addr) if e['status'] == 200]
    # the boot order is cleared first (MeshCommander's sequence), then role, then the forced source
    assert actions == ['Get', 'Get', 'Enumerate', 'ChangeBootOrder', 'SetBootConfigRole', 'ChangeBootOrder',
                       'RequestPowerStateChange']


def test_bios_setup_without_power_waits_for_next_boot(fleet):
    addr = fleet.addresses[0]
    fleet.patch(addr, power_state=2)
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, {'boot_device': 'bios_setup'}), 'Boot')
    assert r['settings_changed'] == ['BIOSSetup']
    state = fleet.state(addr)
    assert state['boot']['role'] == 1 and state['boot']['settings']['BIOSSetup'] is True
    fleet.host_boot(addr)
    state = fleet.state(addr)
    assert state['boot']['last_boot']['bios_setup'] is True and state['boot']['settings']['BIOSSetup'] is False


def test_reset_into_cdrom_when_on(fleet):
    addr = fleet.addresses[0]
    fleet.patch(addr, power_state=2)
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, {'boot_device': 'cdrom', 'boot_power': True}), 'Boot')
    assert r['power_action']['name'] == 'reset'
    assert fleet.state(addr)['boot']['last_boot']['source'] == 'Intel(r) AMT: Force CD/DVD Boot'


def test_boot_check_mode_sends_nothing(fleet):
    addr = fleet.addresses[0]
    fleet.clear_log()
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, {'boot_device': 'pxe', 'boot_power': True}, check=True), 'Boot')
    assert r['changed'] is True
    assert all(e['action'].rsplit('/', 1)[-1] in ('Get', 'Enumerate') for e in fleet.log_entries(addr) if e['action'])


def test_usb_refused_when_not_offered(fleet):
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, {'boot_device': 'usb', 'tolerate_failure': True}), 'Boot')
    assert r['_status'] == 'failed' and 'USB boot source' in r['msg']


def test_alarm_add_unchanged_replace_remove(fleet):
    addr = fleet.addresses[0]
    start = future()
    args = {'alarm_name': 'wake', 'alarm_start': start, 'alarm_interval': 'daily'}
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, args, check=True), 'Alarm')
    assert r['changed'] and fleet.state(addr)['alarms'] == []
    assert res(run_playbook('boot_alarm.yml', fleet.inventory, args), 'Alarm')['changed'] is True
    assert fleet.state(addr)['alarms'][0]['interval'] == 'P1DT0H0M'   # the form Intel's clients send
    assert res(run_playbook('boot_alarm.yml', fleet.inventory, args), 'Alarm')['changed'] is False
    args['alarm_interval'] = 'weekly'
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, args, diff=True), 'Alarm')
    assert r['changed'] and r['replaced'] and fleet.state(addr)['alarms'][0]['interval'] == 'P7DT0H0M'
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, {'alarm_name': 'wake', 'alarm_state': 'absent'}), 'Alarm')
    assert r['changed'] and fleet.state(addr)['alarms'] == []
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, {'alarm_name': 'wake', 'alarm_state': 'absent'}), 'Alarm')
    assert r['changed'] is False


def test_alarm_limit_of_five(fleet):
    addr = fleet.addresses[0]
    fleet.patch(addr, alarms=[{'name': 'a%d' % i, 'element_name': 'a%d' % i, 'start': future(i + 1), 'interval': None,
                               'delete_on_completion': False} for i in range(5)])
    r = res(run_playbook('boot_alarm.yml', fleet.inventory,
                         {'alarm_name': 'sixth', 'alarm_start': future(), 'tolerate_failure': True}), 'Alarm')
    assert r['_status'] == 'failed' and 'maximum' in r['msg'] and 'a4' in r['msg']
    fleet.patch(addr, alarms=[])


@pytest.mark.parametrize('start,interval,fragment', [
    ('2001-01-01T00:00:00Z', None, 'in the future'), ('tomorrow', None, 'UTC time'),
    ('2099-01-01T00:00:30Z', None, 'whole minute'), ('2099-01-01T00:00:00Z', 'fortnightly', 'interval'),
    ('2099-01-01T00:00:00Z', 'PT25H', 'hours must be'),
])
def test_alarm_bad_input_refused_before_contact(fleet, start, interval, fragment):
    fleet.clear_log()
    args = {'alarm_name': 'x', 'alarm_start': start, 'tolerate_failure': True}
    if interval:
        args['alarm_interval'] = interval
    r = res(run_playbook('boot_alarm.yml', fleet.inventory, args), 'Alarm')
    assert r['_status'] == 'failed' and fragment in r['msg']
    assert fleet.log_entries() == []

"""Logic behind the fleet path of the power_schedule and reconcile roles (issue 16): the alarm plan grouped per
distinct alarm, the per-device failures of registered fleet tasks, the devices list from hostvars, and the
out-of-band records from a fleet read."""
import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oob.amt.plugins.filter.fleet_devices import fleet_devices
from ansible_collections.oob.amt.plugins.filter.fleet_failures import fleet_failures
from ansible_collections.oob.amt.plugins.filter.power_fleet_plan import power_fleet_plan
from ansible_collections.oob.amt.plugins.module_utils.power_schedule import alarms_for, fleet_plan
from ansible_collections.oob.amt.plugins.module_utils.reconcile import oob_records

NOW = datetime.datetime(2026, 11, 29, 5, 0, tzinfo=datetime.timezone.utc)
ZONE = [{'name': 'morning', 'action': 'on', 'days': ['mon', 'tue'], 'time': '07:00', 'timezone': 'Europe/Berlin'},
        {'name': 'night', 'action': 'off', 'time': '22:00'}]
LAB = [{'name': 'labon', 'action': 'on', 'time': '06:00'}]


def test_plan_groups_hosts_per_distinct_alarm_and_matches_the_per_host_alarms():
    hosts = {'pc0': LAB, 'pc1': LAB, 'pc2': ZONE, 'pc3': []}
    plan = fleet_plan(hosts, 'sched-', now=NOW)
    by_name = dict((a['name'], a) for a in plan['alarms'])
    assert sorted(by_name) == ['sched-labon-daily', 'sched-morning-mon', 'sched-morning-tue']
    assert by_name['sched-labon-daily']['hosts'] == ['pc0', 'pc1']
    assert by_name['sched-morning-mon']['hosts'] == ['pc2']
    for host, entries in hosts.items():       # exactly what the per-host path writes on each device
        mine = sorted((a['name'], a['start'], a['interval']) for a in plan['alarms'] if host in a['hosts'])
        assert mine == sorted((a['name'], a['start'], a['interval']) for a in alarms_for(entries, 'sched-', NOW))
    assert plan['wanted']['pc3'] == [] and plan['remove'] == []


def test_plan_removes_only_the_prefix_alarms_a_schedule_no_longer_has():
    current = {'pc0': ['sched-labon-daily', 'sched-old-mon', 'patch-night'], 'pc3': ['sched-old-mon'],
               'gone': ['sched-x']}
    plan = fleet_plan({'pc0': LAB, 'pc3': []}, 'sched-', current, now=NOW)
    assert plan['remove'] == [{'name': 'sched-old-mon', 'hosts': ['pc0', 'pc3']}]     # never patch-night, never 'gone'


def test_plan_names_the_host_of_a_bad_entry():
    with pytest.raises(AnsibleFilterError, match='pc7: schedule entry x: action must be one of'):
        power_fleet_plan({'pc1': LAB, 'pc7': [{'name': 'x', 'action': 'explode', 'time': '07:00'}]})


def test_failures_of_a_fleet_task_a_loop_and_a_skip():
    single = {'fleet': {'a': {'failed': False}, 'b': {'failed': True, 'msg': 'AMT device 10.0.0.2: refused'}}}
    assert fleet_failures(single, 'clock: ') == {'b': 'clock: AMT device 10.0.0.2: refused'}
    loop = {'results': [{'fleet': {'b': {'failed': True, 'msg': 'first'}}}, {'skipped': True},
                        {'fleet': {'b': {'failed': True, 'msg': 'second'}, 'c': {'failed': True}}}]}
    assert fleet_failures(loop) == {'b': 'first', 'c': 'failed'}
    assert fleet_failures({'skipped': True}) == {} and fleet_failures(None) == {}


class FakeHostvars(dict):
    """hostvars maps a host name to its variables (HostVarsVars supports `in` and [] the same way)."""


def test_devices_from_hostvars_as_targets_would_resolve_them():
    hv = FakeHostvars(pc0={'amt_host': '10.0.0.1', 'amt_password': 'x', 'amt_is_controller': 'yes',
                           'amt_validate_certs': False},
                      pc1={'ansible_host': '10.0.0.2', 'amt_ca_path': '/ca.pem', 'amt_username': None},
                      pc2={})
    assert fleet_devices(['pc1', 'pc0', 'pc2'], hv) == [
        {'name': 'pc1', 'host': '10.0.0.2', 'ca_path': '/ca.pem'},
        {'name': 'pc0', 'host': '10.0.0.1', 'password': 'x', 'validate_certs': False, 'last': True},
        {'name': 'pc2', 'host': 'pc2'}]


def test_oob_records_from_a_fleet_read():
    fleet = {
        'pc0': {'failed': False, 'host': '10.0.0.1', 'amt_info': {
            'general': {'uuid': 'u0', 'hostname': 'h0', 'amt_version': '16.1.25', 'control_mode': 'ccm'},
            'hardware': {'chassis': {'serial': 'S0'}}, 'network': {'interfaces': [{'mac': 'aa'}, {'mac': None}]},
            'power': {'state': 'on'}}},
        'pc1': {'failed': True, 'host': '10.0.0.2', 'msg': 'AMT device 10.0.0.2: authentication failed'}}
    assert oob_records(fleet) == [
        {'name': 'pc0', 'address': '10.0.0.1', 'uuid': 'u0', 'serial': 'S0', 'hostname': 'h0', 'macs': ['aa'],
         'version': '16.1.25', 'control_mode': 'ccm', 'power_state': 'on'},
        {'name': 'pc1', 'address': '10.0.0.2', 'unreadable': 'AMT device 10.0.0.2: authentication failed'}]

"""Pure logic of power, alarm, boot and schedules (no device)."""
import datetime

import pytest

from ansible_collections.oob.amt.plugins.module_utils import power_schedule
from ansible_collections.oob.amt.plugins.module_utils.amt import alarm as amt_alarm
from ansible_collections.oob.amt.plugins.module_utils.amt import power as amt_power
from ansible_collections.oob.amt.plugins.module_utils.amt.boot import desired_settings
from ansible_collections.oob.amt.plugins.module_utils.amt.constants import power_state_name, return_value_meaning


@pytest.mark.parametrize('state,current,expected', [
    ('on', 2, None), ('on', 8, 2), ('on', 4, 2), ('off', 8, None), ('off', 6, None), ('off', 2, 8),
    ('graceful_off', 2, 12), ('graceful_off', 8, None), ('reset', 2, 10), ('reset', 8, 2), ('graceful_reset', 2, 14),
    ('cycle', 2, 5), ('cycle', 8, 2), ('cycle', 7, 2), ('sleep', 2, 4), ('sleep', 4, None), ('hibernate', 7, None),
    ('nmi', 2, 11), ('status', 2, None)])
def test_plan(state, current, expected):
    assert amt_power.plan(state, current) == expected


def test_nmi_needs_running_host():
    with pytest.raises(amt_power.PowerError, match='needs the host running'):
        amt_power.plan('nmi', 8)


def test_refusal_causes_name_redirection_and_agent():
    assert any('redirection' in c for c in amt_power._refusal_causes(8, 2))
    assert any('LMS' in c for c in amt_power._refusal_causes(12, 2))


def test_power_names_and_return_meanings():
    assert power_state_name(8) == 'off' and power_state_name('2') == 'on' and power_state_name(None) == 'unknown'
    assert 'redirection' in return_value_meaning('CIM_PowerManagementService', 'RequestPowerStateChange', 2)
    assert return_value_meaning('AMT_SetupAndConfigurationService', 'Unprovision', 2076) == 'BLOCKING_COMPONENT'
    assert return_value_meaning('CIM_Foo', 'Bar', 4097) == 'Invalid state transition'


NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize('value,expected', [('2026-11-26T06:30:00Z', '2026-11-26T06:30:00Z'),
                                            ('2026-11-26 06:30', '2026-11-26T06:30:00Z'),
                                            ('2026-11-26T06:30:00+00:00', '2026-11-26T06:30:00Z')])
def test_parse_start(value, expected):
    assert amt_alarm.parse_start(value, now=NOW) == expected


@pytest.mark.parametrize('value,fragment', [('2026-11-24T06:30:00Z', 'future'), ('2026-11-26T06:30:15Z', 'whole minute'),
                                            ('soon', 'UTC time')])
def test_parse_start_errors(value, fragment):
    with pytest.raises(amt_alarm.AlarmError, match=fragment):
        amt_alarm.parse_start(value, now=NOW)


# always the P{d}DT{h}H{m}M form Intel's clients send (go-wsman-messages alarmclock AddAlarm, MeshCommander)
@pytest.mark.parametrize('value,expected', [(None, None), ('daily', 'P1DT0H0M'), ('weekly', 'P7DT0H0M'),
                                            ('hourly', 'P0DT1H0M'), ('P1DT6H30M', 'P1DT6H30M'),
                                            ('pt12h', 'P0DT12H0M'), ('P0DT0H0M', None)])
def test_parse_interval(value, expected):
    assert amt_alarm.parse_interval(value) == expected


@pytest.mark.parametrize('value', ['P', 'PT', 'P1W', 'PT24H', 'PT90M', 'monthly'])
def test_parse_interval_errors(value):
    with pytest.raises(amt_alarm.AlarmError):
        amt_alarm.parse_interval(value)


def test_same_series():
    a = {'start': '2026-11-25T06:30:00Z', 'interval': 'P1D'}
    assert amt_alarm._same_series(a, {'start': '2026-11-27T06:30:00Z', 'interval': 'P1DT0H0M'})
    assert not amt_alarm._same_series(a, {'start': '2026-11-27T06:31:00Z', 'interval': 'P1D'})
    assert not amt_alarm._same_series(a, {'start': '2026-11-27T06:30:00Z', 'interval': 'P7D'})
    one_shot = {'start': '2026-11-25T06:30:00Z', 'interval': None}
    assert not amt_alarm._same_series(one_shot, {'start': '2026-11-26T06:30:00Z', 'interval': None})


def test_boot_desired_settings_clears_flags_and_drops_read_only():
    current = {'_class': 'AMT_BootSettingData', 'BIOSSetup': True, 'UseSOL': True, 'BootMediaIndex': 2,
               'OptionsCleared': True, 'InstanceID': 'x'}
    wanted = desired_settings(current, 'pxe')
    assert wanted == {'BIOSSetup': False, 'UseSOL': False, 'BootMediaIndex': 0, 'InstanceID': 'x'}
    assert desired_settings(current, 'bios_setup')['BIOSSetup'] is True


def test_schedule_alarms_weekly_and_daily():
    entries = [{'name': 'm', 'action': 'on', 'days': ['mon', 'wed'], 'time': '07:00', 'timezone': 'Europe/Berlin'},
               {'name': 'off', 'action': 'off', 'time': '19:00'}]
    alarms = power_schedule.alarms_for(entries, now=NOW)  # NOW is a Wednesday, 13:00 in Berlin
    assert alarms == [{'name': 'sched-m-mon', 'start': '2026-11-30T06:00:00Z', 'interval': 'P7D'},
                      {'name': 'sched-m-wed', 'start': '2026-12-02T06:00:00Z', 'interval': 'P7D'}]
    daily = power_schedule.alarms_for([{'name': 'd', 'action': 'on', 'time': '18:00'}], now=NOW)
    assert daily == [{'name': 'sched-d-daily', 'start': '2026-11-25T18:00:00Z', 'interval': 'P1D'}]


def test_schedule_too_many_alarms():
    entries = [{'name': 'a', 'action': 'on', 'days': ['mon', 'tue', 'wed'], 'time': '07:00'},
               {'name': 'b', 'action': 'on', 'days': ['thu', 'fri', 'sat'], 'time': '07:00'}]
    with pytest.raises(power_schedule.ScheduleError, match='at most 5'):
        power_schedule.alarms_for(entries, now=NOW)


def test_schedule_timers_group_hosts():
    entry = {'name': 'evening', 'action': 'off', 'days': 'mon,fri', 'time': '19:30', 'timezone': 'UTC'}
    timers = power_schedule.timers_for({'b': [entry], 'a': [entry], 'c': [{'name': 'x', 'action': 'on', 'time': '1:00'}]})
    assert len(timers) == 1
    t = timers[0]
    assert t['hosts'] == ['a', 'b'] and t['on_calendar'] == 'Mon,Fri *-*-* 19:30:00 UTC'
    assert t['cron'] == {'minute': '30', 'hour': '19', 'weekday': '1,5'}


@pytest.mark.parametrize('entry,fragment', [
    ({'name': 'x', 'action': 'explode', 'time': '07:00'}, 'action'),
    ({'name': 'x', 'action': 'on', 'time': '25:00'}, 'HH:MM'),
    ({'name': 'x', 'action': 'on', 'time': '07:00', 'days': ['someday']}, 'unknown days'),
    ({'name': 'x', 'action': 'on', 'time': '07:00', 'timezone': 'Mars/Olympus'}, 'time zone'),
    ({'name': 'a name with spaces', 'action': 'on', 'time': '07:00'}, 'name'),
])
def test_schedule_validation(entry, fragment):
    with pytest.raises(power_schedule.ScheduleError, match=fragment):
        power_schedule.normalise(entry)

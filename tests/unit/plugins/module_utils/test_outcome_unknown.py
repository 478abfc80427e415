"""Glue for the new transport (issue 13): a write whose answer is lost is re-read and reported (amt_power, amt_boot,
amt_alarm through one helper, amt/operation.write_or_reread), the connection options allow_legacy_digest and the
validate_certs warning, and ReturnValue errors that carry their AMT meaning."""
import datetime

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt import alarm, boot, power
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.device import (
    PLAINTEXT_WARNING, UNVERIFIED_WARNING, argument_spec, client_from_params, execute, legacy_tls_warnings,
    plaintext_warnings)
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanConnectionError, WsmanOutcomeUnknownError, WsmanOutcomeUnknownTimeout, WsmanReturnValueError)


class Device(object):
    """A client double that keeps power, boot and alarm state like firmware, and loses the answer of the writes
    named in `lose` (the write takes effect when `acts`, or not), counting every write it receives."""

    def __init__(self, power_state=8, lose=(), acts=True, reread_fails=False):
        self.host = '192.0.2.9'
        self.exchanges = 0
        self.power_state = power_state
        self.boot = {'InstanceID': 'Intel(r) AMT:BootSettingData 0', 'BIOSSetup': False, 'BIOSPause': False,
                     'UseSOL': False, 'UseIDER': False, 'BootMediaIndex': 0}
        self.alarms = []
        self.lose, self.acts, self.reread_fails = set(lose), acts, reread_fails
        self.writes = []
        self.lost = False

    def _write(self, name, apply):
        self.exchanges += 1
        self.writes.append(name)
        if name in self.lose:
            self.lose.discard(name)
            if self.acts:
                apply()
            self.lost = True
            raise WsmanOutcomeUnknownTimeout('the deadline passed after the request was sent', host=self.host,
                                             operation=name, sent=True, timed_out=True)
        apply()

    def _read(self):
        self.exchanges += 1
        if self.lost and self.reread_fails:
            raise WsmanConnectionError('connection refused', host=self.host, operation='read')

    def enumerate(self, cls, **_kw):
        self._read()
        if cls == 'CIM_ServiceAvailableToElement':
            return [{'_class': 'CIM_AssociatedPowerManagementService', 'PowerState': self.power_state,
                     'AvailableRequestedPowerStates': [2, 5, 8, 10, 12]}]
        if cls == 'IPS_AlarmClockOccurrence':
            return [{'InstanceID': a['name'], 'StartTime': a['start'], 'Interval': a['interval'] or 'P0DT0H0M',
                     'DeleteOnCompletion': False} for a in self.alarms]
        return []

    def get(self, cls, selectors=None):
        self._read()
        if cls == 'AMT_BootCapabilities':
            return {'ForcePXEBoot': True, 'BIOSSetup': True}
        return dict(self.boot)

    def put(self, cls, instance, selectors=None):
        self._write('Put', lambda: self.boot.update(instance))
        return instance

    def delete(self, cls, selectors):
        self._write('Delete', lambda: self.alarms.__setitem__(
            slice(None), [a for a in self.alarms if a['name'] != selectors['InstanceID']]))

    def invoke(self, cls, method, params=None, selectors=None, check_return=True):
        values = dict(params or [])
        if method == 'RequestPowerStateChange':
            target = power.RESULTING_STATE[values['PowerState']]
            self._write(method, lambda: setattr(self, 'power_state', target))
        elif method == 'AddAlarm':
            props = dict(values['AlarmTemplate'].props)
            if props['StartTime'].value.startswith('2000'):
                self._write(method, lambda: None)
                if check_return:
                    raise WsmanReturnValueError('AddAlarm returned 36', method=method, return_value=36,
                                                host=self.host, operation='AMT_AlarmClockService.AddAlarm')
                return {'ReturnValue': 36}
            self._write(method, lambda: self.alarms.append({'name': props['InstanceID'], 'start': props['StartTime'].value,
                                                           'interval': props['Interval'].value}))
        else:
            self._write(method, lambda: None)
        return {'ReturnValue': 0}


def _future(days=3):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return when.strftime('%Y-%m-%dT06:30:00Z')


# -- amt_power ---------------------------------------------------------------------------------------------------

def test_power_answer_lost_but_device_on_is_changed_with_a_warning():
    dev = Device(power_state=8, lose={'RequestPowerStateChange'})
    result = power.run_power(dev, {'state': 'on', 'wait': False, 'wait_timeout': 120})
    assert result['changed'] is True and result['power_state']['after']['name'] == 'on'
    assert dev.writes == ['RequestPowerStateChange']            # sent once, never again
    assert len(result['warnings']) == 1 and 'answer was lost' in result['warnings'][0]
    assert 'power state on' in result['warnings'][0]


def test_power_answer_lost_and_device_unchanged_fails_saying_outcome_unknown():
    dev = Device(power_state=8, lose={'RequestPowerStateChange'}, acts=False)
    with pytest.raises(AmtError) as err:
        power.run_power(dev, {'state': 'on', 'wait': False, 'wait_timeout': 120})
    assert 'outcome is unknown' in err.value.msg and 'power state off' in err.value.msg
    assert err.value.details['outcome'] == 'unknown' and dev.writes == ['RequestPowerStateChange']


def test_power_reset_answer_lost_cannot_be_confirmed_by_a_read():
    # a reset of a running host ends where it started: a read cannot tell, so the outcome stays unknown
    dev = Device(power_state=2, lose={'RequestPowerStateChange'})
    with pytest.raises(AmtError) as err:
        power.run_power(dev, {'state': 'reset', 'wait': False, 'wait_timeout': 120})
    assert 'outcome is unknown' in err.value.msg and dev.writes == ['RequestPowerStateChange']


def test_power_answer_lost_and_reread_fails_says_so():
    dev = Device(power_state=8, lose={'RequestPowerStateChange'}, reread_fails=True)
    with pytest.raises(AmtError) as err:
        power.run_power(dev, {'state': 'on', 'wait': False, 'wait_timeout': 120})
    assert 're-reading the state failed too' in err.value.msg and 'outcome is unknown' in err.value.msg


def test_power_lost_answer_through_the_runner_is_a_warning_not_a_failure():
    dev = Device(power_state=8, lose={'RequestPowerStateChange'})
    result = power.OPERATION.run(dev, {'state': 'on', 'wait': False, 'wait_timeout': 120})
    assert not result.get('failed') and result['changed'] and result['warnings']


# -- amt_boot ----------------------------------------------------------------------------------------------------

def test_boot_settings_put_and_power_answers_lost_are_reread():
    dev = Device(power_state=8, lose={'Put', 'RequestPowerStateChange'})
    result = boot.run_boot(dev, {'device': 'bios_setup', 'power': True})
    assert result['changed'] and dev.boot['BIOSSetup'] is True and dev.power_state == 2
    assert dev.writes.count('Put') == 1 and dev.writes.count('RequestPowerStateChange') == 1
    assert len(result['warnings']) == 2


def test_boot_settings_put_lost_and_not_applied_fails_unknown():
    dev = Device(power_state=8, lose={'Put'}, acts=False)
    with pytest.raises(AmtError) as err:
        boot.run_boot(dev, {'device': 'bios_setup', 'power': True})
    assert 'outcome is unknown' in err.value.msg and 'RequestPowerStateChange' not in dev.writes


# -- amt_alarm ---------------------------------------------------------------------------------------------------

def test_alarm_add_answer_lost_but_present_is_changed_with_a_warning():
    dev = Device(lose={'AddAlarm'})
    result = alarm.run_alarm(dev, {'name': 'wake', 'state': 'present', 'start': _future(), 'interval': 'daily',
                                   'delete_on_completion': False})
    assert result['changed'] and [a['name'] for a in dev.alarms] == ['wake'] and result['warnings']
    assert dev.writes == ['AddAlarm']


def test_alarm_move_whose_add_fails_puts_the_old_one_back_and_reports_unchanged():
    dev = Device()
    dev.alarms = [{'name': 'wake', 'start': _future(2), 'interval': None}]
    before = list(dev.alarms)
    with pytest.raises(AmtError) as err:
        # the device refuses the new alarm (a start the firmware does not take)
        alarm._replace(dev, dict(before[0], delete_on_completion=False),
                       {'name': 'wake', 'start': '2000-01-01T00:00:00Z', 'interval': None,
                        'delete_on_completion': False}, {})
    assert 'put back' in err.value.msg and err.value.details['changed'] is False
    assert [(a['name'], a['start']) for a in dev.alarms] == [('wake', before[0]['start'])] and dev.writes == ['Delete', 'AddAlarm', 'AddAlarm']


def test_alarm_move_whose_add_and_restore_fail_reports_changed():
    dev = Device()
    old = {'name': 'wake', 'start': '2001-01-01T06:30:00Z', 'interval': None, 'delete_on_completion': False}
    dev.alarms = [dict(old)]
    with pytest.raises(AmtError) as err:
        alarm._replace(dev, old, dict(old, start='2000-01-01T00:00:00Z'), {})
    # a one-shot alarm in the past cannot be added back: the device lost it, and the result says so
    assert err.value.details['changed'] is True and 'no longer holds alarm wake' in err.value.msg
    assert dev.alarms == []


def test_alarm_move_through_the_runner_reports_changed_from_the_error():
    dev = Device()
    old = {'name': 'wake', 'start': _future(2), 'interval': None, 'delete_on_completion': False}
    dev.alarms = [dict(old)]
    dev.lose = {'AddAlarm'}
    dev.acts = False
    dev.reread_fails = True

    with pytest.raises(AmtError) as err:
        alarm.run_alarm(dev, {'name': 'wake', 'state': 'present', 'start': _future(5), 'interval': None,
                              'delete_on_completion': False})
    # the add's outcome is unknown and the re-read failed: the old alarm was put back (the restore's AddAlarm
    # is a second, different write), so the device is as before
    assert dev.writes == ['Delete', 'AddAlarm', 'AddAlarm'] and err.value.details['changed'] is False


def test_next_start_of_a_recurring_alarm_is_in_the_future():
    now = datetime.datetime(2026, 11, 29, 7, 0, tzinfo=datetime.timezone.utc)
    assert alarm._next_start({'start': '2026-11-20T06:30:00Z', 'interval': 'P1DT0H0M'}, now) == '2026-11-30T06:30:00Z'
    assert alarm._next_start({'start': '2026-11-20T06:30:00Z', 'interval': None}, now) is None


# -- connection options ------------------------------------------------------------------------------------------

BASE = {'host': '192.0.2.7', 'port': None, 'use_tls': True, 'username': 'admin', 'password': 'x', 'validate_certs': True,
        'ca_path': None, 'client_cert': None, 'client_key': None, 'ciphers': None, 'min_tls_version': None,
        'cert_fingerprint': None, 'timeout': 30, 'legacy_tls_ciphers': False, 'allow_legacy_digest': False}


def test_allow_legacy_digest_is_a_connection_option_reaching_the_client_with_a_warning():
    spec = argument_spec(power.OPERATION)
    assert spec['allow_legacy_digest'] == {'type': 'bool', 'default': False}
    assert client_from_params(dict(BASE))._auth.allow_legacy is False
    params = dict(BASE, allow_legacy_digest=True)
    assert client_from_params(params)._auth.allow_legacy is True
    assert any('allow_legacy_digest is true' in w and '192.0.2.7' in w for w in legacy_tls_warnings(params))
    assert legacy_tls_warnings(BASE) == []


def test_validate_certs_false_warns_in_the_same_wording_as_use_tls_false():
    assert plaintext_warnings(dict(BASE, validate_certs=False)) == [UNVERIFIED_WARNING % '192.0.2.7']
    assert plaintext_warnings(dict(BASE, use_tls=False)) == [PLAINTEXT_WARNING % 16992]
    assert plaintext_warnings(dict(BASE, validate_certs=False, cert_fingerprint='ab' * 32)) == []
    assert plaintext_warnings(BASE) == []
    for text in (UNVERIFIED_WARNING, PLAINTEXT_WARNING):
        assert ' is false: the AMT session ' in text


def test_runner_warns_for_validate_certs_false():
    def run(client, params, check_mode=False, diff=False):
        return {'changed': False}
    op = power.OPERATION.__class__({}, run, name=lambda p: 'x')
    _result, warnings = execute(op, dict(BASE, validate_certs=False))
    assert warnings == [UNVERIFIED_WARNING % '192.0.2.7']


def test_return_value_errors_carry_the_amt_meaning():
    assert WsmanClient.default_return_value_meaning('AMT_AlarmClockService', 'AddAlarm', 36) == 'INVALID_PARAMETER'
    assert 'Not supported' in WsmanClient.default_return_value_meaning('CIM_PowerManagementService',
                                                                       'RequestPowerStateChange', 1)


def test_return_value_error_from_a_device_names_its_meaning(simulator):
    params = dict(BASE, host=simulator.addresses[0], password=simulator.admin_password, ca_path=simulator.ca_path)
    with client_from_params(params) as client:
        with pytest.raises(WsmanReturnValueError) as err:
            client.invoke('AMT_AlarmClockService', 'AddAlarm', [('AlarmTemplate', alarm._template(
                'past', '2001-01-01T06:30:00Z', None, False))])
    assert err.value.return_value == 36 and err.value.meaning == 'INVALID_PARAMETER'
    assert 'INVALID_PARAMETER' in err.value.message


def test_outcome_unknown_is_a_connection_error_the_helper_catches():
    assert issubclass(WsmanOutcomeUnknownTimeout, WsmanOutcomeUnknownError)


# -- amt_provision -----------------------------------------------------------------------------------------------

class ProvisionDevice(object):
    """AMT_SetupAndConfigurationService for Unprovision; the answer to Unprovision is lost (the device acts or not)."""

    def __init__(self, acts):
        self.host = '192.0.2.9'
        self.exchanges = 0
        self.state = 2
        self.acts = acts
        self.writes = []

    def get(self, cls, selectors=None):
        return {'ProvisioningState': self.state}

    def invoke(self, cls, method, params=None, selectors=None, check_return=True):
        self.writes.append(method)
        if self.acts:
            self.state = 0
        raise WsmanOutcomeUnknownError('connection closed after the request was sent', host=self.host,
                                       operation=method, sent=True, timed_out=False)

    def close(self):
        pass


def test_unprovision_answer_lost_is_reread():
    from ansible_collections.oob.amt.plugins.module_utils.amt import provisioning
    dev = ProvisionDevice(acts=True)
    result = provisioning.run_provision({'state': 'absent', 'admin_password': 'P@ssw0rd!', 'wait_timeout': 3},
                                        None, lambda password: dev, sleep=lambda s: None)
    assert result['changed'] and result['after'] == {'provisioning_state': 'pre'} and result['warnings']
    assert dev.writes == ['Unprovision']
    dev = ProvisionDevice(acts=False)
    with pytest.raises(AmtError) as err:
        provisioning.run_provision({'state': 'absent', 'admin_password': 'P@ssw0rd!', 'wait_timeout': 0.2},
                                   None, lambda password: dev, sleep=lambda s: None)
    assert 'outcome is unknown' in err.value.msg and dev.writes == ['Unprovision']

"""available_states (amt_power, amt_info gather power) are named like amt_power's state choices, so a name read
back can be passed to state as it is (issue 14: 'power_cycle_soft' / 'off_graceful' were not choices)."""
from ansible_collections.oob.amt.plugins.module_utils.amt import info, power

ACCEPTED = [2, 4, 5, 7, 8, 10, 11, 12, 14]      # what AMT lists in AvailableRequestedPowerStates


class FakeClient(object):
    exchanges = 1

    def enumerate(self, cls, *args, **kwargs):
        return [{'_class': 'CIM_AssociatedPowerManagementService', 'PowerState': 2,
                 'AvailableRequestedPowerStates': list(ACCEPTED)}]


def test_amt_power_names_are_state_choices():
    result = power.run_power(FakeClient(), {'state': 'status', 'wait': False, 'wait_timeout': 120})
    names = [s['name'] for s in result['available_states']]
    assert set(names) <= set(power.STATES), names
    assert 'cycle' in names and 'graceful_off' in names and 'graceful_reset' in names


def test_amt_info_names_are_state_choices():
    names = info.gather_power(FakeClient())['available_states']
    assert set(names) <= set(power.STATES), names
    assert names == ['on', 'sleep', 'cycle', 'hibernate', 'off', 'reset', 'nmi', 'graceful_off', 'graceful_reset']

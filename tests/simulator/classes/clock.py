"""The device clock: AMT_TimeSynchronizationService GetLowAccuracyTimeSynch / SetHighAccuracyTimeSynch.

Modelled on rpc-go internal/commands/configure/syncclock.go and go-wsman-messages
pkg/wsman/amt/timesynchronization (read, not copied): Get returns Ta0 (the device's clock, seconds since
1970); Set takes Ta0 (as read), Tm1 and Tm2 (the console's clock when it received Ta0 and when it sends).
The device refuses a Ta0 it did not hand out recently (PT_STATUS_INVALID_PARAMETER, 36) and any change
before provisioning (INVALID_PROVISIONING_STATE, 32). State key 'clock_offset' = device - real time (s).
"""

import time

from tests.simulator.registry import ClassHandler, register, require_int


def device_time(device):
    return time.time() + float(device.state.get('clock_offset', 0))


@register
class TimeSynchronizationService(ClassHandler):
    name = 'AMT_TimeSynchronizationService'

    def instances(self, device, ctx):
        return [{'CreationClassName': 'AMT_TimeSynchronizationService', 'ElementName': 'Intel(r) AMT Time '
                 'Synchronization Service', 'EnabledState': 5, 'LocalTimeSyncEnabled': 0,
                 'Name': 'Intel(r) AMT Time Synchronization Service', 'RequestedState': 12,
                 'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT',
                 'TimeSource': 0}]

    def method_GetLowAccuracyTimeSynch(self, device, params, ctx):
        ta0 = int(device_time(device))
        device.state['last_ta0'] = ta0
        return {'Ta0': ta0, 'ReturnValue': 0}

    def method_SetHighAccuracyTimeSynch(self, device, params, ctx):
        if device.state['provisioning_state'] != 2:
            return {'ReturnValue': 32}
        ta0, tm1, tm2 = (require_int(params, n) for n in ('Ta0', 'Tm1', 'Tm2'))
        if ta0 != device.state.get('last_ta0') or abs(device_time(device) - ta0) > 300 or tm2 < tm1:
            return {'ReturnValue': 36}
        # the console's clock now is Tm2 plus the one-way delay; ignore the delay (1 s resolution)
        device.state['clock_offset'] = float(tm2) - time.time()
        device.state['clock_set'] = device.state.get('clock_set', 0) + 1
        return {'ReturnValue': 0}

"""Power: the host's power state machine behind RequestPowerStateChange (reference §5.1)."""

import time

from tests.simulator import firmware
from tests.simulator.registry import ClassHandler, EPR, fire, register, require_int

SERVICE_KEYS = {'CreationClassName': 'CIM_PowerManagementService', 'Name': 'Intel(r) AMT Power Management Service',
                'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT'}
SYSTEM_KEYS = {'CreationClassName': 'CIM_ComputerSystem', 'Name': 'ManagedSystem'}
ON_OUT_OF_BAND = [10, 8, 5, 11]
ON_WITH_AGENT = [4, 7, 14, 12]


def available_states(state):
    power = state['power_state']
    if power == 2:
        return ON_OUT_OF_BAND + (ON_WITH_AGENT if state.get('os_agent') else [])
    if power in (4, 7):
        return [2, 8]
    return [2]


def request_power_change(device, value):
    """Apply a RequestPowerStateChange; returns the ReturnValue firmware would give."""
    s = device.state
    if value not in available_states(s):
        return 2
    if value in (4, 7) and firmware.sleep_refused(device):
        return 2          # 16.1 and 19 refuse sleep/hibernate themselves (tests/simulator/firmware.py)
    if s.get('redirection_session') and value in (5, 8):
        return 2
    before = s['power_state']
    boots = False
    if value == 2:
        s['power_state'] = 2
        boots = before != 2
    elif value in (8, 12):
        s['power_state'] = 8
    elif value in (5, 10, 14):
        s['power_state'] = 2
        boots = True
    elif value in (4, 7):
        s['power_state'] = value
    s.setdefault('power_requests', []).append(value)
    del s['power_requests'][:-20]
    s['last_power_change'] = time.time()
    if boots:
        s['reboots'] = s.get('reboots', 0) + 1
        fire('host_boot', device)
    return 0


@register
class AssociatedPowerManagementService(ClassHandler):
    name = 'CIM_AssociatedPowerManagementService'
    also_enumerated_by = ('CIM_ServiceAvailableToElement',)

    def instances(self, device, ctx):
        s = device.state
        return [{'AvailableRequestedPowerStates': available_states(s), 'PowerState': s['power_state'],
                 'RequestedPowerState': (s.get('power_requests') or [2])[-1],
                 'ServiceProvided': EPR('CIM_PowerManagementService', SERVICE_KEYS),
                 'UserOfService': EPR('CIM_ComputerSystem', SYSTEM_KEYS)}]


@register
class PowerManagementService(ClassHandler):
    name = 'CIM_PowerManagementService'

    def instances(self, device, ctx):
        return [dict(SERVICE_KEYS, ElementName='Intel(r) AMT Power Management Service', EnabledState=5,
                     RequestedState=12)]

    def method_RequestPowerStateChange(self, device, params, ctx):
        value = require_int(params, 'PowerState')
        element = params.get('ManagedElement')
        if isinstance(element, dict):
            uri = element.get('resource_uri') or ''
            if not uri.endswith('/CIM_ComputerSystem'):
                return {'ReturnValue': 5}
            name = element.get('selectors', {}).get('Name')
            if name not in (None, 'ManagedSystem'):
                return {'ReturnValue': 5}
        elif element is not None:
            return {'ReturnValue': 5}
        return {'ReturnValue': request_power_change(device, value)}


@register
class IPSPowerManagementService(ClassHandler):
    name = 'IPS_PowerManagementService'

    def instances(self, device, ctx):
        inst = dict(SERVICE_KEYS, CreationClassName='IPS_PowerManagementService',
                    ElementName='Intel(r) AMT Power Management Service', EnabledState=5, RequestedState=12)
        if device.state['power_state'] == 2:
            inst['OSPowerSavingState'] = device.state.get('os_power_saving', 2)
        return [inst]

    def get(self, device, selectors, ctx):
        if selectors and selectors.get('CreationClassName') == 'CIM_PowerManagementService':
            selectors = dict(selectors, CreationClassName='IPS_PowerManagementService')
        return super().get(device, selectors, ctx)

    def method_RequestOSPowerSavingStateChange(self, device, params, ctx):
        value = require_int(params, 'OSPowerSavingState')
        if value not in (2, 3) or device.state['power_state'] != 2:
            return {'ReturnValue': 2}
        device.state['os_power_saving'] = value
        return {'ReturnValue': 0}

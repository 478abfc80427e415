"""Redirection listeners, KVM and user consent (reference §5.7; captures AMT_RedirectionService_*,
CIM_KVMRedirectionSAP_Get_response, IPS_OptInService_Get_response, IPS_KVMRedirectionSettingData_Put_request).

Device state keys: redirection_state (32768..32771), redirection_listener (bool), kvm_enabled (bool),
kvm_settings {port_5900, rfb_password, session_timeout, opt_in_policy}, opt_in {required, display_timeout,
state, code, expires, attempts}. Firmware rules reproduced: KVM cannot be enabled before provisioning;
in CCM the consent policy cannot be changed (CanModifyOptInPolicy 0, always 'all'); port 5900 needs
ACM; a consent code is six digits, three wrong codes cancel the request.
"""

import random
import time

from tests.simulator.registry import ClassHandler, SoapFault, as_bool, register, require_int
from tests.simulator.classes.logs import audit

SERVICE = {'CreationClassName': 'AMT_RedirectionService', 'ElementName': 'Intel(r) AMT Redirection Service',
           'Name': 'Intel(r) AMT Redirection Service', 'SystemCreationClassName': 'CIM_ComputerSystem',
           'SystemName': 'Intel(r) AMT'}
KVM_SAP = {'CreationClassName': 'CIM_KVMRedirectionSAP', 'ElementName': 'KVM Redirection Service Access Point',
           'Name': 'KVM Redirection Service Access Point', 'SystemCreationClassName': 'CIM_ComputerSystem',
           'SystemName': 'ManagedSystem', 'KVMProtocol': 4}
KVM_ID = 'Intel(r) KVM Redirection Settings'
OPT_IN = {'CreationClassName': 'IPS_OptInService', 'ElementName': 'Intel(r) AMT OptIn Service',
          'Name': 'Intel(r) AMT OptIn Service', 'SystemCreationClassName': 'CIM_ComputerSystem',
          'SystemName': 'Intel(r) AMT'}
ALL = 4294967295
CODE_TIMEOUT = 120


def _kvm_settings(device):
    return device.state.setdefault('kvm_settings', {'port_5900': False, 'rfb_password': None,
                                                    'session_timeout': 0, 'opt_in_policy': True})


def opt_in(device):
    s = device.state
    o = s.setdefault('opt_in', {'required': ALL, 'display_timeout': 300, 'state': 0, 'code': None, 'expires': 0,
                                'attempts': 0})
    if s.get('control_mode') == 1:
        o['required'] = ALL      # CCM: consent is always required for redirection
    if o['state'] in (1, 2) and o.get('expires') and time.time() > o['expires']:
        o.update(state=0, code=None, attempts=0)
    return o


@register
class RedirectionService(ClassHandler):
    name = 'AMT_RedirectionService'

    def instances(self, device, ctx):
        return [dict(SERVICE, EnabledState=device.state.get('redirection_state', 32771),
                     ListenerEnabled=device.state.get('redirection_listener', True))]

    def method_RequestStateChange(self, device, params, ctx):
        value = require_int(params, 'RequestedState')
        if value not in (32768, 32769, 32770, 32771):
            return {'ReturnValue': 5}
        old = device.state.get('redirection_state', 32771)
        device.state['redirection_state'] = value
        if value == 32768:
            device.state['redirection_session'] = False
        for bit, on_event, off_event in ((2, 6, 7), (1, 2, 3)):      # SOL 1806/1807, IDER 1802/1803
            if (old - 32768) & bit != (value - 32768) & bit:
                audit(device, 18, on_event if (value - 32768) & bit else off_event, ctx)
        return {'ReturnValue': 0}

    def put(self, device, selectors, props, ctx):
        if selectors and selectors.get('Name') not in (None, SERVICE['Name']):
            raise SoapFault('InvalidSelectors')
        if 'ListenerEnabled' in props:
            device.state['redirection_listener'] = as_bool(props['ListenerEnabled'])
        if 'EnabledState' in props:
            value = require_int(props, 'EnabledState')
            if value not in (32768, 32769, 32770, 32771):
                raise SoapFault('InvalidRepresentation', detail='EnabledState must be 32768..32771')
            device.state['redirection_state'] = value
        return self.instances(device, ctx)[0]


@register
class KVMRedirectionSAP(ClassHandler):
    name = 'CIM_KVMRedirectionSAP'

    def instances(self, device, ctx):
        if device.state.get('kvm_present', True) is False:
            return []
        enabled = device.state.get('kvm_enabled', True)
        session = device.state.get('kvm_session', False)
        return [dict(KVM_SAP, EnabledState=(2 if session else 6) if enabled else 3,
                     RequestedState=2 if enabled else 3)]

    def get(self, device, selectors, ctx):
        if device.state.get('kvm_present', True) is False:
            raise SoapFault('DestinationUnreachable')
        return super().get(device, selectors, ctx)

    def method_RequestStateChange(self, device, params, ctx):
        if device.state.get('kvm_present', True) is False:
            raise SoapFault('DestinationUnreachable')
        value = require_int(params, 'RequestedState')
        if value not in (2, 3):
            return {'ReturnValue': 5}
        if device.state.get('provisioning_state') != 2:
            return {'ReturnValue': 2}
        old = device.state.get('kvm_enabled', True)
        device.state['kvm_enabled'] = value == 2
        if old != (value == 2):
            audit(device, 18, 10 if value == 2 else 11, ctx)
        return {'ReturnValue': 0}


@register
class KVMRedirectionSettingData(ClassHandler):
    name = 'IPS_KVMRedirectionSettingData'

    def instances(self, device, ctx):
        if device.state.get('kvm_present', True) is False:
            return []
        k = _kvm_settings(device)
        return [{'DefaultScreen': 0, 'ElementName': KVM_ID, 'EnabledByMEBx': True, 'InstanceID': KVM_ID,
                 'Is5900PortEnabled': k['port_5900'], 'OptInPolicy': k['opt_in_policy'],
                 'SessionTimeout': k['session_timeout']}]

    def put(self, device, selectors, props, ctx):
        if (selectors or {}).get('InstanceID') not in (None, KVM_ID):
            raise SoapFault('InvalidSelectors')
        k = _kvm_settings(device)
        if 'Is5900PortEnabled' in props:
            wanted = as_bool(props['Is5900PortEnabled'])
            if wanted and device.state.get('control_mode') != 2:
                raise SoapFault('AccessDenied', detail='port 5900 needs Admin Control Mode')
            if wanted and not k['rfb_password'] and not props.get('RFBPassword'):
                raise SoapFault('InvalidRepresentation', detail='RFBPassword required to open port 5900')
            k['port_5900'] = wanted
        if props.get('RFBPassword'):
            pw = props['RFBPassword']
            if len(pw) != 8:
                raise SoapFault('InvalidRepresentation', detail='RFBPassword must be 8 characters')
            k['rfb_password'] = pw
            audit(device, 29, 2, ctx)
        if 'SessionTimeout' in props:
            k['session_timeout'] = require_int(props, 'SessionTimeout')
        if 'OptInPolicy' in props:
            k['opt_in_policy'] = as_bool(props['OptInPolicy'])
        return self.instances(device, ctx)[0]


@register
class OptInService(ClassHandler):
    name = 'IPS_OptInService'

    def instances(self, device, ctx):
        o = opt_in(device)
        return [dict(OPT_IN, CanModifyOptInPolicy=0 if device.state.get('control_mode') == 1 else 1,
                     OptInCodeTimeout=CODE_TIMEOUT, OptInDisplayTimeout=o['display_timeout'],
                     OptInRequired=o['required'], OptInState=o['state'])]

    def put(self, device, selectors, props, ctx):
        if selectors and selectors.get('Name') not in (None, OPT_IN['Name']):
            raise SoapFault('InvalidSelectors')
        o = opt_in(device)
        if 'OptInRequired' in props:
            value = require_int(props, 'OptInRequired')
            if value not in (0, 1, ALL):
                raise SoapFault('InvalidRepresentation', detail='OptInRequired must be 0, 1 or 4294967295')
            if value != o['required']:
                if device.state.get('control_mode') != 2:
                    raise SoapFault('AccessDenied', detail='the consent policy can only be changed in ACM')
                names = {0: 0, 1: 1, ALL: 2}
                audit(device, 30, 0, ctx, extended=bytes([names[o['required']], names[value]]))
                o['required'] = value
        if 'OptInDisplayTimeout' in props:
            value = require_int(props, 'OptInDisplayTimeout')
            if not 60 <= value <= 999:
                raise SoapFault('InvalidRepresentation', detail='OptInDisplayTimeout out of range')
            o['display_timeout'] = value
        return self.instances(device, ctx)[0]

    def method_StartOptIn(self, device, params, ctx):
        o = opt_in(device)
        if o['state'] != 0:
            return {'ReturnValue': 2}
        code = '%06d' % random.SystemRandom().randrange(10 ** 6)
        o.update(state=2, code=code, expires=time.time() + CODE_TIMEOUT, attempts=0)
        return {'ReturnValue': 0}

    def method_SendOptInCode(self, device, params, ctx):
        o = opt_in(device)
        code = require_int(params, 'OptInCode')
        if o['state'] not in (1, 2):
            return {'ReturnValue': 2}
        if '%06d' % code != o['code']:
            o['attempts'] += 1
            if o['attempts'] >= 3:
                o.update(state=0, code=None, attempts=0)
                audit(device, 30, 1, ctx, extended=b'\x01')
            return {'ReturnValue': 2066}
        o.update(state=3, code=None, attempts=0)
        audit(device, 30, 1, ctx, extended=b'\x00')
        return {'ReturnValue': 0}

    def method_CancelOptIn(self, device, params, ctx):
        o = opt_in(device)
        if o['state'] == 0:
            return {'ReturnValue': 2}
        o.update(state=0, code=None, attempts=0)
        return {'ReturnValue': 0}

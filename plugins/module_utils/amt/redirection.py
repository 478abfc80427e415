# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redirection: the SOL / IDE-R (storage) / KVM listeners and the KVM settings.

Classes (protocol reference §5.7; sequence as in open-amt-cloud-toolkit/go-wsman-messages
pkg/wsman/amt/redirection and pkg/wsman/cim/kvm, and rpc-go's "configure amtfeatures"):

* AMT_RedirectionService: EnabledState 32768 + 1 (IDE-R) + 2 (SOL), changed with RequestStateChange;
  ListenerEnabled (the redirection port listener, 16994/16995) changed with Put.
* CIM_KVMRedirectionSAP: RequestStateChange(2) enables, (3) disables. EnabledState 2 or 6 reads as enabled.
* IPS_KVMRedirectionSettingData: Is5900PortEnabled, RFBPassword (write only), SessionTimeout (minutes).

Firmware rules: in Client Control Mode every KVM session needs user consent (the code shown on the
host screen), so the standard VNC port 5900 (no consent screen in a VNC viewer) needs Admin Control Mode.

``ensure_listeners(client, sol=None, ider=None, kvm=None, check_mode=False)`` is the small public entry
the media/SOL redirection code uses to switch listeners on before it opens a session.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault

REDIRECTION_SELECTORS = {
    'CreationClassName': 'AMT_RedirectionService', 'Name': 'Intel(r) AMT Redirection Service',
    'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT',
}
KVM_SAP_SELECTORS = {
    'CreationClassName': 'CIM_KVMRedirectionSAP', 'Name': 'KVM Redirection Service Access Point',
    'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'ManagedSystem',
}
KVM_SETTINGS_ID = 'Intel(r) KVM Redirection Settings'
KVM_ENABLED_STATES = (2, 6)      # 6 = enabled but offline (no session), as in the captured Get
REDIRECTION_BASE = 32768
IDER_BIT = 1
SOL_BIT = 2

MAX_SESSION_TIMEOUT = 65535


class RedirectionError(AmtError):
    pass


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('true', '1')


def _int(value, default=None):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def read_listeners(client):
    """{'sol', 'ider', 'listener', 'kvm'} as booleans (2 or 3 requests)."""
    service = client.get('AMT_RedirectionService')
    enabled = _int(service.get('EnabledState'), REDIRECTION_BASE)
    bits = enabled - REDIRECTION_BASE if REDIRECTION_BASE <= enabled <= REDIRECTION_BASE + 3 else 0
    state = {'sol': bool(bits & SOL_BIT), 'ider': bool(bits & IDER_BIT),
             'listener': _bool(service.get('ListenerEnabled', False)), '_service': service}
    try:
        sap = client.get('CIM_KVMRedirectionSAP')
        state['kvm'] = _int(sap.get('EnabledState')) in KVM_ENABLED_STATES
    except WsmanFault as exc:
        # Firmware without KVM (AMT standard manageability, non-vPro SKUs) answers DestinationUnreachable.
        if exc.subcode == 'DestinationUnreachable':
            state['kvm'] = None
        else:
            raise
    return state


def _public(state):
    return dict((k, v) for k, v in state.items() if not k.startswith('_'))


def ensure_listeners(client, sol=None, ider=None, kvm=None, listener=None, check_mode=False):
    """Switch the redirection listeners to the wanted values (None = leave as is).

    The port listener (16994/16995) is turned on whenever SOL, IDE-R or KVM ends up enabled, unless
    ``listener=False`` is asked explicitly. Returns {'changed', 'before', 'after', 'requests'}; ``requests`` lists
    what was (or in check mode would be) sent.
    """
    before = read_listeners(client)
    after = _public(before)
    for key, value in (('sol', sol), ('ider', ider), ('kvm', kvm)):
        if value is not None:
            after[key] = bool(value)
    if kvm is not None and before['kvm'] is None:
        if kvm:
            raise RedirectionError('this device has no KVM (CIM_KVMRedirectionSAP is absent: not an Intel vPro '
                                   'SKU or KVM is disabled in the firmware image); leave kvm unset')
        after['kvm'] = None
    if listener is not None:
        after['listener'] = bool(listener)
    elif (after['sol'] or after['ider'] or after['kvm']) and not before['listener']:
        after['listener'] = True
    requests = []
    service_value = REDIRECTION_BASE + (SOL_BIT if after['sol'] else 0) + (IDER_BIT if after['ider'] else 0)
    if (after['sol'], after['ider']) != (before['sol'], before['ider']):
        requests.append({'class': 'AMT_RedirectionService', 'method': 'RequestStateChange',
                         'RequestedState': service_value})
    if after['listener'] != before['listener']:
        requests.append({'class': 'AMT_RedirectionService', 'operation': 'put', 'ListenerEnabled': after['listener'],
                         'EnabledState': service_value})
    if after['kvm'] is not None and after['kvm'] != before['kvm']:
        requests.append({'class': 'CIM_KVMRedirectionSAP', 'method': 'RequestStateChange',
                         'RequestedState': 2 if after['kvm'] else 3})
    if not check_mode:
        for req in requests:
            if req.get('method') == 'RequestStateChange' and req['class'] == 'AMT_RedirectionService':
                client.invoke('AMT_RedirectionService', 'RequestStateChange',
                              [('RequestedState', req['RequestedState'])], selectors=REDIRECTION_SELECTORS)
            elif req.get('operation') == 'put':
                instance = dict((k, v) for k, v in before['_service'].items() if not k.startswith('_'))
                instance['EnabledState'] = service_value
                instance['ListenerEnabled'] = after['listener']
                client.put('AMT_RedirectionService', _ordered_service(instance), selectors=REDIRECTION_SELECTORS)
            else:
                client.invoke('CIM_KVMRedirectionSAP', 'RequestStateChange',
                              [('RequestedState', req['RequestedState'])], selectors=KVM_SAP_SELECTORS)
    return {'changed': bool(requests), 'before': _public(before), 'after': after, 'requests': requests}


def _ordered_service(instance):
    keys = ('CreationClassName', 'ElementName', 'EnabledState', 'ListenerEnabled', 'Name',
            'SystemCreationClassName', 'SystemName')
    out = [(k, instance[k]) for k in keys if k in instance]
    out.extend((k, v) for k, v in sorted(instance.items()) if k not in keys and k != 'AccessLog')
    return out


def read_kvm_settings(client):
    data = client.get('IPS_KVMRedirectionSettingData', {'InstanceID': KVM_SETTINGS_ID})
    return {'port_5900': _bool(data.get('Is5900PortEnabled', False)),
            'session_timeout': _int(data.get('SessionTimeout'), 0),
            'opt_in_policy': _bool(data.get('OptInPolicy', True)),
            'enabled_by_mebx': _bool(data.get('EnabledByMEBx', True)),
            '_raw': data}


def read_control_mode(client):
    hbs = client.get('IPS_HostBasedSetupService')
    return {1: 'ccm', 2: 'acm'}.get(_int(hbs.get('CurrentControlMode'), 0), 'none')


OPTIONS = dict(
    sol=dict(type='bool'),
    ider=dict(type='bool'),
    kvm=dict(type='bool'),
    listener=dict(type='bool'),
    kvm_port_5900=dict(type='bool'),
    kvm_password=dict(type='str', no_log=True),
    update_kvm_password=dict(type='str', default='on_enable', choices=['always', 'on_enable'],
                             no_log=False),
    kvm_session_timeout=dict(type='int'),
)


def validate(params):
    timeout = params.get('kvm_session_timeout')
    if timeout is not None and not 0 <= timeout <= MAX_SESSION_TIMEOUT:
        raise RedirectionError('option kvm_session_timeout must be between 0 (no timeout) and %d minutes, got %s'
                               % (MAX_SESSION_TIMEOUT, timeout))
    password = params.get('kvm_password')
    if password is not None:
        # RFB (VNC) passwords are 8 characters; AMT requires exactly 8 with upper, lower, digit and special.
        if len(password) != 8 or not any(c.isupper() for c in password) or not any(c.islower() for c in password) \
                or not any(c.isdigit() for c in password) or all(c.isalnum() for c in password):
            raise RedirectionError('option kvm_password must be exactly 8 characters with an upper-case letter, a '
                                   'lower-case letter, a digit and a special character (AMT rule for the RFB '
                                   'password of port 5900)')
    if params.get('kvm_port_5900') and params.get('kvm') is False:
        raise RedirectionError('options kvm=false and kvm_port_5900=true contradict each other')
    return params


def run_redirection(client, params, check_mode=False, diff=False):
    validate(params)
    kvm_options = ('kvm_port_5900', 'kvm_password', 'kvm_session_timeout')
    wants_kvm_settings = any(params.get(k) is not None for k in kvm_options)
    mode = None
    if params.get('kvm') or params.get('kvm_port_5900'):
        mode = read_control_mode(client)
        if mode == 'none':
            raise RedirectionError('the device is not provisioned; KVM can be enabled after activation '
                                   '(oob.amt.amt_provision)')
    if params.get('kvm_port_5900') and mode == 'ccm':
        raise RedirectionError('kvm_port_5900 needs Admin Control Mode: in Client Control Mode every KVM session '
                               'needs user consent, which a plain VNC viewer on port 5900 cannot give. Use a '
                               'consent-aware viewer on 16994/16995 (see oob.amt.amt_consent) or activate in ACM')
    outcome = ensure_listeners(client, sol=params.get('sol'), ider=params.get('ider'), kvm=params.get('kvm'),
                               listener=params.get('listener'), check_mode=check_mode)
    before = outcome['before']
    after = dict(outcome['after'])
    requests = list(outcome['requests'])
    password_sent = False
    if wants_kvm_settings:
        if after.get('kvm') is None:
            raise RedirectionError('this device has no KVM; kvm_port_5900, kvm_password and kvm_session_timeout '
                                   'cannot be set')
        settings = read_kvm_settings(client)
        before['kvm_port_5900'] = settings['port_5900']
        before['kvm_session_timeout'] = settings['session_timeout']
        after['kvm_port_5900'] = settings['port_5900']
        after['kvm_session_timeout'] = settings['session_timeout']
        changes = {}
        if params.get('kvm_port_5900') is not None and params['kvm_port_5900'] != settings['port_5900']:
            changes['Is5900PortEnabled'] = params['kvm_port_5900']
            after['kvm_port_5900'] = params['kvm_port_5900']
        timeout = params.get('kvm_session_timeout')
        if timeout is not None and timeout != settings['session_timeout']:
            changes['SessionTimeout'] = timeout
            after['kvm_session_timeout'] = timeout
        if after['kvm_port_5900'] and not settings['port_5900'] and not params.get('kvm_password'):
            raise RedirectionError('enabling kvm_port_5900 needs kvm_password (the RFB password VNC viewers send)')
        if params.get('kvm_password') and after['kvm_port_5900'] and (
                changes.get('Is5900PortEnabled') or params.get('update_kvm_password') == 'always'):
            changes['RFBPassword'] = params['kvm_password']
            password_sent = True
        if changes:
            props = [(k, v) for k, v in settings['_raw'].items() if not k.startswith('_') and k != 'RFBPassword']
            props = [(k, changes.get(k, v)) for k, v in props]
            present = set(k for k, _v in props)
            props.extend((k, v) for k, v in changes.items() if k not in present)
            requests.append({'class': 'IPS_KVMRedirectionSettingData', 'operation': 'put',
                             'properties': sorted(k for k in changes)})
            if not check_mode:
                client.put('IPS_KVMRedirectionSettingData', sorted(props),
                           selectors={'InstanceID': KVM_SETTINGS_ID})
    result = {'changed': bool(requests), 'redirection': after, 'before': before, 'requests': requests,
              'kvm_password_sent': password_sent}
    if params.get('kvm') and mode == 'ccm':
        result['msg'] = ('KVM is enabled in Client Control Mode: every KVM session needs the user consent code '
                         'shown on the host screen (oob.amt.amt_consent)')
    if diff:
        result['diff'] = {'before': before, 'after': after}
    result['exchanges'] = client.exchanges
    return result


__all__ = ['ensure_listeners', 'read_listeners', 'run_redirection', 'RedirectionError', 'OPERATION', 'OPTIONS']


OPERATION = Operation(OPTIONS, run_redirection, name=lambda params: 'redirection', prepare=validate)

"""General settings, setup & configuration, firmware identity, network, redirection."""

import base64
import random
import uuid

from tests.simulator.model import new_realm
from tests.simulator.registry import ClassHandler, EPR, SoapFault, register, require_int

SYSTEM = {'CreationClassName': 'CIM_ComputerSystem', 'Name': 'ManagedSystem'}


@register
class GeneralSettings(ClassHandler):
    name = 'AMT_GeneralSettings'
    writable = ('HostName', 'DomainName', 'PingResponseEnabled', 'RmcpPingResponseEnabled', 'DDNSUpdateEnabled',
                'SharedFQDN', 'IdleWakeTimeout', 'PreferredAddressFamily', 'PrivacyLevel')

    def instances(self, device, ctx):
        s = device.state
        major = int(s['amt_version'].split('.')[0])
        inst = {
            'AMTNetworkEnabled': 1, 'DDNSPeriodicUpdateInterval': 1440, 'DDNSTTL': 900,
            'DDNSUpdateByDHCPServerEnabled': True, 'DDNSUpdateEnabled': False, 'DHCPv6ConfigurationTimeout': 0,
            'DigestRealm': s['realm'], 'DomainName': s.get('domain', ''), 'ElementName': 'Intel(r) AMT: General Settings',
            'HostName': s.get('hostname', ''), 'HostOSFQDN': '%s.%s' % (s.get('hostname', ''), s.get('domain', '')),
            'IdleWakeTimeout': 65535, 'InstanceID': 'Intel(r) AMT: General Settings', 'NetworkInterfaceEnabled': True,
            'PingResponseEnabled': True, 'PowerSource': 0, 'PreferredAddressFamily': 0, 'PresenceNotificationInterval': 0,
            'PrivacyLevel': 0, 'RmcpPingResponseEnabled': True, 'SharedFQDN': True, 'WsmanOnlyMode': False,
        }
        if major >= 15:
            inst['ThunderboltDockEnabled'] = 0
        if major >= 16:
            inst['DHCPSyncRequiresHostname'] = 1
        return [inst]

    def put(self, device, selectors, props, ctx):
        if selectors and selectors.get('InstanceID') not in (None, 'Intel(r) AMT: General Settings'):
            raise SoapFault('InvalidSelectors')
        if 'HostName' in props:
            device.state['hostname'] = props['HostName']
        if 'DomainName' in props:
            device.state['domain'] = props['DomainName']
        return self.instances(device, ctx)[0]


@register
class SetupAndConfigurationService(ClassHandler):
    name = 'AMT_SetupAndConfigurationService'

    def instances(self, device, ctx):
        s = device.state
        return [{
            'CreationClassName': 'AMT_SetupAndConfigurationService',
            'ElementName': 'Intel(r) AMT Setup and Configuration Service', 'EnabledState': 5,
            'Name': 'Intel(r) AMT Setup and Configuration Service', 'PasswordModel': 1,
            'ProvisioningMode': s['provisioning_mode'] if s['provisioning_state'] == 2 else 1,
            'ProvisioningServerOTP': base64.b64encode(b'\x00' * 32).decode(),
            'ProvisioningState': s['provisioning_state'], 'RequestedState': 12,
            'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT',
            'ZeroTouchConfigurationEnabled': True,
        }]

    def method_GetUuid(self, device, params, ctx):
        raw = uuid.UUID(device.state['uuid']).bytes_le
        return {'UUID': base64.b64encode(raw).decode(), 'ReturnValue': 0}

    def method_CommitChanges(self, device, params, ctx):
        s = device.state
        hbc = s.get('hbc') if getattr(ctx, 'hbc', False) else None
        if hbc:
            # CSME 19 Secure Host-Based Configuration (rpc-go activateACMWithTLS): CommitChanges on the mutual-TLS
            # connection, after SetAdminAclEntryEx, moves the device to ACM. Without the password first the answer
            # is ours (1); 2057 (a MEBx password wanted, as rpc-go expects) with the state key mebx_password_required.
            if not hbc.get('admin_ha1'):
                return {'ReturnValue': 1}
            if s.get('mebx_password_required') and not hbc.get('mebx_password'):
                return {'ReturnValue': 2057}     # PT_STATUS_DATA_MISSING, as rpc-go expects (state key ours)
            from tests.simulator.classes.provisioning import _provision
            _provision(device, hbc['admin_ha1'], mode=1, control=2)
            if hbc.get('mebx_password'):
                s['mebx_password'] = hbc['mebx_password']
            s['hbc'] = None
            return {'ReturnValue': 0}
        if s['provisioning_state'] == 1 and s.get('admin_ha1') and ctx.username != s.get('local_username'):
            s['provisioning_state'] = 2     # Setup on AMT 19 completes here (firmware.setup_needs_commit)
        return {'ReturnValue': 0}

    def method_SetMEBxPassword(self, device, params, ctx):
        # go-wsman-messages setupandconfiguration SetMEBXPassword: Password in clear; ReturnValues PT_STATUS_SUCCESS,
        # INTERNAL_ERROR, NOT_PERMITTED (16), INVALID_PASSWORD (2054). Accepted here in an open Secure Host-Based
        # Configuration only (elsewhere the answer is ours: 16).
        s = device.state
        hbc = s.get('hbc') if getattr(ctx, 'hbc', False) else None
        if not hbc:
            return {'ReturnValue': 16}
        password = params.get('Password') or ''
        if not 8 <= len(password) <= 32:
            return {'ReturnValue': 2054}
        s['hbc'] = dict(hbc, mebx_password=password)
        return {'ReturnValue': 0}

    def method_Unprovision(self, device, params, ctx):
        mode = require_int(params, 'ProvisioningMode', required=False)
        if mode not in (None, 0, 1):
            return {'ReturnValue': 36}
        s = device.state
        if s['provisioning_state'] != 2:
            return {'ReturnValue': 32}
        if s['control_mode'] == 1 and ctx.interface == 'network' and s.get('unprovision_blocked'):
            return {'ReturnValue': 2076}
        unprovision(device)
        return {'ReturnValue': 0}


def unprovision(device):
    """Back to pre-provisioning: realm regenerated, custom hashes wiped, alarms cleared."""
    s = device.state
    s['provisioning_state'] = 0
    s['provisioning_mode'] = 1
    s['control_mode'] = 0
    s['realm'] = new_realm(random.Random())
    s['hashes'] = [h for h in s.get('hashes', []) if h.get('default')]
    s['alarms'] = []
    s['admin_password'] = s.get('mebx_password', s['admin_password'])
    s.pop('admin_ha1', None)
    device.regenerate_nonce()


@register
class SoftwareIdentity(ClassHandler):
    name = 'CIM_SoftwareIdentity'

    def instances(self, device, ctx):
        version = device.state['amt_version']
        parts = version.split('.')
        build = parts[3] if len(parts) > 3 else '1000'
        rows = [('Flash', version), ('Netstack', version), ('AMTApps', version), ('AMT', '.'.join(parts[:3])),
                ('Sku', '16392'), ('VendorID', '8086'), ('Build Number', build), ('Recovery Version', version),
                ('Recovery Build Num', build), ('Legacy Mode', 'False'), ('AMT FW Core Version', version)]
        return [{'InstanceID': k, 'IsEntity': True, 'VersionString': v} for k, v in rows]


@register
class ComputerSystem(ClassHandler):
    name = 'CIM_ComputerSystem'

    def instances(self, device, ctx):
        state = device.state['power_state']
        return [{'CreationClassName': 'CIM_ComputerSystem', 'ElementName': 'Managed System', 'Name': 'ManagedSystem',
                 'EnabledState': 2 if state == 2 else 3, 'RequestedState': 12, 'OperationalStatus': [0],
                 'Dedicated': [32], 'NameFormat': 'Other'}]


@register
class EthernetPortSettings(ClassHandler):
    name = 'AMT_EthernetPortSettings'

    def instances(self, device, ctx):
        n = device.state['network']
        inst = {'DHCPEnabled': n['dhcp_enabled'], 'ElementName': 'Intel(r) AMT Ethernet Port Settings',
                'InstanceID': 'Intel(r) AMT Ethernet Port Settings 0', 'IpSyncEnabled': False,
                'LinkIsUp': n.get('link_up', True), 'LinkPolicy': [1, 14], 'MACAddress': n['mac'].replace(':', '-'),
                'PhysicalConnectionType': 0, 'SharedDynamicIP': True, 'SharedMAC': True, 'SharedStaticIp': False}
        # the address is reported in both modes (DHCP: the lease, static: the configured one)
        if n.get('ip'):
            inst.update({'IPAddress': n['ip'], 'SubnetMask': n['mask'], 'DefaultGateway': n['gateway'],
                         'PrimaryDNS': n['dns']})
        return [inst]

    def put(self, device, selectors, props, ctx):
        n = device.state['network']
        if 'DHCPEnabled' in props:
            n['dhcp_enabled'] = str(props['DHCPEnabled']).lower() == 'true'
        for key, prop in (('ip', 'IPAddress'), ('mask', 'SubnetMask'), ('gateway', 'DefaultGateway'),
                          ('dns', 'PrimaryDNS')):
            if props.get(prop):
                n[key] = props[prop]
        if not n['dhcp_enabled'] and not props.get('IPAddress') and 'DHCPEnabled' in props:
            raise SoapFault('InvalidRepresentation', detail='a static configuration needs IPAddress')
        return self.instances(device, ctx)[0]


# AMT_RedirectionService lives in classes/redirection.py (with KVM and user consent).


def managed_system_epr():
    return EPR('CIM_ComputerSystem', SYSTEM)

"""AMT network identity: host name, domain, ping responses, shared FQDN (AMT_GeneralSettings) and the wired
port's DHCP/static configuration (AMT_EthernetPortSettings), with the firmware's validation.

The static/DHCP rules follow rpc-go internal/commands/configure/wired.go (its DHCPEnabled / IpSyncEnabled /
SharedStaticIp table) and go-wsman-messages pkg/wsman/amt/ethernetport (read, not copied): DHCP excludes a
shared static address; a static address that is not synchronised from the host needs IPAddress and
SubnetMask. Invalid values are refused like firmware, with a WS-Man fault (InvalidRepresentation).
"""

import ipaddress
import re

from tests.simulator.registry import SoapFault, as_bool, register
from tests.simulator.classes import core

_LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')
GENERAL_BOOLS = ('PingResponseEnabled', 'RmcpPingResponseEnabled', 'SharedFQDN', 'DDNSUpdateEnabled')


def _bad(detail):
    return SoapFault('InvalidRepresentation', detail=detail)


@register
class GeneralSettings(core.GeneralSettings):

    def instances(self, device, ctx):
        inst = super(GeneralSettings, self).instances(device, ctx)[0]
        inst.update(device.state.get('general') or {})
        return [inst]

    def put(self, device, selectors, props, ctx):
        host = props.get('HostName', device.state.get('hostname', ''))
        domain = props.get('DomainName', device.state.get('domain', ''))
        if host and not _LABEL.match(host):
            raise _bad('HostName must be one DNS label (letters, digits, hyphens; at most 63)')
        if domain and (len(domain) > 191 or not all(_LABEL.match(p) for p in domain.split('.'))):
            raise _bad('DomainName is not a valid DNS domain')
        extra = device.state.setdefault('general', {})
        for name in GENERAL_BOOLS:
            if name in props:
                extra[name] = as_bool(props[name])
        if 'RmcpPingResponseEnabled' in props:
            device.state['rmcp_ping'] = extra['RmcpPingResponseEnabled']
        return super(GeneralSettings, self).put(device, selectors, props, ctx)


def _ipv4(value, name):
    try:
        return str(ipaddress.IPv4Address(str(value).strip()))
    except ValueError:
        raise _bad('%s is not an IPv4 address' % name)


@register
class EthernetPortSettings(core.EthernetPortSettings):

    def instances(self, device, ctx):
        inst = super(EthernetPortSettings, self).instances(device, ctx)[0]
        n = device.state['network']
        inst['IpSyncEnabled'] = bool(n.get('ip_sync', False))
        inst['SharedStaticIp'] = bool(n.get('shared_static_ip', False))
        if n.get('dns2'):
            inst['SecondaryDNS'] = n['dns2']
        return [inst]

    def put(self, device, selectors, props, ctx):
        if (selectors or {}).get('InstanceID') not in (None, 'Intel(r) AMT Ethernet Port Settings 0'):
            raise SoapFault('InvalidSelectors')
        n = device.state['network']
        dhcp = as_bool(props['DHCPEnabled']) if 'DHCPEnabled' in props else n['dhcp_enabled']
        sync = as_bool(props['IpSyncEnabled']) if 'IpSyncEnabled' in props else n.get('ip_sync', False)
        shared = as_bool(props['SharedStaticIp']) if 'SharedStaticIp' in props else n.get('shared_static_ip', False)
        if dhcp and shared:
            raise _bad('SharedStaticIp cannot be true with DHCPEnabled')
        static = {}
        for key, prop in (('ip', 'IPAddress'), ('mask', 'SubnetMask'), ('gateway', 'DefaultGateway'),
                          ('dns', 'PrimaryDNS'), ('dns2', 'SecondaryDNS')):
            if props.get(prop):
                static[key] = _ipv4(props[prop], prop)
        if not dhcp and not sync:
            if not (static.get('ip') or n.get('ip')) or not (static.get('mask') or n.get('mask')):
                raise _bad('a static configuration needs IPAddress and SubnetMask')
            mask = static.get('mask') or n.get('mask')
            try:
                ipaddress.IPv4Network('0.0.0.0/%s' % mask)
            except ValueError:
                raise _bad('SubnetMask is not a contiguous IPv4 mask')
        n.update(static)
        n['dhcp_enabled'] = dhcp
        n['ip_sync'] = sync
        n['shared_static_ip'] = shared
        return self.instances(device, ctx)[0]

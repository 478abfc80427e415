# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMT network identity: host name, domain, shared FQDN, ping responses (AMT_GeneralSettings) and the wired
port's DHCP or static configuration (AMT_EthernetPortSettings).

The DHCP / static / IP-sync combinations follow rpc-go internal/commands/configure/wired.go (its table of
DHCPEnabled, IpSyncEnabled, SharedStaticIp and the static fields) and go-wsman-messages
pkg/wsman/amt/general + pkg/wsman/amt/ethernetport (read, not copied). Both are written as the instance read
from the device with the changed properties (a full Put, as Intel's clients do).
The SMB network table (host OS and AMT both DHCP or both static) is checked when host_dhcp is given.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError

GENERAL_ID = 'Intel(r) AMT: General Settings'
_LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')
STATIC = (('ip_address', 'IPAddress'), ('subnet_mask', 'SubnetMask'), ('gateway', 'DefaultGateway'),
          ('primary_dns', 'PrimaryDNS'), ('secondary_dns', 'SecondaryDNS'))
GENERAL = (('hostname', 'HostName'), ('domain', 'DomainName'), ('shared_fqdn', 'SharedFQDN'),
           ('ping_response', 'PingResponseEnabled'), ('rmcp_ping_response', 'RmcpPingResponseEnabled'),
           ('ddns_update', 'DDNSUpdateEnabled'))
SMB_TABLE = ('supported: host static + AMT static, host DHCP + AMT DHCP; '
             'not supported: host static + AMT DHCP, host DHCP + AMT static')


class NetworkError(AmtError):
    """Refused or failed; the message says what and how to fix it."""


OPTIONS = dict(
    hostname=dict(type='str'),
    domain=dict(type='str'),
    shared_fqdn=dict(type='bool'),
    ping_response=dict(type='bool'),
    rmcp_ping_response=dict(type='bool'),
    ddns_update=dict(type='bool'),
    dhcp=dict(type='bool'),
    ip_sync=dict(type='bool'),
    ip_address=dict(type='str'),
    subnet_mask=dict(type='str'),
    gateway=dict(type='str'),
    primary_dns=dict(type='str'),
    secondary_dns=dict(type='str'),
    host_dhcp=dict(type='bool'),
)


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('true', '1')


def check_params(params):
    """Refuse what firmware or the SMB network table do not support, before the device is contacted."""
    host = params.get('hostname')
    if host is not None and not _LABEL.match(host):
        raise NetworkError('option hostname must be one DNS label (letters, digits, inner hyphens, at most 63), '
                           'got %r; put the domain in option domain' % host)
    domain = params.get('domain')
    if domain is not None and domain != '' and (len(domain) > 191 or not all(_LABEL.match(p) for p in domain.split('.'))):
        raise NetworkError('option domain is not a valid DNS domain: %r' % domain)
    for opt, _prop in STATIC:
        if params.get(opt):
            try:
                ipaddress.IPv4Address(params[opt])
            except ValueError:
                raise NetworkError('option %s must be an IPv4 address, got %r' % (opt, params[opt]))
    if params.get('subnet_mask'):
        try:
            ipaddress.IPv4Network('0.0.0.0/%s' % params['subnet_mask'])
        except ValueError:
            raise NetworkError('option subnet_mask is not a contiguous mask: %s' % params['subnet_mask'])
    statics = [opt for opt, _prop in STATIC if params.get(opt)]
    dhcp, sync = params.get('dhcp'), params.get('ip_sync')
    if dhcp and statics:
        raise NetworkError('dhcp=true cannot be combined with %s (a static configuration)' % ', '.join(statics))
    if dhcp is False and sync and statics:
        raise NetworkError('ip_sync=true takes the static address from the host OS; do not give %s'
                           % ', '.join(statics))
    if dhcp is False and not sync and not (params.get('ip_address') and params.get('subnet_mask')):
        raise NetworkError('a static configuration (dhcp=false) needs ip_address and subnet_mask (or ip_sync=true)')
    if statics and dhcp is None:
        raise NetworkError('static settings (%s) need dhcp=false' % ', '.join(statics))
    host_dhcp = params.get('host_dhcp')
    if host_dhcp is not None and dhcp is not None and bool(host_dhcp) != bool(dhcp):
        raise NetworkError('unsupported network configuration: host %s + AMT %s (%s)' % (
            'DHCP' if host_dhcp else 'static', 'DHCP' if dhcp else 'static', SMB_TABLE))
    if all(params.get(opt) is None for opt in [o for o, _p in GENERAL] + ['dhcp']):
        raise NetworkError('nothing to configure: give hostname, domain, shared_fqdn, ping_response, '
                           'rmcp_ping_response, ddns_update or dhcp')
    return params


def _port(client):
    ports = client.enumerate('AMT_EthernetPortSettings')
    wired = [p for p in ports if str(p.get('InstanceID', '')).endswith(' 0')] or ports
    if not wired:
        raise NetworkError('the device reports no wired port (AMT_EthernetPortSettings)')
    return wired[0]


def _net_view(port):
    view = {'dhcp': _bool(port.get('DHCPEnabled')), 'ip_sync': _bool(port.get('IpSyncEnabled')),
            'shared_static_ip': _bool(port.get('SharedStaticIp')), 'mac': port.get('MACAddress')}
    for opt, prop in STATIC:
        view[opt] = port.get(prop) or None
    return view


def _general_view(general):
    view = {}
    for opt, prop in GENERAL:
        value = general.get(prop)
        view[opt] = _bool(value) if opt not in ('hostname', 'domain') else (value or '')
    return view


def run_network(client, params, check_mode=False, diff=False):
    check_params(params)
    general = client.get('AMT_GeneralSettings')
    port = _port(client)
    before = {'general': _general_view(general), 'wired': _net_view(port)}
    host_dhcp = params.get('host_dhcp')
    if host_dhcp is not None and params.get('dhcp') is None and bool(host_dhcp) != before['wired']['dhcp']:
        raise NetworkError('unsupported network configuration: host %s + AMT %s (%s); set dhcp to match the host'
                           % ('DHCP' if host_dhcp else 'static', 'DHCP' if before['wired']['dhcp'] else 'static',
                              SMB_TABLE))
    result = {'changed': False, 'actions': []}
    g_changes = {}
    for opt, prop in GENERAL:
        want = params.get(opt)
        if want is not None and want != before['general'][opt]:
            g_changes[prop] = want
    if g_changes:
        result['changed'] = True
        result['actions'].append('set %s (AMT_GeneralSettings)' % ', '.join(sorted(g_changes)))
        if not check_mode:
            instance = dict((k, v) for k, v in general.items() if not k.startswith('_'))
            instance.update(g_changes)
            client.put('AMT_GeneralSettings', instance, {'InstanceID': general.get('InstanceID') or GENERAL_ID})
    n_changes = _port_changes(params, before['wired'])
    if n_changes is not None:
        result['changed'] = True
        result['actions'].append('set the wired port to %s' % ('DHCP' if n_changes['DHCPEnabled'] else 'static %s' % (
            n_changes.get('IPAddress') or 'from the host (IP sync)')))
        if not check_mode:
            instance = dict((k, v) for k, v in port.items() if not k.startswith('_'))
            for _opt, prop in STATIC:
                instance.pop(prop, None)
            instance.update(n_changes)
            client.put('AMT_EthernetPortSettings', instance, {'InstanceID': port.get('InstanceID')})
    after = {'general': dict(before['general']), 'wired': dict(before['wired'])}
    for opt, prop in GENERAL:
        if prop in g_changes:
            after['general'][opt] = g_changes[prop]
    if n_changes is not None:
        after['wired'].update({'dhcp': n_changes['DHCPEnabled'], 'ip_sync': n_changes['IpSyncEnabled'],
                               'shared_static_ip': n_changes['SharedStaticIp']})
        for opt, prop in STATIC:
            if prop in n_changes:
                after['wired'][opt] = n_changes[prop]
    if not check_mode and result['changed']:
        general = client.get('AMT_GeneralSettings')
        after = {'general': _general_view(general), 'wired': _net_view(_port(client))}
    result['network'] = after
    result['before'] = before
    host, domain = after['general']['hostname'], after['general']['domain']
    result['fqdn'] = '%s.%s' % (host, domain) if host and domain else host
    if diff:
        result['diff'] = {'before': before, 'after': after}
    result['exchanges'] = client.exchanges
    return result


def _port_changes(params, have):
    dhcp = params.get('dhcp')
    if dhcp is None:
        return None
    if dhcp:
        want = {'DHCPEnabled': True, 'IpSyncEnabled': True, 'SharedStaticIp': False}
        if have['dhcp'] and have['ip_sync'] and not have['shared_static_ip']:
            return None
        return want
    sync = bool(params.get('ip_sync'))
    want = {'DHCPEnabled': False, 'IpSyncEnabled': sync, 'SharedStaticIp': sync}
    differs = have['dhcp'] or have['ip_sync'] != sync or have['shared_static_ip'] != sync
    if not sync:
        for opt, prop in STATIC:
            if params.get(opt):
                want[prop] = params[opt]
                if have.get(opt) != params[opt]:
                    differs = True
    return want if differs else None


OPERATION = Operation(OPTIONS, run_network, name=lambda params: 'network settings', prepare=check_params)

__all__ = ['OPERATION', 'run_network', 'NetworkError', 'WsmanError', 'check_params']

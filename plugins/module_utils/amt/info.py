# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts about an AMT device, gathered per subset with as few exchanges as possible."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid

from ansible_collections.oob.amt.plugins.module_utils.amt.constants import (
    BOGUS_UUIDS, CONTROL_MODES, PROVISIONING_MODES, PROVISIONING_STATES, REQUEST_POWER_STATES, power_state_name)
from ansible_collections.oob.amt.plugins.module_utils.amt.hashes import list_hashes
from ansible_collections.oob.amt.plugins.module_utils.amt.provisioning import provisioning_status
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import Operation
from ansible_collections.oob.amt.plugins.module_utils.amt.compat import enumerate_instances
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault

SUBSETS = ('identify', 'general', 'power', 'hardware', 'network', 'boot', 'alarms', 'hashes')


def uuid_from_platform_guid(guid):
    """SMBIOS UUID (canonical string) from CIM_ComputerSystemPackage.PlatformGUID (raw byte order hex)."""
    try:
        return str(uuid.UUID(bytes_le=bytes.fromhex(guid)))
    except (TypeError, ValueError):
        return None


def _optional(fn):
    """Run a read; a class the firmware does not have yields None instead of failing the module."""
    try:
        return fn()
    except WsmanFault as exc:
        if exc.subcode in ('DestinationUnreachable', 'ActionNotSupported'):
            return None
        raise


def gather_identify(client):
    return client.identify()


def gather_general(client):
    general = client.get('AMT_GeneralSettings')
    setup = client.get('AMT_SetupAndConfigurationService')
    hbs = _optional(lambda: client.get('IPS_HostBasedSetupService'))
    software = client.enumerate('CIM_SoftwareIdentity')
    package = _optional(lambda: client.get('CIM_ComputerSystemPackage'))
    versions = dict((s.get('InstanceID'), s.get('VersionString')) for s in software)
    prov_state, control = provisioning_status(setup, hbs)
    platform_uuid = uuid_from_platform_guid(package.get('PlatformGUID')) if package else None
    return {
        'amt_version': versions.get('AMT') or client.amt_version,
        'firmware_version': versions.get('Flash'),
        'build_number': versions.get('Build Number'),
        'sku': versions.get('Sku'),
        'hostname': general.get('HostName') or None,
        'domain': general.get('DomainName') or None,
        'realm': general.get('DigestRealm'),
        'provisioning_state': PROVISIONING_STATES.get(prov_state, 'unknown'),
        'provisioning_state_value': prov_state,
        'provisioning_mode': PROVISIONING_MODES.get(setup.get('ProvisioningMode'), 'unknown') if prov_state == 2 else 'none',
        'control_mode': CONTROL_MODES.get(control, 'unknown'),
        'control_mode_value': control,
        'allowed_control_modes': [CONTROL_MODES.get(m, str(m)) for m in (hbs or {}).get('AllowedControlModes', [])],
        'uuid': platform_uuid,
        'uuid_is_bogus': platform_uuid in BOGUS_UUIDS if platform_uuid else None,
        'tls': client.use_tls,
        'tls_version': client.tls_version,
        'certificate_sha256': client.peer_cert_sha256,
        'server': client.server_header,
    }


_REQUEST_NAMES = dict((v, k) for k, v in REQUEST_POWER_STATES.items())


def gather_power(client):
    items = client.enumerate('CIM_ServiceAvailableToElement')
    item = next((i for i in items if i.get('_class') == 'CIM_AssociatedPowerManagementService'), items[0] if items else {})
    state = item.get('PowerState')
    available = item.get('AvailableRequestedPowerStates') or []
    return {'state': power_state_name(state), 'state_value': state,
            # named like amt_power's state choices (cycle, graceful_off ...), the names you pass back to it
            'available_states': [_REQUEST_NAMES.get(v, power_state_name(v)) for v in available],
            'available_state_values': available}


def _strip(instance):
    return dict((k, v) for k, v in instance.items() if not k.startswith('_'))


def gather_hardware(client):
    packages = client.enumerate('CIM_PhysicalPackage')
    # Real firmware leaves CIM_Chassis out of the CIM_PhysicalPackage enumeration but answers a Get of it
    # (james-crowley/ansible-collection-intel-amt docs/amt_info.md: CIM_Chassis/CIM_Card by Get, AMT 16.1 and 19).
    chassis = next((p for p in packages if p.get('_class') == 'CIM_Chassis'), None)
    if chassis is None:
        chassis = _optional(lambda: client.get('CIM_Chassis')) or {}
    board = next((p for p in packages if p.get('_class') == 'CIM_Card'), {})
    disks = _optional(lambda: client.enumerate('CIM_MediaAccessDevice')) or []
    processors = client.enumerate('CIM_Processor')
    chips = _optional(lambda: client.enumerate('CIM_Chip')) or []
    memory = client.enumerate('CIM_PhysicalMemory')
    bios = client.enumerate('CIM_BIOSElement')
    brands = dict((c.get('Tag'), c.get('Version')) for c in chips)
    return {
        'chassis': {'manufacturer': chassis.get('Manufacturer'), 'model': chassis.get('Model'),
                    'serial': chassis.get('SerialNumber'), 'version': chassis.get('Version')},
        'board': {'manufacturer': board.get('Manufacturer'), 'model': board.get('Model'),
                  'serial': board.get('SerialNumber'), 'version': board.get('Version')},
        'bios': {'manufacturer': (bios[0] if bios else {}).get('Manufacturer'),
                 'version': (bios[0] if bios else {}).get('Version'),
                 'release_date': (bios[0] if bios else {}).get('ReleaseDate')},
        'processors': [{'id': p.get('DeviceID'), 'brand': brands.get(p.get('DeviceID')),
                        'max_clock_mhz': p.get('MaxClockSpeed'), 'current_clock_mhz': p.get('CurrentClockSpeed')}
                       for p in processors],
        'memory': [{'bank': m.get('BankLabel'), 'capacity_bytes': m.get('Capacity'), 'manufacturer': m.get('Manufacturer'),
                    'part_number': (m.get('PartNumber') or '').strip(), 'serial': m.get('SerialNumber'),
                    'speed_mhz': m.get('ConfiguredMemoryClockSpeed') or m.get('MaxMemorySpeed')} for m in memory],
        'memory_total_bytes': sum(m.get('Capacity') or 0 for m in memory),
        # CIM_MediaAccessDevice carries no model, vendor or serial; MaxMediaSize is in KBytes
        'storage': [{'id': d.get('DeviceID'), 'max_media_size_kb': d.get('MaxMediaSize'),
                     'capabilities': d.get('Capabilities') or [],
                     'security': d.get('Security')} for d in disks],
    }


def gather_network(client):
    ports = enumerate_instances(client, 'AMT_EthernetPortSettings')     # AMT 10: Get per port (amt/compat.py)
    out = []
    for p in ports:
        out.append({'instance_id': p.get('InstanceID'), 'dhcp': p.get('DHCPEnabled'),
                    'mac': (p.get('MACAddress') or '').replace('-', ':').lower() or None,
                    'ip': p.get('IPAddress'), 'netmask': p.get('SubnetMask'), 'gateway': p.get('DefaultGateway'),
                    'dns': p.get('PrimaryDNS'), 'link_up': p.get('LinkIsUp')})
    return {'interfaces': out}


def gather_boot(client):
    caps = _optional(lambda: client.get('AMT_BootCapabilities'))
    data = _optional(lambda: client.get('AMT_BootSettingData'))
    if caps is None and data is None:
        return None
    return {'capabilities': _strip(caps or {}), 'settings': _strip(data or {})}


def gather_alarms(client):
    items = _optional(lambda: client.enumerate('IPS_AlarmClockOccurrence'))
    if items is None:
        return None
    return [{'name': a.get('InstanceID'), 'start': a.get('StartTime'), 'interval': a.get('Interval') or None,
             'delete_on_completion': a.get('DeleteOnCompletion')} for a in items]


def gather_hashes(client):
    entries = _optional(lambda: list_hashes(client))
    if entries is None:
        return None
    return [{'name': h['name'] or None, 'instance_id': h['instance_id'], 'algorithm': h['algorithm'],
             'hash': h['hash'] or None, 'enabled': h['enabled'], 'default': h['default']} for h in entries]


GATHERERS = {
    'identify': gather_identify, 'general': gather_general, 'power': gather_power, 'hardware': gather_hardware,
    'network': gather_network, 'boot': gather_boot, 'alarms': gather_alarms, 'hashes': gather_hashes,
}


def run_info(client, params):
    gather = params.get('gather') or ['general', 'power']
    if 'all' in gather:
        gather = list(SUBSETS)
    info = {'host': client.host}
    # identify first: it is the one unauthenticated exchange and tells the version before the challenge
    for subset in sorted(set(gather), key=SUBSETS.index):
        info[subset] = GATHERERS[subset](client)
    return {'changed': False, 'amt_info': info, 'exchanges': client.exchanges}


OPTIONS = dict(
    gather=dict(type='list', elements='str', default=['general', 'power'], choices=['all'] + list(SUBSETS)),
)

OPERATION = Operation(OPTIONS, lambda client, params, check_mode=False, diff=False: run_info(client, params),
                      name=lambda params: 'reading device information', fleet=True)

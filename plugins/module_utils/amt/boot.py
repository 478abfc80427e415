# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One-time boot: Put AMT_BootSettingData, SetBootConfigRole, ChangeBootOrder, then optionally power."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.constants import INSTANCE_IDS, power_state_name
from ansible_collections.oob.amt.plugins.module_utils.amt.power import PowerError, change_power, read_power
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import Operation, OutcomeLost, write_or_reread
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import EPR

DEVICES = ('pxe', 'hdd', 'cdrom', 'bios_setup', 'usb')
SOURCES = {
    'pxe': ('Intel(r) AMT: Force PXE Boot', 'ForcePXEBoot'),
    'hdd': ('Intel(r) AMT: Force Hard-drive Boot', 'ForceHardDriveBoot'),
    'cdrom': ('Intel(r) AMT: Force CD/DVD Boot', 'ForceCDorDVDBoot'),
}
# Fields the firmware reports but refuses in a Put.
READ_ONLY = ('WinREBootEnabled', 'UEFILocalPBABootEnabled', 'UEFIHTTPSBootEnabled', 'SecureBootControlEnabled',
             'BootguardStatus', 'OptionsCleared', 'BIOSLastStatus', 'UefiBootParametersArray', 'RPEEnabled')
# One-time flags cleared for a plain boot to a device.
FLAGS = ('BIOSPause', 'BIOSSetup', 'UseIDER', 'UseSOL', 'UseSafeMode', 'ReflashBIOS', 'SecureErase',
         'ConfigurationDataReset', 'UserPasswordBypass')


class BootError(PowerError):
    pass


def _usb_source(client):
    for src in client.enumerate('CIM_BootSourceSetting'):
        if (src.get('StructuredBootString') or '').upper().startswith('CIM:USB'):
            return src.get('InstanceID')
    return None


def desired_settings(current, device):
    wanted = dict((k, v) for k, v in current.items() if not k.startswith('_') and k not in READ_ONLY)
    for flag in FLAGS:
        if flag in wanted:
            wanted[flag] = False
    wanted['BootMediaIndex'] = 0
    if device == 'bios_setup':
        wanted['BIOSSetup'] = True
    return wanted


IDER_BOOT_DEVICES = {'floppy': 0, 'cdrom': 1}   # AMT_BootSettingData.IDERBootDevice


def set_redirection_boot(client, ider_device=None, use_sol=False, check_mode=False):
    """One-time boot through redirection: the IDE-R/USB-R drive (ider_device 'cdrom' or 'floppy') and/or the
    BIOS console over SOL (UseSOL), with no forced boot source, as MeshCommander does for its "IDE-R boot"
    power actions (UseIDER + IDERBootDevice in AMT_BootSettingData, SetBootConfigRole(1), ChangeBootOrder
    without a source; go-wsman-messages amt/boot names the same fields). Returns the settings changed."""
    caps = client.get('AMT_BootCapabilities')
    if ider_device and caps.get('IDER') is False:
        raise BootError('the firmware does not offer boot from a redirected drive (AMT_BootCapabilities.IDER is false)')
    if use_sol and caps.get('SOL') is False:
        raise BootError('the firmware does not offer the BIOS console over SOL (AMT_BootCapabilities.SOL is false)')
    current = client.get('AMT_BootSettingData', {'InstanceID': INSTANCE_IDS['boot_setting_data']})
    wanted = desired_settings(current, 'redirection')
    wanted['UseIDER'] = bool(ider_device)
    if ider_device:
        wanted['IDERBootDevice'] = IDER_BOOT_DEVICES[ider_device]
    wanted['UseSOL'] = bool(use_sol)
    changed = dict((k, v) for k, v in wanted.items() if current.get(k) != v)
    if check_mode:
        return changed
    client.invoke('CIM_BootConfigSetting', 'ChangeBootOrder', [])
    if changed:
        client.put('AMT_BootSettingData', wanted, {'InstanceID': INSTANCE_IDS['boot_setting_data']})
    config = EPR('CIM_BootConfigSetting', {'InstanceID': INSTANCE_IDS['boot_config']})
    client.invoke('CIM_BootService', 'SetBootConfigRole', [('BootConfigSetting', config), ('Role', 1)])
    return changed


def run_boot(client, params, check_mode=False, diff=False):
    device = params['device']
    caps = client.get('AMT_BootCapabilities')
    if device in SOURCES and caps.get(SOURCES[device][1]) is False:
        raise BootError('the firmware does not offer a forced %s boot (AMT_BootCapabilities.%s is false)'
                        % (device, SOURCES[device][1]))
    if device == 'bios_setup' and caps.get('BIOSSetup') is False:
        raise BootError('the firmware does not offer boot to BIOS setup (AMT_BootCapabilities.BIOSSetup is false)')
    source = SOURCES[device][0] if device in SOURCES else None
    if device == 'usb':
        source = _usb_source(client)
        if source is None:
            raise BootError('the firmware offers no USB boot source (no CIM_BootSourceSetting with a CIM:USB '
                            'structured boot string); use pxe, hdd or cdrom')
    current = client.get('AMT_BootSettingData', {'InstanceID': INSTANCE_IDS['boot_setting_data']})
    wanted = desired_settings(current, device)
    settings_change = dict((k, v) for k, v in wanted.items() if current.get(k) != v)
    result = {'changed': True, 'device': device, 'boot_source': source, 'settings_changed': sorted(settings_change),
              'power_action': None}
    power = None
    if params.get('power'):
        state, available = read_power(client)
        power = 2 if state != 2 else 10
        if power not in available:
            raise BootError('cannot %s the host to boot from %s: the device offers %s'
                            % ('power on' if power == 2 else 'reset', device,
                               ', '.join(power_state_name(v) for v in available)))
        result['power_action'] = {'name': 'on' if power == 2 else 'reset', 'value': power,
                                  'power_state_before': power_state_name(state)}
    if diff:
        result['diff'] = {'before': {'next_boot': 'unknown', 'settings': dict((k, current.get(k)) for k in settings_change)},
                          'after': {'next_boot': device, 'settings': settings_change}}
    if check_mode:
        result['exchanges'] = client.exchanges
        return result
    # Clear the boot order first: some firmware keeps a forced source from an earlier request, and then refuses
    # BIOS setup/pause in the Put (MeshCommander index.html powerActionResponse: ChangeBootOrder(null) ->
    # Put AMT_BootSettingData -> SetBootConfigRole(1) -> ChangeBootOrder(source or null)).
    client.invoke('CIM_BootConfigSetting', 'ChangeBootOrder', [])
    warnings = []
    if settings_change:
        selectors = {'InstanceID': INSTANCE_IDS['boot_setting_data']}
        out = write_or_reread(client, 'the AMT_BootSettingData update',
                              lambda: client.put('AMT_BootSettingData', wanted, selectors),
                              lambda: client.get('AMT_BootSettingData', selectors),
                              lambda found: all(found.get(k) == v for k, v in settings_change.items()),
                              describe=lambda found: 'boot settings %s' % dict((k, found.get(k)) for k in settings_change))
        if isinstance(out, OutcomeLost):
            warnings.append(out.warning)
    config = EPR('CIM_BootConfigSetting', {'InstanceID': INSTANCE_IDS['boot_config']})
    client.invoke('CIM_BootService', 'SetBootConfigRole', [('BootConfigSetting', config), ('Role', 1)])
    if source:
        client.invoke('CIM_BootConfigSetting', 'ChangeBootOrder',
                      [('Source', EPR('CIM_BootSourceSetting', {'InstanceID': source}))])
    if power is not None:
        warning = change_power(client, power, state)
        if warning:
            warnings.append(warning)
    if warnings:
        result['warnings'] = warnings
    result['exchanges'] = client.exchanges
    return result


OPTIONS = dict(
    device=dict(type='str', required=True, choices=list(DEVICES)),
    power=dict(type='bool', default=False),
)

OPERATION = Operation(OPTIONS, run_boot, name=lambda params: 'one-time boot to %s' % params['device'], fleet=True)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Numbers AMT speaks in, and what they mean (see the protocol reference §4.2, §5)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# CIM_AssociatedPowerManagementService.PowerState (DSP1027 numbering).
POWER_STATE_NAMES = {
    1: 'other', 2: 'on', 3: 'sleep_light', 4: 'sleep', 5: 'power_cycle_soft', 6: 'off_hard',
    7: 'hibernate', 8: 'off', 9: 'power_cycle_hard', 10: 'reset', 11: 'nmi', 12: 'off_graceful',
    13: 'off_hard_graceful', 14: 'reset_graceful', 15: 'power_cycle_soft_graceful',
    16: 'power_cycle_hard_graceful', 0: 'unknown',
}

# The power values AMT acts on through RequestPowerStateChange.
REQUEST_POWER_STATES = {
    'on': 2, 'sleep': 4, 'cycle': 5, 'hibernate': 7, 'off': 8, 'reset': 10, 'nmi': 11,
    'graceful_off': 12, 'graceful_reset': 14,
}

# Power states that count as "the host is not running".
OFF_STATES = frozenset([6, 8, 12, 13])

# SMBIOS UUIDs some vendors ship on every board: they identify nothing.
BOGUS_UUIDS = ('00000000-0000-0000-0000-000000000000', '03000200-0400-0500-0006-000700080009',
               'ffffffff-ffff-ffff-ffff-ffffffffffff')

# Provisioning.
PROVISIONING_STATES = {0: 'pre', 1: 'in', 2: 'post'}
PROVISIONING_MODES = {0: 'none', 1: 'acm', 4: 'ccm'}
CONTROL_MODES = {0: 'none', 1: 'ccm', 2: 'acm'}
# Control mode a provisioned device is in, by AMT_SetupAndConfigurationService.ProvisioningMode, for firmware
# without IPS_HostBasedSetupService.CurrentControlMode (1 = admin -> ACM, 4 = client -> CCM).
PROVISIONING_MODE_CONTROL = {1: 2, 4: 1}

INSTANCE_IDS = {
    'general_settings': 'Intel(r) AMT: General Settings',
    'boot_setting_data': 'Intel(r) AMT:BootSettingData 0',
    'boot_capabilities': 'Intel(r) AMT:BootCapabilities 0',
    'boot_config': 'Intel(r) AMT: Boot Configuration 0',
}

MANAGED_SYSTEM_SELECTORS = {'CreationClassName': 'CIM_ComputerSystem', 'Name': 'ManagedSystem'}

# Generic CIM method return codes.
CIM_RETURN = {
    0: 'Completed with no error', 1: 'Not supported', 2: 'Unknown or unspecified error', 3: 'Timeout',
    4: 'Failed', 5: 'Invalid parameter', 6: 'In use', 4096: 'Job started', 4097: 'Invalid state transition',
    4098: 'Use of timeout parameter not supported', 4099: 'Busy',
}

# AMT PT_STATUS codes used by AMT_* methods.
PT_STATUS = {
    0: 'SUCCESS', 1: 'INTERNAL_ERROR', 2: 'NOT_READY', 3: 'INVALID_PT_MODE', 4: 'INVALID_MESSAGE_LENGTH',
    16: 'NOT_PERMITTED', 23: 'MAX_LIMIT_REACHED', 32: 'INVALID_PROVISIONING_STATE', 35: 'INVALID_INDEX',
    36: 'INVALID_PARAMETER', 38: 'FLASH_WRITE_LIMIT_EXCEEDED', 2054: 'INVALID_PASSWORD', 2057: 'DATA_MISSING',
    2068: 'NOT_FOUND', 2076: 'BLOCKING_COMPONENT', 2081: 'USER_CONSENT_REQUIRED',
}

# Method-specific tables where the firmware documents its own enumeration.
METHOD_RETURN = {
    ('IPS_HostBasedSetupService', 'Setup'): {
        0: 'Success', 1: 'Internal error', 2: 'Invalid state (the device is not in pre-provisioning, or the call '
        'did not come from the local host interface)', 3: 'Invalid parameter (password hash or encryption type)',
        4: 'Method disabled', 5: 'Authentication failed', 6: 'Flash write limit exceeded'},
    ('IPS_HostBasedSetupService', 'AdminSetup'): {
        0: 'Success', 1: 'Internal error', 2: 'Invalid state (not in pre-provisioning, or not called on the '
        'local host interface)', 3: 'Invalid parameter', 5: 'Authentication failed (signature or certificate chain '
        'rejected)', 6: 'Flash write limit exceeded'},
    ('IPS_HostBasedSetupService', 'UpgradeClientToAdmin'): {
        0: 'Success', 1: 'Internal error', 2: 'Invalid state (the device is not in Client Control Mode)',
        3: 'Invalid parameter', 5: 'Authentication failed (signature or certificate chain rejected)',
        6: 'Flash write limit exceeded'},
    ('IPS_HostBasedSetupService', 'AddNextCertInChain'): {
        0: 'Success', 1: 'Invalid parameter', 2: 'Internal error', 3: 'Invalid state',
        4: 'Certificate verification failed (the root is not an enabled trusted hash, or the chain is broken)',
        5: 'Certificate chain length exceeded'},
    ('CIM_BootConfigSetting', 'ChangeBootOrder'): {
        0: 'Completed', 1: 'Not supported', 2: 'Unknown error', 3: 'Busy', 4: 'Invalid reference (no such boot source)',
        5: 'Invalid parameter', 6: 'Access denied'},
    ('CIM_BootService', 'SetBootConfigRole'): {
        0: 'Completed', 1: 'Not supported', 2: 'Unknown or unspecified error', 3: 'Busy', 4: 'Invalid reference',
        5: 'Invalid parameter', 6: 'Access denied'},
    ('CIM_PowerManagementService', 'RequestPowerStateChange'): {
        0: 'Completed', 1: 'Not supported', 2: 'Unknown or unspecified error (the device refused the change: '
        'the state is not available now, a redirection session is open, or the OS agent needed for graceful, '
        'sleep and hibernate states is not running)', 3: 'Timeout', 4: 'Failed', 5: 'Invalid parameter',
        6: 'In use', 4096: 'Job started', 4097: 'Invalid state transition', 4099: 'Busy'},
}


def return_value_meaning(cls, method, value):
    """Human meaning of a method's ReturnValue."""
    table = METHOD_RETURN.get((cls, method))
    if table and value in table:
        return table[value]
    if cls.startswith('AMT_') and value in PT_STATUS:
        return PT_STATUS[value]
    if cls.startswith('CIM_') and value in CIM_RETURN:
        return CIM_RETURN[value]
    if value in PT_STATUS:
        return PT_STATUS[value]
    return 'unknown return value'


def power_state_name(value):
    try:
        return POWER_STATE_NAMES.get(int(value), 'unknown')
    except (TypeError, ValueError):
        return 'unknown'

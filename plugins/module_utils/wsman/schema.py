# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property types of the AMT classes we use, so parsed instances come back typed.

Only properties whose type matters to callers are listed: integers, booleans and arrays
(an array with one element must still be a list). Everything else stays a string.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

_COMMON = {
    'EnabledState': 'int', 'RequestedState': 'int', 'EnabledDefault': 'int', 'ReturnValue': 'int',
    'OperationalStatus': 'int[]', 'HealthState': 'int',
}

SCHEMA = {
    'CIM_AssociatedPowerManagementService': {
        'PowerState': 'int', 'AvailableRequestedPowerStates': 'int[]', 'RequestedPowerState': 'int',
    },
    'CIM_PowerManagementService': {},
    'IPS_PowerManagementService': {'OSPowerSavingState': 'int'},
    'AMT_GeneralSettings': {
        'AMTNetworkEnabled': 'int', 'DDNSPeriodicUpdateInterval': 'int', 'DDNSTTL': 'int',
        'DDNSUpdateByDHCPServerEnabled': 'bool', 'DDNSUpdateEnabled': 'bool', 'DHCPSyncRequiresHostname': 'int',
        'DHCPv6ConfigurationTimeout': 'int', 'IdleWakeTimeout': 'int', 'NetworkInterfaceEnabled': 'bool',
        'PingResponseEnabled': 'bool', 'PowerSource': 'int', 'PreferredAddressFamily': 'int',
        'PresenceNotificationInterval': 'int', 'PrivacyLevel': 'int', 'RmcpPingResponseEnabled': 'bool',
        'SharedFQDN': 'bool', 'ThunderboltDockEnabled': 'int', 'WsmanOnlyMode': 'bool',
    },
    'AMT_SetupAndConfigurationService': {
        'PasswordModel': 'int', 'ProvisioningMode': 'int', 'ProvisioningState': 'int',
        'ZeroTouchConfigurationEnabled': 'bool',
    },
    'IPS_HostBasedSetupService': {
        'AllowedControlModes': 'int[]', 'CertChainStatus': 'int', 'CurrentControlMode': 'int',
    },
    'AMT_ProvisioningCertificateHash': {'HashType': 'int', 'Enabled': 'bool', 'IsDefault': 'bool'},
    'AMT_BootCapabilities': {
        'BIOSPause': 'bool', 'BIOSReflash': 'bool', 'BIOSSecureBoot': 'bool', 'BIOSSetup': 'bool',
        'ConfigurationDataReset': 'bool', 'ForceCDorDVDBoot': 'bool', 'ForceDiagnosticBoot': 'bool',
        'ForceHardDriveBoot': 'bool', 'ForceHardDriveSafeModeBoot': 'bool', 'ForcePXEBoot': 'bool',
        'ForceUEFIHTTPSBoot': 'bool', 'ForceUEFILocalPBABoot': 'bool', 'ForceWinREBoot': 'bool',
        'ForcedProgressEvents': 'bool', 'IDER': 'bool', 'KeyboardLock': 'bool', 'PowerButtonLock': 'bool',
        'ResetButtonLock': 'bool', 'SOL': 'bool', 'SecureErase': 'bool', 'SleepButtonLock': 'bool',
        'UserPasswordBypass': 'bool', 'VerbosityQuiet': 'bool', 'VerbosityScreenBlank': 'bool',
        'VerbosityVerbose': 'bool', 'PlatformErase': 'int',
    },
    'AMT_BootSettingData': {
        'BIOSLastStatus': 'int[]', 'BIOSPause': 'bool', 'BIOSSetup': 'bool', 'BootMediaIndex': 'int',
        'BootguardStatus': 'int', 'ConfigurationDataReset': 'bool', 'EnforceSecureBoot': 'bool',
        'FirmwareVerbosity': 'int', 'ForcedProgressEvents': 'bool', 'IDERBootDevice': 'int',
        'LockKeyboard': 'bool', 'LockPowerButton': 'bool', 'LockResetButton': 'bool', 'LockSleepButton': 'bool',
        'OptionsCleared': 'bool', 'PlatformErase': 'int', 'RPEEnabled': 'bool', 'ReflashBIOS': 'bool',
        'SecureBootControlEnabled': 'bool', 'SecureErase': 'bool', 'UEFIHTTPSBootEnabled': 'bool',
        'UEFILocalPBABootEnabled': 'bool', 'UefiBootNumberOfParams': 'int', 'UseIDER': 'bool', 'UseSOL': 'bool',
        'UseSafeMode': 'bool', 'UserPasswordBypass': 'bool', 'WinREBootEnabled': 'bool',
    },
    'CIM_BootSourceSetting': {'FailThroughSupported': 'int'},
    'CIM_BootConfigSetting': {},
    'CIM_BootService': {},
    'IPS_AlarmClockOccurrence': {'DeleteOnCompletion': 'bool'},
    'AMT_AlarmClockService': {},
    'AMT_RedirectionService': {'ListenerEnabled': 'bool', 'AccessLog': 'str[]'},
    'CIM_KVMRedirectionSAP': {'KVMProtocol': 'int'},
    'IPS_OptInService': {
        'OptInRequired': 'int', 'OptInState': 'int', 'CanModifyOptInPolicy': 'bool',
        'OptInCodeTimeout': 'int', 'OptInDisplayTimeout': 'int',
    },
    'CIM_SoftwareIdentity': {'IsEntity': 'bool'},
    'CIM_Chassis': {'PackageType': 'int', 'ChassisPackageType': 'int', 'CanBeFRUed': 'bool'},
    'CIM_Card': {'PackageType': 'int', 'CanBeFRUed': 'bool'},
    'CIM_MediaAccessDevice': {'MaxMediaSize': 'int', 'Capabilities': 'int[]', 'Security': 'int',
                              'EnabledDefault': 'int'},
    'CIM_Processor': {
        'Family': 'int', 'CurrentClockSpeed': 'int', 'MaxClockSpeed': 'int', 'ExternalBusClockSpeed': 'int',
        'CPUStatus': 'int', 'UpgradeMethod': 'int',
    },
    'CIM_Chip': {'CanBeFRUed': 'bool'},
    'CIM_PhysicalMemory': {
        'Capacity': 'int', 'ConfiguredMemoryClockSpeed': 'int', 'MaxMemorySpeed': 'int', 'Speed': 'int',
        'FormFactor': 'int', 'MemoryType': 'int', 'CanBeFRUed': 'bool', 'IsSpeedInMhz': 'bool',
    },
    'CIM_BIOSElement': {'PrimaryBIOS': 'bool', 'TargetOperatingSystem': 'int', 'SoftwareElementState': 'int'},
    'AMT_EthernetPortSettings': {
        'DHCPEnabled': 'bool', 'IpSyncEnabled': 'bool', 'LinkIsUp': 'bool', 'SharedMAC': 'bool',
        'SharedStaticIp': 'bool', 'SharedDynamicIP': 'bool', 'LinkPolicy': 'int[]', 'LinkPreference': 'int',
        'LinkControl': 'int', 'ConsoleTcpMaxRetransmissions': 'int', 'WLANLinkProtectionLevel': 'int',
        'PhysicalConnectionType': 'int',
    },
}


def property_type(cls, prop):
    """'int', 'bool', 'int[]' ... or None when the property is untyped (kept as a string)."""
    kind = SCHEMA.get(cls, {}).get(prop)
    if kind is None and cls in SCHEMA:
        kind = _COMMON.get(prop)
    if kind is None and prop == 'ReturnValue':
        kind = 'int'
    return kind

"""Hardware inventory classes (reference §5.2.6)."""

from tests.simulator.registry import ClassHandler, Datetime, EPR, register


def _hw(device):
    return device.state['hardware']


@register
class Chassis(ClassHandler):
    # Real firmware answers a Get of CIM_Chassis but leaves it out of the CIM_PhysicalPackage enumeration
    # (the captured CIM_PhysicalPackage Pull holds only CIM_Card; james-crowley/ansible-collection-intel-amt
    # docs/amt_info.md reads the chassis with a Get, tested on AMT 16.1 and 19). So no also_enumerated_by here.
    name = 'CIM_Chassis'

    def instances(self, device, ctx):
        c = _hw(device)['chassis']
        return [{'CanBeFRUed': True, 'ChassisPackageType': c.get('ChassisPackageType', 3),
                 'CreationClassName': 'CIM_Chassis', 'ElementName': 'Managed System Chassis',
                 'Manufacturer': c['Manufacturer'], 'Model': c['Model'], 'OperationalStatus': [0], 'PackageType': 3,
                 'SerialNumber': c['SerialNumber'], 'Tag': 'CIM_Chassis', 'Version': c.get('Version', '')}]


@register
class Card(ClassHandler):
    name = 'CIM_Card'
    also_enumerated_by = ('CIM_PhysicalPackage',)

    def instances(self, device, ctx):
        c = _hw(device)['card']
        return [{'CanBeFRUed': True, 'CreationClassName': 'CIM_Card', 'ElementName': 'Managed System Base Board',
                 'Manufacturer': c['Manufacturer'], 'Model': c['Model'], 'OperationalStatus': [0], 'PackageType': 9,
                 'SerialNumber': c['SerialNumber'], 'Tag': 'CIM_Card', 'Version': c.get('Version', '')}]


@register
class ComputerSystemPackage(ClassHandler):
    name = 'CIM_ComputerSystemPackage'

    def instances(self, device, ctx):
        return [{'Antecedent': EPR('CIM_Chassis', {'CreationClassName': 'CIM_Chassis', 'Tag': 'CIM_Chassis'}),
                 'Dependent': EPR('CIM_ComputerSystem', {'CreationClassName': 'CIM_ComputerSystem',
                                                         'Name': 'ManagedSystem'}),
                 'PlatformGUID': device.state['platform_guid']}]


@register
class Processor(ClassHandler):
    name = 'CIM_Processor'

    def instances(self, device, ctx):
        out = []
        for p in _hw(device)['processors']:
            out.append({'CPUStatus': 1, 'CreationClassName': 'CIM_Processor', 'CurrentClockSpeed': p['CurrentClockSpeed'],
                        'DeviceID': p['DeviceID'], 'ElementName': 'Managed System CPU', 'EnabledState': 2,
                        'ExternalBusClockSpeed': p['ExternalBusClockSpeed'], 'Family': p['Family'],
                        'HealthState': 0, 'MaxClockSpeed': p['MaxClockSpeed'], 'OperationalStatus': [0],
                        'RequestedState': 12, 'Role': 'Central', 'Stepping': p['Stepping'],
                        'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'ManagedSystem',
                        'UpgradeMethod': 1})
        return out


@register
class Chip(ClassHandler):
    name = 'CIM_Chip'

    def instances(self, device, ctx):
        return [{'CanBeFRUed': True, 'CreationClassName': 'CIM_Chip', 'ElementName': 'Managed System Processor Chip',
                 'Manufacturer': 'Intel(R) Corporation', 'OperationalStatus': [0], 'Tag': p['DeviceID'],
                 'Version': p['Brand']} for p in _hw(device)['processors']]


@register
class PhysicalMemory(ClassHandler):
    name = 'CIM_PhysicalMemory'

    def instances(self, device, ctx):
        out = []
        for m in _hw(device)['memory']:
            out.append({'BankLabel': m['BankLabel'], 'Capacity': m['Capacity'],
                        'ConfiguredMemoryClockSpeed': m['ConfiguredMemoryClockSpeed'],
                        'CreationClassName': 'CIM_PhysicalMemory', 'ElementName': 'Managed System Memory Chip',
                        'FormFactor': m['FormFactor'], 'IsSpeedInMhz': True, 'Manufacturer': m['Manufacturer'],
                        'MaxMemorySpeed': m['MaxMemorySpeed'], 'MemoryType': m['MemoryType'],
                        'PartNumber': m['PartNumber'], 'SerialNumber': m['SerialNumber'], 'Speed': 0,
                        'Tag': m['Tag']})
        return out


@register
class BIOSElement(ClassHandler):
    name = 'CIM_BIOSElement'

    def instances(self, device, ctx):
        b = _hw(device)['bios']
        return [{'ElementName': 'Primary BIOS', 'Manufacturer': b['Manufacturer'], 'Name': 'Primary BIOS',
                 'OperationalStatus': [0], 'PrimaryBIOS': True, 'ReleaseDate': Datetime(b['ReleaseDate']),
                 'SoftwareElementID': b['Version'], 'SoftwareElementState': 2, 'TargetOperatingSystem': 66,
                 'Version': b['Version']}]


DEFAULT_DISKS = [{'DeviceID': 'MEDIA DEV 0', 'MaxMediaSize': 500107862, 'Capabilities': [4, 10], 'Security': 2}]


@register
class MediaAccessDevice(ClassHandler):
    """Disks as AMT reports them: no model, vendor or serial (the class has none); sizes in KBytes.
    Properties as go-wsman-messages pkg/wsman/cim/mediaaccess types.go lists them."""
    name = 'CIM_MediaAccessDevice'

    def instances(self, device, ctx):
        out = []
        for d in _hw(device).get('storage', DEFAULT_DISKS):
            out.append({'Capabilities': d.get('Capabilities', [4, 10]), 'CreationClassName': 'CIM_MediaAccessDevice',
                        'DeviceID': d['DeviceID'], 'ElementName': 'Managed System Media Access Device',
                        'EnabledDefault': 2, 'EnabledState': 0, 'MaxMediaSize': d['MaxMediaSize'],
                        'OperationalStatus': [0], 'RequestedState': 12, 'Security': d.get('Security', 2),
                        'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'ManagedSystem'})
        return out

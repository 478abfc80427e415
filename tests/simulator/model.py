"""The device model: one JSON-serialisable state dict per simulated AMT device."""

import base64
import hashlib
import json
import os
import random
import uuid

VERSIONS = ['16.1.25.1917', '15.0.23.1706', '12.0.67.1579', '11.8.50.3425']
VENDORS = [('Intel Corporation', 'NUC9V7QNX', 'NUC9V7QNB'), ('HP', 'EliteDesk 800 G6', '8715'),
           ('Dell Inc.', 'OptiPlex 7090', '0K0WMF'), ('LENOVO', 'ThinkCentre M920q', '3136')]

# Factory (OEM/Intel) trusted root hashes: fixed, recognisable values derived from names.
DEFAULT_ROOTS = ['VeriSign Class 3 Primary CA-G5', 'Go Daddy Class 2 CA', 'Comodo AAA CA', 'Baltimore CyberTrust Root',
                 'DigiCert Global Root CA', 'Entrust Root CA - G2']


def _rng(address, salt=''):
    return random.Random(hashlib.sha256(('%s|%s' % (address, salt)).encode()).digest())


def new_realm(rng):
    return 'Digest:' + ''.join(rng.choice('0123456789ABCDEF') for _unused in range(32))


def new_nonce_b64():
    return base64.b64encode(os.urandom(20)).decode('ascii')


def default_state(address, index, admin_password='P@ssw0rd', mode='ccm', seed=''):
    rng = _rng(address, seed)
    version = VERSIONS[index % len(VERSIONS)]
    vendor, model, board = VENDORS[index % len(VENDORS)]
    dev_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
    mac = '00:1b:21:%02x:%02x:%02x' % (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    dhcp = index % 5 != 4
    prov = {'pre': (0, 1, 0), 'ccm': (2, 4, 1), 'acm': (2, 1, 2)}[mode]
    octets = address.split('.')
    state = {
        'address': address,
        'index': index,
        'hostname': 'pc-%s-%s' % (octets[2], octets[3]),
        'domain': 'corp.example.com',
        'amt_version': version,
        'realm': new_realm(rng),
        # Most captures say qop="auth"; some 16.1 devices say "auth-int, auth" (reference amt-wsman.md 1.3:
        # rps issue #779 capture). A per-device setting (override per device in a fleet spec): every other 16.1
        # device of a fleet (the 1st, 3rd ... of them), so most of a fleet answers "auth".
        'qop_variant': 'auth-int, auth' if version.startswith('16.1') and (index // len(VERSIONS)) % 2 == 0
        else 'auth',
        'admin_username': 'admin',
        'admin_password': admin_password,
        'local_username': '$$OsAdmin',
        'local_password': base64.b64encode(rng.getrandbits(96).to_bytes(12, 'big')).decode('ascii'),
        'provisioning_state': prov[0],
        'provisioning_mode': prov[1],
        'control_mode': prov[2],
        'configuration_nonce': base64.b64encode(rng.getrandbits(160).to_bytes(20, 'big')).decode('ascii'),
        'uuid': str(dev_uuid),
        'platform_guid': dev_uuid.bytes_le.hex().upper(),
        'power_state': 2,
        'os_agent': True,
        'os_power_saving': 2,
        'redirection_session': False,
        'redirection_state': 32771,
        'reboots': 0,
        'power_requests': [],
        'boot': {},
        'alarms': [],
        'hashes': [{'name': n, 'algorithm': 2, 'hash': hashlib.sha256(n.encode()).hexdigest(), 'enabled': True,
                    'default': True, 'id': 'Intel(r) AMT Certificate Hash: %d' % i} for i, n in enumerate(DEFAULT_ROOTS)],
        'hash_create_allowed': not version.startswith('16'),
        'pki_dns_suffix': 'corp.example.com',
        'network': {
            'dhcp_enabled': dhcp, 'ip': address if not dhcp else '10.%d.%s.%s' % (index % 200, octets[2], octets[3]),
            'mask': '255.255.255.0', 'gateway': '10.0.0.1', 'dns': '10.0.0.53', 'mac': mac, 'link_up': True,
        },
        'host_network': {'dhcp_enabled': dhcp},
        'hardware': {
            'chassis': {'Manufacturer': vendor, 'Model': model, 'SerialNumber': 'SN%08d' % rng.randrange(10 ** 8),
                        'Version': '1.0', 'ChassisPackageType': 3},
            'card': {'Manufacturer': vendor, 'Model': board, 'SerialNumber': 'BSN%08d' % rng.randrange(10 ** 8),
                     'Version': 'K47173-406'},
            'bios': {'Manufacturer': vendor, 'Version': 'QNCFLX70.0034.2019.1125.1424', 'ReleaseDate': '2019-11-25T00:00:00Z'},
            'processors': [{'DeviceID': 'CPU 0', 'Family': 198, 'MaxClockSpeed': 4700, 'CurrentClockSpeed': 2600,
                            'ExternalBusClockSpeed': 100, 'Stepping': '13', 'Brand': 'Intel(R) Core(TM) i7-9850H CPU @ 2.60GHz'}],
            'memory': [{'BankLabel': 'BANK %d' % i, 'Capacity': 17179869184, 'Speed': 2667, 'MaxMemorySpeed': 2667,
                        'ConfiguredMemoryClockSpeed': 2667, 'FormFactor': 12, 'MemoryType': 26,
                        'Manufacturer': '859B', 'PartNumber': 'CT16G4SFRA266.C8FE',
                        'SerialNumber': '%08X' % rng.getrandbits(32), 'Tag': '9876543210 %d' % i} for i in range(2)],
        },
        'faults': {},
    }
    return state


class Device:
    """State + persistence + per-device protocol counters (not persisted)."""

    def __init__(self, state, state_dir):
        self.state = state
        self.state_dir = state_dir
        self.message_counter = 0
        self.nonces = {}             # nonce -> {'created': t, 'nc': last nc}
        self.enumerations = {}       # context -> {'items': [...], 'created': t}
        self.enum_counter = 0
        self.active_connections = 0
        self.exchanges_with_faults = 0
        self.ssl_context = None

    @property
    def address(self):
        return self.state['address']

    def path(self):
        return os.path.join(self.state_dir, 'devices', '%s.json' % self.address)

    def save(self):
        path = self.path()
        tmp = path + '.tmp'
        # json.dumps without indent runs the C encoder: 0.3 ms a save instead of 0.55 ms (json.dump with indent
        # is the pure-Python encoder, ~600 writes a device); a save follows every state-changing request
        data = json.dumps(self.state, sort_keys=True, separators=(',', ':'))
        with open(tmp, 'w') as fh:
            fh.write(data)
        os.replace(tmp, path)

    def next_message_id(self):
        self.message_counter += 1
        return 'uuid:00000000-8086-8086-8086-%012X' % self.message_counter

    def new_context(self, items):
        self.enum_counter += 1
        ctx = '%08X-0000-0000-0000-000000000000' % (0x1000 + self.enum_counter)
        self.enumerations[ctx] = {'items': list(items)}
        # firmware keeps only a few open enumerations; drop the oldest
        while len(self.enumerations) > 16:
            self.enumerations.pop(next(iter(self.enumerations)))
        return ctx

    def regenerate_nonce(self):
        self.state['configuration_nonce'] = new_nonce_b64()


def load_or_create(state_dir, address, index, admin_password, mode, overrides=None, seed=''):
    path = os.path.join(state_dir, 'devices', '%s.json' % address)
    if os.path.exists(path):
        with open(path) as fh:
            state = json.load(fh)
        device = Device(state, state_dir)
        return device, False
    state = default_state(address, index, admin_password, mode, seed)
    if overrides:
        deep_merge(state, overrides)
    return Device(state, state_dir), True


def deep_merge(target, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict) and key != 'faults':
            deep_merge(target[key], value)
        else:
            target[key] = value
    return target

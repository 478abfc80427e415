# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Intel AMT USB provisioning file (setup.bin): byte format, encoder, decoder, validation.

Layout (all integers little-endian): one 512-byte file header chunk, then one 512-byte chunk per
data record. A record is a 24-byte header followed by entries {module u16, variable u16,
length u16, 0 u16, value, zero padding to 4}. Scrambled records (v4) hold every byte from offset
24 to the end of the record plus 0x11.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import struct
import uuid

from ansible_collections.oob.amt.plugins.module_utils.formats.certs import normalize_hash

CHUNK = 512
FILE_HEADER_FIXED = 40
RECORD_HEADER = 24
RECORD_CAPACITY = CHUNK - RECORD_HEADER
SCRAMBLE = 0x11
FLAG_DO_NOT_CONSUME = 1
RECORD_VALID = 1
RECORD_SCRAMBLED = 2

UUID_V1 = uuid.UUID('71FB16B5-CB87-4AF9-B441-CA7B383578F9')
UUID_V2 = uuid.UUID('5881B296-6BCF-4C72-8B91-A15E512E99C4')
UUID_V3 = uuid.UUID('C6F6F7A7-C489-47F6-93ED-E2E5020DA51D')
UUID_V4 = uuid.UUID('5234A9AA-29E1-44A9-8D4D-081C07B96353')
# version name -> (file type UUID, major, minor); MEBx accepts exactly these pairs.
VERSIONS = {
    '1': (UUID_V1, 1, 0),
    '2.0': (UUID_V2, 2, 0),
    '2.1': (UUID_V2, 2, 1),
    '3': (UUID_V3, 3, 0),
    '4': (UUID_V4, 4, 0),
}
DEFAULT_VERSION = '4'

HASH_ALGORITHMS = {'sha1': (1, 20), 'sha256': (2, 32), 'sha384': (3, 48)}
HASH_ALGORITHM_NAMES = dict((v[0], k) for k, v in HASH_ALGORITHMS.items())

# (module, variable) -> (name, value type). Secrets are never reported back.
VARIABLES = {
    (1, 1): ('current_password', 'secret'),
    (1, 2): ('new_password', 'secret'),
    (1, 3): ('manageability_selection', 'u8'),
    (1, 4): ('local_fw_update', 'u8'),
    (1, 6): ('power_package', 'guid'),
    (2, 3): ('pki_dns_suffix', 'str'),
    (2, 4): ('provisioning_server_fqdn', 'str'),
    (2, 5): ('ztc_enabled', 'u8'),
    (2, 6): ('default_hashes_enabled', 'u8'),
    (2, 7): ('user_hashes_config', 'u8'),
    (2, 8): ('trusted_hash', 'hash'),
    (2, 10): ('redirection', 'u8'),
    (2, 11): ('hostname', 'str'),
    (2, 12): ('domain', 'str'),
    (2, 13): ('dhcp', 'u8'),
    (2, 15): ('idle_timeout', 'u32'),
    (2, 17): ('provisioning_server_address', 'ip'),
    (2, 18): ('provisioning_server_port', 'u16'),
    (2, 19): ('static_ipv4', 'raw'),
    (2, 21): ('password_policy', 'u8'),
    (2, 22): ('ipv6', 'raw'),
    (2, 23): ('shared_fqdn', 'u8'),
    (2, 24): ('dynamic_dns', 'u8'),
    (2, 25): ('kvm_enabled', 'u8'),
    (2, 26): ('user_consent', 'u8'),
    (2, 27): ('remote_it_consent', 'u8'),
    (2, 28): ('start_configuration', 'u8'),
    (2, 29): ('manual_setup', 'u8'),
}
# Ids current MEBx rejects the whole record for (reference §6): never written, flagged on read.
ABORTING = {(1, 5), (2, 1), (2, 2), (2, 14), (2, 16), (2, 20)} | set((2, v) for v in range(30, 36))


class SetupBinError(ValueError):
    """A setup.bin that cannot be built or read; the message never contains a password."""


# -- low level: bytes <-> structure ---------------------------------------------------------------

def pack_entries(entries):
    """Entries [(module, variable, value bytes)] sorted by (module, variable) as Intel's tools write them."""
    out = bytearray()
    for module, variable, value in sorted(entries, key=lambda e: (e[0], e[1])):
        out += struct.pack('<HHHH', module, variable, len(value), 0) + value
        out += b'\0' * ((4 - len(value) % 4) % 4)
    return bytes(out)


def encode_record(entries, number, scrambled=False, valid=True):
    body = pack_entries(entries)
    if len(body) > RECORD_CAPACITY:
        raise SetupBinError('a record holds %d bytes of settings, these need %d: use fewer trusted hashes or '
                            'shorter names' % (RECORD_CAPACITY, len(body)))
    body += b'\0' * (RECORD_CAPACITY - len(body))
    flags = (RECORD_VALID if valid else 0) | (RECORD_SCRAMBLED if scrambled else 0)
    if scrambled:
        body = bytes((b + SCRAMBLE) & 0xFF for b in body)
    header = struct.pack('<II8sHHI', 1, flags, b'\0' * 8, 1, RECORD_HEADER, number)
    return header + body


def encode_file(records, version=DEFAULT_VERSION, consume=False, scrambled=False, module_list=None,
                header_bytes=None, records_consumed=0):
    """setup.bin bytes. records: list of entry lists. module_list/header_bytes reproduce files written by
    other tools (default: the modules in use, and 40 + 2n + 2 like Intel's ACU)."""
    file_uuid, major, minor = VERSIONS[version]
    if module_list is None:
        module_list = sorted(set(e[0] for rec in records for e in rec))
    if header_bytes is None:
        header_bytes = FILE_HEADER_FIXED + 2 * len(module_list) + 2
    flags = 0 if consume else FLAG_DO_NOT_CONSUME
    header = file_uuid.bytes_le + struct.pack('<HHIBBHIIHH', 1, header_bytes, 0, major, minor, flags,
                                              len(records), records_consumed, 1, 0)
    if module_list:
        header += struct.pack('<%dH' % (len(module_list) + 1), *(list(module_list) + [0]))
    header += b'\0' * (CHUNK - len(header))
    out = [header]
    for number, entries in enumerate(records, 1):
        out.append(encode_record(entries, number, scrambled=scrambled))
    return b''.join(out)


def _version_name(file_uuid, major, minor):
    for name, spec in VERSIONS.items():
        if spec == (file_uuid, major, minor):
            return name
    return None


def decode_file(data):
    """Header fields and records (entries de-scrambled) of a setup.bin; SetupBinError when malformed."""
    if len(data) < CHUNK:
        raise SetupBinError('not a setup.bin: %d bytes, the header alone is %d' % (len(data), CHUNK))
    file_uuid = uuid.UUID(bytes_le=bytes(data[:16]))
    (chunk_count, header_bytes, record_number, major, minor, flags, count, consumed, rec_chunks,
     reserved) = struct.unpack_from('<HHIBBHIIHH', data, 16)
    version = _version_name(file_uuid, major, minor)
    if version is None:
        raise SetupBinError('not a setup.bin MEBx accepts: file type %s with version %d.%d' % (file_uuid, major, minor))
    if not 1 <= chunk_count <= 10 or not 1 <= rec_chunks <= 10:
        raise SetupBinError('chunk counts must be 1 to 10 (header %d, records %d)' % (chunk_count, rec_chunks))
    expected = CHUNK * (chunk_count + count * rec_chunks)
    if len(data) != expected:
        raise SetupBinError('file size %d does not match the header (%d records: %d bytes)' % (len(data), count, expected))
    if consumed > count:
        raise SetupBinError('header says %d of %d records are consumed' % (consumed, count))
    modules = []
    offset = FILE_HEADER_FIXED
    while offset + 2 <= CHUNK:
        (mod,) = struct.unpack_from('<H', data, offset)
        if not mod:
            break
        modules.append(mod)
        offset += 2
    info = {
        'version': version, 'major': major, 'minor': minor, 'file_type_uuid': str(file_uuid).upper(),
        'record_chunk_count': chunk_count, 'header_bytes': header_bytes, 'record_number': record_number,
        'file_flags': flags, 'consume': not (flags & FLAG_DO_NOT_CONSUME) or major == 1,
        'data_record_count': count, 'data_records_consumed': consumed, 'data_record_chunk_count': rec_chunks,
        'reserved': reserved, 'module_list': modules, 'size': len(data), 'records': [],
    }
    for i in range(count):
        start = CHUNK * (chunk_count + i * rec_chunks)
        info['records'].append(decode_record(data[start:start + CHUNK * rec_chunks]))
    return info


def decode_record(raw):
    rtype, flags, reserved, chunks, hbytes, number = struct.unpack_from('<II8sHHI', raw, 0)
    record = {'type': rtype, 'flags': flags, 'valid': bool(flags & RECORD_VALID),
              'scrambled': bool(flags & RECORD_SCRAMBLED), 'reserved_hex': reserved.hex(),
              'chunk_count': chunks, 'header_bytes': hbytes, 'number': number, 'entries': []}
    if not hbytes or hbytes >= len(raw):
        raise SetupBinError('record %d: header length %d is not usable' % (number, hbytes))
    body = bytearray(raw[hbytes:CHUNK * max(chunks, 1)])
    if record['scrambled']:
        body = bytearray((b - SCRAMBLE) & 0xFF for b in body)
    offset = 0
    while offset + 8 <= len(body):
        module, variable, length, _pad = struct.unpack_from('<HHHH', body, offset)
        if module == 0 and variable == 0 and length == 0:
            break
        if offset + 8 + length > len(body):
            break
        record['entries'].append((module, variable, bytes(body[offset + 8:offset + 8 + length])))
        offset += 8 + 4 * ((length + 3) // 4)
    return record


# -- values ---------------------------------------------------------------------------------------

def _ascii(option, value, low, high):
    try:
        raw = value.encode('ascii')
    except UnicodeEncodeError:
        raise SetupBinError('option %s must be ASCII' % option)
    # the firmware reads these as C strings and shows them on MEBx lines: a NUL would cut the value short (a
    # password set to less than was asked), CR/LF and other control characters have no place in them
    bad = next((i for i, byte in enumerate(bytearray(raw)) if byte < 0x20 or byte == 0x7f), None)
    if bad is not None:
        raise SetupBinError('option %s contains a control character (0x%02x at position %d: NUL, newline and the '
                            'like are refused); the value itself is not shown' % (option, bytearray(raw)[bad], bad))
    if not low <= len(raw) <= high:
        raise SetupBinError('option %s must be %d to %d characters (it has %d)' % (option, low, high, len(raw)))
    return raw


def _u8(value):
    return struct.pack('<B', int(value))


def hash_entry_value(algorithm, digest_hex, name):
    """Value of variable 2/8: algorithm u8, digest, name length u8, name (ASCII, at most 31)."""
    if algorithm not in HASH_ALGORITHMS:
        raise SetupBinError('trusted hash algorithm must be one of %s' % ', '.join(sorted(HASH_ALGORITHMS)))
    code, size = HASH_ALGORITHMS[algorithm]
    try:
        digest = bytes.fromhex(normalize_hash(digest_hex))
    except ValueError:
        raise SetupBinError('trusted hash %r is not hexadecimal' % digest_hex)
    if len(digest) != size:
        raise SetupBinError('a %s hash has %d bytes, %r has %d' % (algorithm, size, digest_hex, len(digest)))
    raw_name = _ascii('trusted_hashes.name', name, 1, 31)
    return struct.pack('<B', code) + digest + struct.pack('<B', len(raw_name)) + raw_name


def ipv4_or_ipv6_reversed(address):
    """AMT stores the provisioning server address last byte first."""
    try:
        return ipaddress.ip_address(address).packed[::-1]
    except ValueError:
        raise SetupBinError('option provisioning_server_address: %r is not an IPv4 or IPv6 address' % address)


def describe_value(module, variable, value):
    """A reportable form of one entry's value (passwords are never reported)."""
    name, kind = VARIABLES.get((module, variable), ('unknown_%d_%d' % (module, variable), 'raw'))
    if kind == 'secret':
        shown = {'length': len(value)}
    elif kind == 'str':
        shown = value.decode('ascii', 'replace')
    elif kind == 'u8' and len(value) == 1:
        shown = value[0]
    elif kind == 'u16' and len(value) == 2:
        shown = struct.unpack('<H', value)[0]
    elif kind == 'u32' and len(value) == 4:
        shown = struct.unpack('<I', value)[0]
    elif kind == 'guid' and len(value) == 16:
        shown = str(uuid.UUID(bytes_le=value)).upper()
    elif kind == 'ip' and len(value) in (4, 16):
        shown = str(ipaddress.ip_address(value[::-1]))
    elif kind == 'hash' and len(value) >= 22:
        algo = HASH_ALGORITHM_NAMES.get(value[0], 'unknown(%d)' % value[0])
        size = HASH_ALGORITHMS.get(algo, (0, len(value) - 2))[1]
        name_len = value[1 + size] if len(value) > 1 + size else 0
        shown = {'algorithm': algo, 'hash': value[1:1 + size].hex(),
                 'name': value[2 + size:2 + size + name_len].decode('ascii', 'replace')}
    else:
        shown = value.hex()
    return name, shown


def warnings_for(module, variable, value):
    """What current MEBx does with entries other tools write but that break or stall provisioning."""
    if (module, variable) in ABORTING:
        return ['variable %d/%d is reserved: current MEBx rejects the whole record' % (module, variable)]
    if (module, variable) not in VARIABLES:
        return ['variable %d/%d is unknown: current MEBx rejects the whole record' % (module, variable)]
    if (module, variable) == (2, 29) and value == b'\x01':
        return ['manual setup (2/29 = 1): current MEBx answers "manual configuration unsupported" and stops']
    if (module, variable) == (2, 10) and value and value[0] & 4:
        return ['redirection bit 2 (legacy user/password auth) makes MEBx wait for a key press']
    return []


def describe_file(info):
    """decode_file() output as a report: settings per record, no password values."""
    report = dict((k, v) for k, v in info.items() if k != 'records')
    report['records'] = []
    for rec in info['records']:
        settings = {}
        warnings = []
        for module, variable, value in rec['entries']:
            name, shown = describe_value(module, variable, value)
            if name == 'trusted_hash':
                settings.setdefault('trusted_hashes', []).append(shown)
            else:
                settings[name] = shown
            warnings.extend(warnings_for(module, variable, value))
        entry_ids = ['%d/%d' % (m, v) for m, v, _value in rec['entries']]
        report['records'].append({
            'number': rec['number'], 'valid': rec['valid'], 'scrambled': rec['scrambled'],
            'consumed': not rec['valid'], 'entries': entry_ids, 'settings': settings, 'warnings': warnings})
    return report


# -- high level: settings -> validated entries -----------------------------------------------------

def record_entries(settings, version, password_rules=None):
    """Entries for one record from named settings (module option names), validated against the version
    and MEBx's rules before anything is written. Raises SetupBinError naming the option.

    password_rules(password) -> list of broken rules: the AMT password rules (amt/password.py, check_password),
    given by the caller so this file format module needs nothing from the AMT layer."""
    _uuid, major, minor = VERSIONS[version]
    entries = []
    current = settings.get('current_password')
    new = settings.get('new_password')
    if not current:
        raise SetupBinError('current_password (the MEBx password now, factory default "admin") is required')
    entries.append((1, 1, _ascii('current_password', current, 1, 32)))
    if new:
        problems = password_rules(new) if password_rules else []
        if problems:
            raise SetupBinError('new_password breaks the AMT password rules: %s' % '; '.join(problems))
        entries.append((1, 2, _ascii('new_password', new, 8, 32)))
    elif current == 'admin':
        raise SetupBinError('new_password is required while current_password is the factory "admin" '
                            '(MEBx forces a change at first login)')
    if settings.get('manageability_selection'):
        entries.append((1, 3, _u8(1)))
    if settings.get('power_package'):
        try:
            entries.append((1, 6, uuid.UUID(settings['power_package']).bytes_le))
        except ValueError:
            raise SetupBinError('option power_package must be a GUID')
    v2 = []
    if settings.get('pki_dns_suffix'):
        v2.append((2, 3, _ascii('pki_dns_suffix', settings['pki_dns_suffix'], 1, 224)))
    if settings.get('provisioning_server_fqdn'):
        v2.append((2, 4, _ascii('provisioning_server_fqdn', settings['provisioning_server_fqdn'], 1, 255)))
    if settings.get('ztc') is not None:
        v2.append((2, 5, _u8(1 if settings['ztc'] else 0)))
    hashes = settings.get('trusted_hashes') or []
    if len(hashes) > 3:
        raise SetupBinError('trusted_hashes: AMT holds at most 3 user-defined hashes, %d given' % len(hashes))
    for h in hashes:
        if h['algorithm'] != 'sha1' and major < 3:
            raise SetupBinError('trusted_hashes: %s hashes need version 3 or 4 (version %s files carry SHA-1 only)'
                                % (h['algorithm'], version))
        v2.append((2, 8, hash_entry_value(h['algorithm'], h['hash'], h['name'])))
    v21 = []
    if settings.get('provisioning_server_address'):
        packed = ipv4_or_ipv6_reversed(settings['provisioning_server_address'])
        if len(packed) == 16 and major < 3:
            raise SetupBinError('option provisioning_server_address: IPv6 needs version 3 or 4')
        v21.append((2, 17, packed))
    if settings.get('provisioning_server_port') is not None:
        port = int(settings['provisioning_server_port'])
        if not 1 <= port <= 65535:
            raise SetupBinError('option provisioning_server_port must be 1 to 65535')
        v21.append((2, 18, struct.pack('<H', port)))
    if settings.get('start_configuration') is not None:
        v21.append((2, 28, _u8(1 if settings['start_configuration'] else 0)))
    if major == 1 and (v2 or v21):
        raise SetupBinError('version 1 files carry passwords only; use version 2.0 or later for %s'
                            % ', '.join(VARIABLES[(m, v)][0] for m, v, _x in v2 + v21))
    if (major, minor) == (2, 0) and v21:
        raise SetupBinError('version 2.0 files cannot carry %s; use 2.1 or later'
                            % ', '.join(VARIABLES[(m, v)][0] for m, v, _x in v21))
    entries = entries + v2 + v21
    if len(pack_entries(entries)) > RECORD_CAPACITY:
        raise SetupBinError('the settings need %d bytes, a record holds %d' % (len(pack_entries(entries)), RECORD_CAPACITY))
    return entries


def build_file(records, version=DEFAULT_VERSION, consume=False, scramble=False, password_rules=None):
    """setup.bin bytes from a list of per-record settings dicts (password_rules: see record_entries)."""
    if version not in VERSIONS:
        raise SetupBinError('version must be one of %s' % ', '.join(sorted(VERSIONS)))
    if not records:
        raise SetupBinError('at least one record (a current_password) is required')
    if scramble and version != '4':
        raise SetupBinError('scramble works with version 4 files only')
    if version == '1' and not consume:
        raise SetupBinError('version 1 files are always consumed: set consume: true or use a later version')
    return encode_file([record_entries(r, version, password_rules) for r in records], version, consume=consume,
                       scrambled=scramble)

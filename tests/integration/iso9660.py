"""A tiny ISO9660 writer with an El Torito (no emulation) boot entry, for the storage redirection tests.

Written from ECMA-119 and the El Torito specification (1995); no xorriso/genisoimage needed. Only what a
bootable test CD needs: one root directory (8.3 names), path tables, PVD, boot record, boot catalog.
The simulator's reader (tests/simulator/redirection.py) is independent of this writer.
"""

import struct

SECTOR = 2048


def _both16(v):
    return struct.pack('<H', v) + struct.pack('>H', v)


def _both32(v):
    return struct.pack('<I', v) + struct.pack('>I', v)


def _pad(text, size, fill=b' '):
    raw = text.encode('ascii') if isinstance(text, str) else text
    return raw[:size] + fill * (size - len(raw[:size]))


def _date7():
    return bytes([126, 11, 29, 3, 0, 0, 0])          # 2026-11-29 03:00:00 GMT


def _date17():
    return b'2026112903000000' + b'\x00'


def _dir_record(name, lba, size, is_dir=False):
    ident = name if isinstance(name, bytes) else name.encode('ascii')
    length = 33 + len(ident)
    length += length % 2
    rec = bytes([length, 0]) + _both32(lba) + _both32(size) + _date7() + bytes([2 if is_dir else 0, 0, 0]) \
        + _both16(1) + bytes([len(ident)]) + ident
    return rec + b'\x00' * (length - len(rec))


def build_iso(files, boot_image, volume_id='OOBAMT_TEST'):
    """ISO image bytes. files: {'NAME.EXT': bytes}; boot_image: bytes (multiple of 512) loaded by the BIOS."""
    if len(boot_image) % 512 or not boot_image:
        raise ValueError('boot image must be a non-empty multiple of 512 bytes')
    names = sorted(files)
    lba = 23                                          # 16 PVD, 17 boot record, 18 terminator, 19/20 path tables,
    boot_lba = lba                                    # 21 root directory, 22 boot catalog
    lba += (len(boot_image) + SECTOR - 1) // SECTOR
    placed = []
    for name in names:
        placed.append((name, lba, files[name]))
        lba += max(1, (len(files[name]) + SECTOR - 1) // SECTOR)
    total = lba

    root = _dir_record(b'\x00', 21, SECTOR, True) + _dir_record(b'\x01', 21, SECTOR, True)
    root += _dir_record('BOOT.IMG;1', boot_lba, len(boot_image))
    for name, at, data in placed:
        root += _dir_record(name + ';1', at, len(data))
    if len(root) > SECTOR:
        raise ValueError('too many files for one directory sector')

    pvd = bytearray(SECTOR)
    pvd[0:7] = b'\x01CD001\x01'
    pvd[8:40] = _pad('LINUX', 32)
    pvd[40:72] = _pad(volume_id, 32)
    pvd[80:88] = _both32(total)
    pvd[120:124] = _both16(1)
    pvd[124:128] = _both16(1)
    pvd[128:132] = _both16(SECTOR)
    pvd[132:140] = _both32(10)
    pvd[140:144] = struct.pack('<I', 19)
    pvd[148:152] = struct.pack('>I', 20)
    pvd[156:190] = _dir_record(b'\x00', 21, SECTOR, True)
    for start, size in ((190, 128), (318, 128), (446, 128), (574, 128), (702, 37), (739, 37), (776, 37)):
        pvd[start:start + size] = b' ' * size
    for start in (813, 830):
        pvd[start:start + 17] = _date17()
    for start in (847, 864):
        pvd[start:start + 17] = b'0' * 16 + b'\x00'
    pvd[881] = 1

    brvd = bytearray(SECTOR)
    brvd[0:7] = b'\x00CD001\x01'
    brvd[7:39] = _pad('EL TORITO SPECIFICATION', 32, b'\x00')
    brvd[0x47:0x4B] = struct.pack('<I', 22)

    term = bytearray(SECTOR)
    term[0:7] = b'\xffCD001\x01'

    path_l = bytes([1, 0]) + struct.pack('<I', 21) + struct.pack('<H', 1) + b'\x00\x00'
    path_m = bytes([1, 0]) + struct.pack('>I', 21) + struct.pack('>H', 1) + b'\x00\x00'

    validation = bytearray(32)
    validation[0] = 1
    validation[4:28] = _pad('oob.amt tests', 24, b'\x00')
    validation[30:32] = b'\x55\xaa'
    checksum = (-sum(struct.unpack('<16H', bytes(validation)))) & 0xFFFF
    validation[28:30] = struct.pack('<H', checksum)
    entry = bytes([0x88, 0]) + struct.pack('<H', 0) + bytes([0, 0]) + struct.pack('<H', len(boot_image) // 512) \
        + struct.pack('<I', boot_lba) + bytes(20)
    catalog = bytes(validation) + entry

    out = bytearray(total * SECTOR)

    def put(at, data):
        out[at * SECTOR:at * SECTOR + len(data)] = data
    put(16, pvd)
    put(17, brvd)
    put(18, term)
    put(19, path_l)
    put(20, path_m)
    put(21, root)
    put(22, catalog)
    put(boot_lba, boot_image)
    for _name, at, data in placed:
        put(at, data)
    return bytes(out)


def file_extent(iso, name):
    """(lba, size) of a root-directory file, read back independently of build_iso's bookkeeping."""
    root_lba = struct.unpack_from('<I', iso, 16 * SECTOR + 156 + 2)[0]
    data = iso[root_lba * SECTOR:(root_lba + 1) * SECTOR]
    pos = 0
    while pos < len(data) and data[pos]:
        n = data[pos + 32]
        ident = data[pos + 33:pos + 33 + n].split(b';')[0].decode('ascii', 'replace')
        if ident == name:
            return struct.unpack_from('<I', data, pos + 2)[0], struct.unpack_from('<I', data, pos + 10)[0]
        pos += data[pos]
    raise KeyError(name)

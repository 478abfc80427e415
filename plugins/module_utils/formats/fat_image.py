# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A USB stick image for setup.bin: MBR with one FAT16 partition whose only file is SETUP.BIN.

Intel's older guidance asks for FAT16, the file as the first root directory entry and unfragmented
(the BIOS read it with raw I/O); UEFI firmware reads any FAT. This layout satisfies both. The
image is deterministic (fixed volume id and timestamps) so re-runs compare equal.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat
import struct

SECTOR = 512
PARTITION_START = 2048          # 1 MiB alignment, as partitioning tools do
PARTITION_SECTORS = 32768       # 16 MiB: FAT16 needs at least 4085 clusters
SECTORS_PER_CLUSTER = 4
RESERVED_SECTORS = 4
FAT_COUNT = 2
ROOT_ENTRIES = 512
SECTORS_PER_FAT = 32
VOLUME_ID = 0x0A3E5E70
FAT_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1   # 2026-01-01, fixed so the image is reproducible


class FatImageError(Exception):
    pass


def _boot_sector():
    bpb = struct.pack('<3s8sHBHBHHBHHHII', b'\xeb\x3c\x90', b'OOBAMT  ', SECTOR, SECTORS_PER_CLUSTER,
                      RESERVED_SECTORS, FAT_COUNT, ROOT_ENTRIES, PARTITION_SECTORS, 0xF8, SECTORS_PER_FAT,
                      63, 255, PARTITION_START, 0)
    ext = struct.pack('<BBBI11s8s', 0x80, 0, 0x29, VOLUME_ID, b'AMTSETUP   ', b'FAT16   ')
    sector = bytearray(SECTOR)
    sector[:len(bpb) + len(ext)] = bpb + ext
    sector[510:512] = b'\x55\xaa'
    return bytes(sector)


def _mbr():
    sector = bytearray(SECTOR)
    entry = struct.pack('<B3sB3sII', 0x80, b'\xfe\xff\xff', 0x0E, b'\xfe\xff\xff', PARTITION_START, PARTITION_SECTORS)
    sector[446:446 + 16] = entry
    struct.pack_into('<I', sector, 440, VOLUME_ID)  # disk signature
    sector[510:512] = b'\x55\xaa'
    return bytes(sector)


def build_partition(data, name=b'SETUP   BIN'):
    """The FAT16 file system with one file, stored in consecutive clusters from cluster 2."""
    cluster_bytes = SECTOR * SECTORS_PER_CLUSTER
    root_sectors = ROOT_ENTRIES * 32 // SECTOR
    data_start = RESERVED_SECTORS + FAT_COUNT * SECTORS_PER_FAT + root_sectors
    clusters = (PARTITION_SECTORS - data_start) // SECTORS_PER_CLUSTER
    needed = max(1, -(-len(data) // cluster_bytes))
    if needed > clusters:
        raise FatImageError('setup.bin of %d bytes does not fit the %d-byte image' % (len(data), clusters * cluster_bytes))
    fat = bytearray(SECTORS_PER_FAT * SECTOR)
    struct.pack_into('<HH', fat, 0, 0xFFF8, 0xFFFF)
    for i in range(needed):
        cluster = 2 + i
        struct.pack_into('<H', fat, cluster * 2, 0xFFFF if i == needed - 1 else cluster + 1)
    root = bytearray(root_sectors * SECTOR)
    root[:32] = struct.pack('<11sBBBHHHHHHHI', name, 0x20, 0, 0, 0, FAT_DATE, FAT_DATE, 0, 0, FAT_DATE, 2, len(data))
    image = bytearray(PARTITION_SECTORS * SECTOR)
    image[:SECTOR] = _boot_sector()
    for n in range(FAT_COUNT):
        offset = (RESERVED_SECTORS + n * SECTORS_PER_FAT) * SECTOR
        image[offset:offset + len(fat)] = fat
    offset = (RESERVED_SECTORS + FAT_COUNT * SECTORS_PER_FAT) * SECTOR
    image[offset:offset + len(root)] = root
    offset = data_start * SECTOR
    image[offset:offset + len(data)] = data
    return bytes(image)


def build_image(data):
    """A whole-disk image: MBR, gap, FAT16 partition."""
    return _mbr() + b'\0' * ((PARTITION_START - 1) * SECTOR) + build_partition(data)


# -- writing a real stick ----------------------------------------------------------------------------

def _mount_sources():
    try:
        with open('/proc/mounts') as fh:
            return [line.split()[0] for line in fh if line.strip()]
    except (IOError, OSError):
        return []


def check_usb_device(device, max_size_gb):
    """Refuse anything that is not an unmounted, removable whole disk of reasonable size."""
    try:
        mode = os.stat(device).st_mode
    except OSError as exc:
        raise FatImageError('usb_device %s: %s' % (device, exc.strerror))
    if not stat.S_ISBLK(mode):
        raise FatImageError('usb_device %s is not a block device' % device)
    name = os.path.basename(os.path.realpath(device))
    sys_dir = '/sys/block/%s' % name
    if not os.path.isdir(sys_dir):
        raise FatImageError('usb_device %s is a partition or unknown to /sys/block: give the whole stick (e.g. /dev/sdb)'
                            % device)
    with open(os.path.join(sys_dir, 'removable')) as fh:
        if fh.read().strip() != '1':
            raise FatImageError('usb_device %s is not removable: refusing what looks like a system disk' % device)
    with open(os.path.join(sys_dir, 'size')) as fh:
        size = int(fh.read().strip()) * 512
    if size > max_size_gb * 1024 ** 3:
        raise FatImageError('usb_device %s is %.1f GiB, above usb_max_size_gb (%d)' % (device, size / 1024.0 ** 3,
                                                                                       max_size_gb))
    if size < len(build_image(b'')):
        raise FatImageError('usb_device %s is too small for the image' % device)
    real = os.path.realpath(device)
    for source in _mount_sources():
        if source.startswith('/dev/') and os.path.realpath(source).startswith(real):
            raise FatImageError('usb_device %s (or a partition of it) is mounted at the moment: unmount it first'
                                % device)
    return size


def write_device(device, data):
    image = build_image(data)
    with open(device, 'r+b') as fh:
        fh.write(image)
        fh.flush()
        os.fsync(fh.fileno())

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_usb_setupbin
short_description: Write the Intel AMT USB provisioning file (setup.bin)
version_added: 0.1.0
description:
  - Writes C(setup.bin), the file MEBx reads from a USB stick at boot, in Intel's byte format (the same bytes
    Intel's USBFile and ACU write), replacing C(USBFile.exe -create setup.bin <current> <new> -dns ... -fqdn ...
    -ztc 1 -hash <ca> <name>) from the ZENworks manual.
  - Each record carries the current and new MEBx password and the shared settings (PKI DNS suffix, provisioning
    server, zero touch, trusted root hashes). Several devices may get their own passwords through O(records);
    the BIOS uses the next unconsumed record on each device when O(consume=true).
  - The same inputs give the same bytes, so a re-run reports no change. An existing file with other content is
    only replaced with O(force=true) (optionally keeping a backup); writes are atomic and the file is 0600.
  - Optionally writes the file onto a USB stick (O(usb_device)) as the first file of a new FAT16 file system, or
    into a FAT image file (O(usb_image)) to copy with any imaging tool.
author:
  - oob.amt contributors (@oob-amt)
options:
  path:
    description:
      - Where to write the file, usually C(setup.bin). Its directory must exist.
    type: path
    required: true
  version:
    description:
      - File format version. V(4) is what current firmware and Intel's USBFile write. V(3) and V(4) are needed for
        SHA-256/384 hashes; V(1) carries passwords only and is always consumed; V(2.0) lacks the provisioning
        server address and port.
    type: str
    choices: ['1', '2.0', '2.1', '3', '4']
    default: '4'
  current_password:
    description:
      - The MEBx password the devices have now (factory default C(admin)). Used when O(records) is not given.
    type: str
  new_password:
    description:
      - The MEBx password to set, checked against AMT's rules (8 to 32 printable ASCII characters with upper- and
        lower-case letters, a digit and a special character; no C(:), C(,) or C(")). Required while the current
        password is C(admin). Used when O(records) is not given.
    type: str
  records:
    description:
      - One record per device (or per group of devices sharing passwords). The shared settings apply to each.
    type: list
    elements: dict
    suboptions:
      current_password:
        description: The MEBx password now.
        type: str
        required: true
      new_password:
        description: The MEBx password to set.
        type: str
  pki_dns_suffix:
    description:
      - PKI DNS suffix (C(-dns)); the provisioning certificate's domain must end in it. At most 224 characters.
    type: str
  provisioning_server_fqdn:
    description:
      - Provisioning (configuration) server FQDN (C(-fqdn)).
    type: str
  provisioning_server_address:
    description:
      - Provisioning server IPv4 or IPv6 address (version 2.1 or later; IPv6 needs version 3 or 4).
    type: str
  provisioning_server_port:
    description:
      - Provisioning server port, for example V(9971) for the ZENworks server (version 2.1 or later).
    type: int
  ztc:
    description:
      - Enable remote configuration (zero touch, C(-ztc 1)).
    type: bool
  start_configuration:
    description:
      - Let MEBx start configuration (C(true)) or halt it (C(false)) after applying the record. Version 2.1 or later.
    type: bool
  manageability_selection:
    description:
      - Select Intel AMT as the manageability feature, which enables AMT where the ME has it disabled.
    type: bool
    default: false
  trusted_hashes:
    description:
      - Up to three root CA hashes to add to the device's trusted table.
    type: list
    elements: dict
    suboptions:
      certificate:
        description: Root CA certificate (PEM or DER) to hash. Mutually exclusive with O(trusted_hashes[].hash).
        type: path
      hash:
        description: The hash in hex, colon or MEBx form.
        type: str
      algorithm:
        description: Hash algorithm (SHA-256/384 need version 3 or 4).
        type: str
        choices: [sha1, sha256, sha384]
        default: sha256
      name:
        description: Friendly name, 1 to 31 ASCII characters. Defaults to the certificate's common name.
        type: str
  consume:
    description:
      - Let the BIOS consume each record after applying it (one record per device). The default keeps the record
        so one stick provisions a whole fleet, as Intel's tools do for PKI files.
    type: bool
    default: false
  scramble:
    description:
      - Obfuscate the records (+0x11 per byte, as Intel's ACU does). Version 4 only. Not encryption.
    type: bool
    default: false
  force:
    description:
      - Replace an existing file (O(path) or O(usb_image)) whose content differs. Without it the module fails and
        writes nothing.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of a file (O(path) or O(usb_image)) that O(force) replaces.
    type: bool
    default: false
  usb_image:
    description:
      - Also write a FAT16 file system image holding only C(SETUP.BIN) (the first root entry, unfragmented) to this
        path, ready to copy onto a stick.
    type: path
  usb_device:
    description:
      - Also format this whole block device (for example C(/dev/sdb)) as FAT16 with C(SETUP.BIN) as its only file.
        Refused unless the device is removable, not mounted, not holding the root file system, and at most
        O(usb_max_size_gb) large. Everything on it is lost.
    type: path
  usb_max_size_gb:
    description:
      - Largest device O(usb_device) may be, a guard against picking a system disk.
    type: int
    default: 64
attributes:
  check_mode:
    description: Builds the file and reports whether it would change without writing.
    support: full
  diff_mode:
    description: Shows the decoded records (without passwords) before and after.
    support: full
seealso:
  - module: oob.amt.amt_usb_setupbin_info
  - module: oob.amt.amt_hash
  - module: oob.amt.amt_mgmtcert
'''

EXAMPLES = r'''
- name: The ZENworks USBFile command as a task
  oob.amt.amt_usb_setupbin:
    path: /srv/amt/setup.bin
    current_password: admin
    new_password: "{{ vault_mebx_password }}"
    pki_dns_suffix: example.com
    provisioning_server_fqdn: prov.example.com
    ztc: true
    trusted_hashes:
      - certificate: /etc/oob-amt/zone/ca.crt
        name: Zone CA
  delegate_to: localhost

- name: One consumable record per device, each with its own password
  oob.amt.amt_usb_setupbin:
    path: /srv/amt/lab-setup.bin
    consume: true
    records: "{{ lab_devices | map(attribute='mebx') | list }}"
  no_log: true

- name: Write a stick image as well
  oob.amt.amt_usb_setupbin:
    path: /srv/amt/setup.bin
    current_password: admin
    new_password: "{{ vault_mebx_password }}"
    usb_image: /srv/amt/setup-usb.img
'''

RETURN = r'''
path:
  description: The file written.
  returned: always
  type: str
  sample: "/srv/amt/setup.bin"
sha256:
  description: SHA-256 of the file content.
  returned: always
  type: str
  sample: "7a3f0c9e51d2b8a46e1f09c37b5d28e4a6c0f1b39d7e2a5c48f60b1d3e9a72c5"
size:
  description: File size in bytes (512 per record plus the header).
  returned: always
  type: int
  sample: 1024
version:
  description: File format version.
  returned: always
  type: str
  sample: "4"
records:
  description: Each record's settings as the decoder reads them back; passwords appear only as their length.
  returned: always
  type: list
  elements: dict
  sample: [{"number": 1, "valid": true, "scrambled": false, "consumed": false, "entries": ["1/1", "1/2", "2/3"],
    "settings": {"current_password": {"length": 5}, "new_password": {"length": 12}, "pki_dns_suffix": "example.com"},
    "warnings": []}]
backup_file:
  description: The backup of the replaced file.
  returned: when O(backup=true) and a file was replaced
  type: str
  sample: "/srv/amt/setup.bin.2026-11-29@04:30:12~"
usb_image_backup_file:
  description: The backup of the replaced O(usb_image) file.
  returned: when O(backup=true) and an existing O(usb_image) file was replaced
  type: str
  sample: "/srv/amt/setup-usb.img.2026-11-29@04:30:12~"
usb_image:
  description: The FAT image written.
  returned: when O(usb_image) is set
  type: str
  sample: "/srv/amt/setup-usb.img"
'''

from ansible_collections.oob.amt.plugins.module_utils.file_operation import run_file_module
from ansible_collections.oob.amt.plugins.module_utils.usb_setup import OPERATION


def main():
    run_file_module(OPERATION)


if __name__ == '__main__':
    main()

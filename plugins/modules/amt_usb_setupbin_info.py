#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_usb_setupbin_info
short_description: Read an Intel AMT USB provisioning file (setup.bin)
version_added: 0.1.0
description:
  - Decodes a C(setup.bin) written by this collection, Intel's USBFile or ACU, or MeshCommander/MeshCentral, and
    reports its header and each record's settings (like C(USBFile -view)), without password values.
  - Warns about entries current MEBx rejects or stalls on (reserved ids, manual setup, the legacy redirection
    authentication bit) and reports which records the BIOS has consumed.
author:
  - oob.amt contributors (@oob-amt)
options:
  path:
    description:
      - The file to read.
    type: path
    required: true
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
seealso:
  - module: oob.amt.amt_usb_setupbin
'''

EXAMPLES = r'''
- name: What is on this stick?
  oob.amt.amt_usb_setupbin_info:
    path: /media/usb/setup.bin
  register: setupbin

- name: Records left
  ansible.builtin.debug:
    msg: "{{ setupbin.data_record_count - setupbin.data_records_consumed }} of {{ setupbin.data_record_count }}"
'''

RETURN = r'''
version:
  description: File format version (V(1), V(2.0), V(2.1), V(3) or V(4)).
  returned: success
  type: str
  sample: "4"
consume:
  description: Whether the BIOS consumes records after applying them.
  returned: success
  type: bool
  sample: false
data_record_count:
  description: Number of records.
  returned: success
  type: int
  sample: 1
data_records_consumed:
  description: Records the BIOS has consumed.
  returned: success
  type: int
  sample: 0
module_list:
  description: Modules the header lists (empty in files from old MeshCommander versions).
  returned: success
  type: list
  elements: int
  sample: [1, 2]
records:
  description:
    - Per record its number, valid and scrambled flags, whether it is consumed, the entry ids in file order,
      the settings by name (passwords only as their length) and warnings.
  returned: success
  type: list
  elements: dict
  sample: [{"number": 1, "valid": true, "scrambled": false, "consumed": false, "entries": ["1/1", "1/2", "2/3"],
            "settings": {"current_password": {"length": 5}, "pki_dns_suffix": "example.com"}, "warnings": []}]
sha256:
  description: SHA-256 of the file.
  returned: success
  type: str
  sample: "7a3f0c9e51d2b8a46e1f09c37b5d28e4a6c0f1b39d7e2a5c48f60b1d3e9a72c5"
'''

from ansible_collections.oob.amt.plugins.module_utils.file_operation import run_file_module
from ansible_collections.oob.amt.plugins.module_utils.usb_setup import INFO_OPERATION


def main():
    run_file_module(INFO_OPERATION)


if __name__ == '__main__':
    main()

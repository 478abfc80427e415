#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_boot
short_description: Set the next boot of an Intel AMT device (PXE, disk, CD/DVD, BIOS setup) and optionally go there
version_added: 0.1.0
description:
  - Sets a one-time boot device with the documented sequence (Put C(AMT_BootSettingData), C(SetBootConfigRole),
    C(ChangeBootOrder)) and, with O(power=true), powers the host on (when off) or resets it (when on) so it
    boots there. The firmware forgets the setting after that boot.
  - The boot settings are only written when they differ from what the device holds. The one-time role and
    boot source cannot be read back in one request, so the module sets them on every run and reports a change.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.fleet
options:
  device:
    description:
      - Where the next boot goes. V(usb) only where the firmware lists a USB boot source.
    type: str
    required: true
    choices: [pxe, hdd, cdrom, bios_setup, usb]
  power:
    description:
      - Power the host on if it is off, or reset it if it is on, right after setting the boot device.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads capabilities, settings and power state and reports what would be sent.
    support: full
  diff_mode:
    description: Shows the boot settings that change.
    support: full
notes:
  - In Client Control Mode, boot to BIOS setup and redirection boots may need user consent on the host.
seealso:
  - module: oob.amt.amt_power
'''

EXAMPLES = r'''
- name: Reinstall over the network - PXE once, and reset or power on now
  oob.amt.amt_boot:
    host: "{{ amt_host }}"
    password: "{{ amt_password }}"
    device: pxe
    power: true

- name: Enter BIOS setup at the next boot (whenever that happens)
  oob.amt.amt_boot:
    host: 10.0.0.21
    device: bios_setup
'''

RETURN = r'''
fleet:
  description:
    - Fleet path (O(devices) or O(targets)). One entry per device name, in order - what the single-device task
      returns (C(changed), C(failed), C(msg) on failure, C(exchanges), the operation's keys) plus C(host), and
      C(before) and C(after) when the operation reports a difference.
  returned: when O(devices) or O(targets) is set
  type: dict
  sample: {"pc-01": {"changed": true, "failed": false, "host": "10.0.0.21", "before": {"power_state": "off"},
           "after": {"power_state": "on"}, "exchanges": 3}}
fleet_summary:
  description: Fleet path. Counts of the run.
  returned: when O(devices) or O(targets) is set
  type: dict
  sample: {"total": 500, "ok": 499, "failed": 1, "changed": 250, "failed_percentage": 0.2,
           "max_fail_percentage": 1.0, "workers": 50}
failed_devices:
  description: Fleet path. Names of the devices that failed (their errors are in RV(fleet) and the first ones in C(msg)).
  returned: when O(devices) or O(targets) is set
  type: list
  elements: str
  sample: ["pc-17"]
changed_devices:
  description: Fleet path. Names of the devices that changed (or would, in check mode).
  returned: when O(devices) or O(targets) is set
  type: list
  elements: str
  sample: ["pc-01", "pc-02"]
device:
  description: The boot device set.
  returned: always
  type: str
  sample: pxe
boot_source:
  description: InstanceID of the CIM_BootSourceSetting used, null for BIOS setup.
  returned: always
  type: str
  sample: "Intel(r) AMT: Force PXE Boot"
settings_changed:
  description: AMT_BootSettingData properties that were (or would be) changed.
  returned: always
  type: list
  elements: str
  sample: ["BIOSPause", "UseSOL"]
power_action:
  description: The power request sent to get there, when O(power=true).
  returned: always
  type: dict
  sample: {"name": "reset", "value": 10, "power_state_before": "on"}
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 6
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.boot import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

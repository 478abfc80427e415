#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_info
short_description: Read facts from an Intel AMT device out of band
version_added: 0.1.0
description:
  - Reads what an Intel AMT device reports about itself over WS-Management, also when the host is off
    or has no working operating system.
  - Subsets are gathered with as few requests as the protocol allows (one Get or one optimized
    Enumerate per class).
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.fleet
options:
  gather:
    description:
      - What to read. V(identify) is the unauthenticated WS-Man Identify; V(general) is version, host name,
        digest realm, provisioning state, control mode and UUID; V(power) the power state and the states the
        device accepts now; V(hardware) chassis, board, BIOS, CPUs and memory; V(network) AMT's own network
        settings; V(boot), V(alarms) and V(hashes) the boot settings, alarm clocks and trusted root hashes.
      - V(all) reads every subset.
    type: list
    elements: str
    choices: [all, identify, general, power, hardware, network, boot, alarms, hashes]
    default: [general, power]
attributes:
  check_mode:
    description: Reads only, the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to show.
    support: none
notes:
  - Check mode is supported; the module never changes the device.
seealso:
  - module: oob.amt.amt_power
'''

EXAMPLES = r'''
- name: Read version, provisioning and power state
  oob.amt.amt_info:
    host: 10.0.0.21
    password: "{{ amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
  register: amt

- name: Everything, for every device of the inventory, connection options set once
  module_defaults:
    group/oob.amt.amt:
      password: "{{ amt_password }}"
      ca_path: /etc/pki/amt-ca.pem
  block:
    - name: Gather all subsets
      oob.amt.amt_info:
        host: "{{ amt_host | default(ansible_host) }}"
        gather: [all]
      register: amt

- name: Show the UUID
  ansible.builtin.debug:
    msg: "{{ amt.amt_info.general.uuid }}"
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
  sample: []
amt_info:
  description: Facts per requested subset; subsets the firmware does not implement are null.
  returned: always
  type: dict
  contains:
    host:
      description: The device address used.
      type: str
      sample: 10.0.0.21
    identify:
      description: WS-Man Identify answer and the Server header.
      type: dict
      returned: when identify is gathered
      sample: {"product_vendor": "Intel(r)", "product_version": "AMT 16.1", "amt_version": "16.1.25.1917"}
    general:
      description: Version, names, realm, provisioning state and mode, control mode, UUID, TLS details.
      type: dict
      returned: when general is gathered
      sample: {"amt_version": "16.1.25", "hostname": "pc-0-1", "realm": "Digest:0A1B...", "provisioning_state": "post",
               "control_mode": "ccm", "uuid": "55e3ae13-bfd2-61bb-17a0-88aedd7037ea"}
    power:
      description: Current power state and the states the device accepts now (names and numbers).
      type: dict
      returned: when power is gathered
      sample: {"state": "on", "state_value": 2, "available_states": ["reset", "off", "cycle"]}
    hardware:
      description: Chassis, board, BIOS, processors and memory modules.
      type: dict
      returned: when hardware is gathered
      sample: {"chassis": {"manufacturer": "Dell Inc.", "model": "OptiPlex 7090", "serial": "5CD1234XYZ", "version": null},
        "board": {"manufacturer": "Dell Inc.", "model": "0K0D8T", "serial": "/5CD1234XYZ/CNFCW0012300A5/", "version": "A00"},
        "bios": {"manufacturer": "Dell Inc.", "version": "1.21.0", "release_date": "2023-08-14T00:00:00Z"},
        "processors": [{"id": "CPU 0", "brand": "11th Gen Intel(R) Core(TM) i7-11700 @ 2.50GHz", "max_clock_mhz": 4900,
        "current_clock_mhz": 2500}],
        "memory": [{"bank": "BANK 0", "capacity_bytes": 17179869184, "manufacturer": "Samsung", "part_number": "M378A2K43EB1-CWE",
        "serial": "3A4B5C6D", "speed_mhz": 3200}],
        "memory_total_bytes": 17179869184,
        "storage": [{"id": "MEDIA DEV 0", "max_media_size_kb": 500107608, "capabilities": [4, 10], "security": 2}]}
    network:
      description: AMT's own network settings per interface (DHCP or static, MAC, address).
      type: dict
      returned: when network is gathered
      sample: {"interfaces": [{"instance_id": "Intel(r) AMT Ethernet Port Settings 0", "dhcp": true,
        "mac": "a4:bb:6d:12:34:56", "ip": "10.0.0.21", "netmask": "255.255.255.0", "gateway": "10.0.0.1",
        "dns": "10.0.0.2", "link_up": true}]}
    boot:
      description: Boot capabilities and the current boot settings.
      type: dict
      returned: when boot is gathered
      sample: {"capabilities": {"InstanceID": "Intel(r) AMT:BootCapabilities 0", "ForcePXEBoot": true,
        "ForceHardDriveBoot": true, "ForceCDorDVDBoot": true, "IDER": true, "SOL": true, "BIOSSetup": true},
        "settings": {"InstanceID": "Intel(r) AMT:BootSettingData 0", "BIOSPause": false, "BIOSSetup": false,
        "UseIDER": false, "UseSOL": false, "BootMediaIndex": 0}}
    alarms:
      description: Alarm clock occurrences (scheduled wake-ups).
      type: list
      elements: dict
      returned: when alarms is gathered
      sample: [{"name": "wake-mon", "start": "2030-12-02T06:30:00Z", "interval": "P7D", "delete_on_completion": false}]
    hashes:
      description: Trusted root certificate hashes.
      type: list
      elements: dict
      returned: when hashes is gathered
      sample: [{"name": "DigiCert Global Root G2", "instance_id": "Intel(r) AMT Certificate Hash: 5", "algorithm": "sha256",
        "hash": "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f", "enabled": true, "default": true}]
exchanges:
  description: HTTP exchanges the module made with the device (including the digest challenge).
  returned: always
  type: int
  sample: 6
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.info import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

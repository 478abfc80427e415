#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_power
short_description: Switch the power of Intel AMT devices out of band
version_added: 0.1.0
description:
  - Reads the power state of an Intel AMT device with one request and changes it with one more, also when the
    operating system is down or the machine is off.
  - V(on), V(off), V(graceful_off), V(sleep) and V(hibernate) are convergent; nothing is sent when the device
    is already in that state.
  - V(reset), V(graceful_reset) and V(cycle) are actions and are sent every time the host is running. When the
    host is off (or asleep) it cannot be reset, so the module powers it on instead and says so in RV(msg).
  - Requests the device does not advertise right now are refused before anything is sent, with the list of
    states it does offer.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.fleet
options:
  state:
    description:
      - Desired power state or action. The console states Power On, Power Off, Reset and Power Cycle Reset map to
        V(on), V(off), V(reset) and V(cycle).
      - V(graceful_off), V(graceful_reset), V(sleep) and V(hibernate) need the OS running with the Intel LMS agent.
      - V(nmi) sends a diagnostic interrupt. V(status) only reads.
    type: str
    required: true
    choices: ['on', 'off', graceful_off, reset, graceful_reset, cycle, sleep, hibernate, nmi, status]
  wait:
    description:
      - Poll the device until it reports the resulting power state.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the resulting state when O(wait=true).
    type: int
    default: 120
attributes:
  check_mode:
    description: Reads the state and reports what would be sent, without sending it.
    support: full
  diff_mode:
    description: Shows the power state before and after.
    support: full
notes:
  - Without a change the module costs two HTTP exchanges (the digest challenge and one read); with a change, three.
  - If the controller that runs Ansible is itself one of the targets, act on it last (see C(playbooks/power.yml)).
seealso:
  - module: oob.amt.amt_info
'''

EXAMPLES = r'''
- name: Power on the whole floor, at most 50 at a time
  oob.amt.amt_power:
    host: "{{ amt_host | default(ansible_host) }}"
    password: "{{ amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    state: on
  throttle: 50

- name: Fleet path - power on every host of group amt (within --limit) from one task, 50 devices at a time
  oob.amt.amt_power:
    targets: amt
    state: on
    max_fail_percentage: 2
  run_once: true
  register: fleet_power

- name: Fleet path - a list of devices, per-device results in fleet_power.fleet
  oob.amt.amt_power:
    devices:
      - name: pc-21
        host: 10.0.0.21
    password: "{{ amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    state: status
  run_once: true

- name: Hard power off and wait until the device reports off
  oob.amt.amt_power:
    host: 10.0.0.21
    state: off
    wait: true

- name: Read only
  oob.amt.amt_power:
    host: 10.0.0.21
    state: status
  register: power
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
  description: Fleet path. Names of the devices that failed (their errors are in RV(fleet) and the first ones in RV(msg)).
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
power_state:
  description: Power state before and after the request (after = the state the request leads to, or the state
    observed with O(wait=true)).
  returned: always
  type: dict
  sample: {"before": {"name": "off", "value": 8}, "after": {"name": "on", "value": 2}}
available_states:
  description: Power states the device accepted when it was read (names and numbers).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "on", "value": 2}]
requested:
  description: The power state sent to the device, or null when nothing was needed.
  returned: always
  type: dict
  sample: {"name": "on", "value": 2}
msg:
  description: Explanation when the module did something else than asked (reset of a host that was off).
  returned: when applicable
  type: str
  sample: "the host was off, so it was powered on instead of reset"
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 3
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.power import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

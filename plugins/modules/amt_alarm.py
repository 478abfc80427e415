#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_alarm
short_description: Manage the wake-up alarm clocks of an Intel AMT device
version_added: 0.1.0
description:
  - Adds, replaces or removes an alarm clock occurrence (C(IPS_AlarmClockOccurrence), AMT 8.0 and later). When an
    alarm fires the firmware powers the host on by itself, so scheduled wake-ups work even when no controller runs.
  - Alarms are identified by O(name). An alarm with the same start, interval and deletion flag is left alone;
    a different one is replaced.
  - The firmware holds at most five alarms; adding a sixth fails with the names of the existing ones.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.fleet
options:
  name:
    description:
      - Name of the alarm (1 to 32 characters), unique on the device.
    type: str
    required: true
  state:
    description:
      - Whether the alarm should exist.
    type: str
    choices: [present, absent]
    default: present
  start:
    description:
      - First time the alarm fires, in UTC, on a whole minute and in the future, for example V(2026-12-01T06:30:00Z).
      - Required when O(state=present).
    type: str
  interval:
    description:
      - Repeat interval. V(hourly), V(daily), V(weekly), or an interval C(PnDTnHnM) such as V(P1D) or V(PT12H).
        Omit for a one-shot alarm.
    type: str
  delete_on_completion:
    description:
      - Let the firmware delete a one-shot alarm once it has fired.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the alarms and reports what would change.
    support: full
  diff_mode:
    description: Shows the alarm before and after.
    support: full
seealso:
  - module: oob.amt.amt_power
'''

EXAMPLES = r'''
- name: Wake the classroom PCs every weekday morning (one alarm per weekday, weekly)
  oob.amt.amt_alarm:
    host: "{{ amt_host }}"
    password: "{{ amt_password }}"
    name: "wake-mon"
    start: "2030-12-02T06:30:00Z"
    interval: weekly

- name: One wake-up for tonight's patching, removed after it fired
  oob.amt.amt_alarm:
    host: 10.0.0.21
    name: patch-night
    start: "2030-11-28T01:00:00Z"
    delete_on_completion: true

- name: Remove an alarm
  oob.amt.amt_alarm:
    host: 10.0.0.21
    name: patch-night
    state: absent
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
alarm:
  description: The alarm as it is (or would be) on the device; null when absent.
  returned: always
  type: dict
  sample: {"name": "wake-mon", "start": "2030-12-02T06:30:00Z", "interval": "P7D", "delete_on_completion": false}
replaced:
  description: Whether an existing alarm with the same name but other settings was replaced.
  returned: when an alarm was added
  type: bool
  sample: false
alarms_count:
  description: Number of alarms on the device before the change.
  returned: always
  type: int
  sample: 1
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 4
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.alarm import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_time
short_description: Read the Intel AMT device clock, report its drift and set it from the controller
version_added: 0.2.0
description:
  - Reads the device clock (AMT_TimeSynchronizationService GetLowAccuracyTimeSynch) and compares it with the
    controller's clock; with O(state=synced) sets it (SetHighAccuracyTimeSynch) when the drift exceeds
    O(max_drift), the way rpc-go C(configure syncclock) does.
  - Alarm clocks (M(oob.amt.amt_alarm), the power_schedule role) and certificate validity depend on the device
    clock.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.fleet
options:
  state:
    description: V(synced) sets the clock when it drifts; V(read) only reports.
    type: str
    choices: [synced, read]
    default: synced
  max_drift:
    description: Drift in seconds that is tolerated (the device clock has a one-second resolution).
    type: int
    default: 2
attributes:
  check_mode:
    description: Reads the clock and reports whether it would be set.
    support: full
  diff_mode:
    description: Shows the drift before and after.
    support: full
notes:
  - Keep the controller's clock right (NTP); the device is set to it.
  - The device must be activated to accept a new time.
seealso:
  - module: oob.amt.amt_alarm
'''

EXAMPLES = r'''
- name: Set the device clock when it is more than 2 s off
  oob.amt.amt_time:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem

- name: Only report the drift
  oob.amt.amt_time:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    state: read
  register: clock
'''

RETURN = r'''
fleet:
  description:
    - Fleet path (O(devices) or O(targets)). One entry per device name, in order - what the single-device task
      returns (C(changed), C(failed), C(msg) on failure, C(exchanges), the operation's keys) plus C(host), and
      C(before) and C(after) when the operation reports a difference.
  returned: when O(devices) or O(targets) is set
  type: dict
  sample: {"pc-01": {"changed": false, "failed": false, "host": "10.0.0.21", "device_time": "2026-11-29T03:00:00Z",
           "drift_seconds": -0.4, "drift_after_seconds": -0.4, "exchanges": 2}}
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
device_time:
  description: Device clock when read (UTC, ISO 8601).
  returned: always
  type: str
  sample: "2026-11-29T03:00:00Z"
controller_time:
  description: Controller clock when the answer arrived.
  returned: always
  type: str
  sample: "2026-11-29T03:00:42Z"
drift_seconds:
  description: Device minus controller time, in seconds (positive - the device is ahead).
  returned: always
  type: float
  sample: -42.5
drift_after_seconds:
  description: Drift after the run (read again after setting).
  returned: always
  type: float
  sample: 0.0
max_drift:
  description: The tolerance used.
  returned: always
  type: int
  sample: 2
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 6
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.time import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

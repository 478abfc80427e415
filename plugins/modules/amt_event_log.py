#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_event_log
short_description: Read, filter and clear the event log of Intel AMT devices
version_added: 0.2.0
description:
  - Reads the platform event log the firmware keeps (AMT_MessageLog GetRecords, page by page) and decodes every
    record the way Intel's SDK and MeshCommander do - time, sensor and event type, entity, severity and a
    description such as V(System boot failure) or V(Fan speed lower critical going low (fan failure)).
  - Filters by time, minimum severity and sensor type.
  - V(cleared) empties the log (ClearLog); it is a separate state so a read never clears by accident.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  state:
    description: V(read) returns records; V(cleared) clears the log (changed only when it held records).
    type: str
    choices: [read, cleared]
    default: read
  since:
    description: Only records at or after this UTC time (V(2026-11-01T00:00:00Z), V(2026-11-01)) or this age
      (V(30m), V(24h), V(7d), V(2w)). The firmware clock is used as stored.
    type: str
  min_severity:
    description: Only records of at least this severity.
    type: str
    choices: [unspecified, monitor, information, ok, non_critical, critical, non_recoverable]
  sensor_types:
    description:
      - Only records of these sensor types (IPMI names), for example V(fan), V(temperature), V(voltage),
        V(boot_error), V(watchdog) (AMT's "System boot failure" and BIOS POST watchdog), V(os_boot),
        V(system_firmware_progress), V(platform_security).
    type: list
    elements: str
  max_records:
    description: Return at most this many records (the newest).
    type: int
attributes:
  check_mode:
    description: Reads; with V(cleared) reports whether the log would be cleared.
    support: full
  diff_mode:
    description: Shows the number of records before and after clearing.
    support: full
seealso:
  - module: oob.amt.amt_audit_log
  - module: oob.amt.amt_alert_subscription
'''

EXAMPLES = r'''
- name: Critical events of the last week
  oob.amt.amt_event_log:
    host: 10.0.0.21
    since: 7d
    min_severity: critical
  register: events

- name: Boot failures only
  oob.amt.amt_event_log:
    host: 10.0.0.21
    sensor_types: [boot_error, watchdog, os_boot]
    max_records: 50

- name: Clear the log after archiving it
  oob.amt.amt_event_log:
    host: 10.0.0.21
    state: cleared
'''

RETURN = r'''
records:
  description: Decoded records, newest first.
  returned: always
  type: list
  elements: dict
  sample: [{"time": "2024-01-06T03:26:27Z", "timestamp": 1704511587, "sensor_type": 6,
            "sensor_type_name": "platform_security", "event_type": 111, "event_offset": 5, "severity": "critical",
            "severity_value": 16, "severity_text": "Critical condition", "entity": "Intel(r) ME", "entity_value": 38,
            "entity_instance": 97, "event_data": [170, 10, 0, 0, 0, 0, 0, 0], "device_address": 255,
            "event_source_type": 104, "sensor_number": 255,
            "description": "Authentication failed 10 times. The system may be under attack."}]
total_records:
  description: Records the log held (before filtering).
  returned: always
  type: int
  sample: 112
returned:
  description: Number of records in RV(records).
  returned: always
  type: int
  sample: 1
records_before:
  description: Records in the log before clearing.
  returned: when state is cleared
  type: int
  sample: 112
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 6
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.event_log import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

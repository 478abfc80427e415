#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_audit_log
short_description: Read the security audit log of Intel AMT devices, decoded
version_added: 0.2.0
description:
  - Reads the security audit log (AMT_AuditLog ReadRecords, page by page) and decodes who did what and when -
    provisioning, power actions, redirection sessions, consent codes, alert subscriptions, firmware updates - with
    the initiator (user name, Kerberos SID or local), its network address and the event's details.
  - For compliance reporting; never changes the device.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  since:
    description: Only records at or after this UTC time or age (V(24h), V(7d)).
    type: str
  categories:
    description: Only these areas.
    type: list
    elements: str
    choices: [agent_presence, audit, circuit_breaker, consent, eac, events, firmware, kvm, network, power, redirection,
              screen_blanking, security, storage, time, watchdog, wireless]
  initiator:
    description: Only records made by this user name.
    type: str
  max_records:
    description: Return at most this many records (the most recent).
    type: int
attributes:
  check_mode:
    description: Reads only.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
notes:
  - The account needs the Audit Log realm; the admin account has it.
seealso:
  - module: oob.amt.amt_event_log
'''

EXAMPLES = r'''
- name: Who opened redirection sessions or changed power in the last 30 days
  oob.amt.amt_audit_log:
    host: 10.0.0.21
    since: 30d
    categories: [redirection, power, consent]
  register: audit

- name: Everything, for the compliance archive
  oob.amt.amt_audit_log:
    host: 10.0.0.21
  register: audit_all
'''

RETURN = r'''
records:
  description: Decoded records, oldest first.
  returned: always
  type: list
  elements: dict
  sample: [{"app_id": 19, "event_id": 0, "event_code": 1900, "application": "Firmware Update Manager",
            "category": "firmware", "event": "Firmware Updated", "initiator_type": "local", "initiator": "Local",
            "time": "2004-01-02T01:46:22Z", "timestamp": 1073007982, "location_type": 2, "net_address": "",
            "extended_data": "AAwAAAAoBZkADAAAACQFlA==", "details": "from 12.0.40.1433 to 12.0.36.1428"}]
total_records:
  description: Records in the log.
  returned: always
  type: int
  sample: 37
returned:
  description: Number of records in RV(records).
  returned: always
  type: int
  sample: 1
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 5
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.audit_log import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

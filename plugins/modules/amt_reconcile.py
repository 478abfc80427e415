#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_reconcile
short_description: Reconcile the out-of-band AMT inventory with the in-band OS inventory and write a report
version_added: 0.1.0
description:
  - Matches devices as AMT reports them (UUID, serial, MACs, host name - from M(oob.amt.amt_info)) with hosts as
    their operating system reports them (from gathered facts or a file), by UUID first, then MAC, then host name.
  - Reports each device as matched, mismatched (naming the fields), in-band only or out-of-band only, and lists
    UUIDs that several devices share or that are known placeholders (some vendors ship them).
  - Writes the report as JSON, YAML, Markdown and a self-contained HTML page. Works on local files only.
author:
  - oob.amt contributors (@oob-amt)
options:
  out_of_band:
    description: Device records with V(name), V(address), V(uuid), V(serial), V(hostname), V(macs), V(version),
      V(control_mode), V(power_state); a device that could not be read carries V(unreadable) (the reason) and is
      reported with status V(unreadable).
    type: list
    elements: dict
    required: true
  in_band:
    description: Host records with V(name), V(uuid), V(serial), V(hostname), V(macs).
    type: list
    elements: dict
    default: []
  dest:
    description: Directory for the report files (created if missing).
    type: path
  formats:
    description: Files to write into O(dest).
    type: list
    elements: str
    choices: [json, yaml, markdown, html]
    default: [json, markdown, html]
  title:
    description: Title of the Markdown and HTML reports.
    type: str
    default: AMT reconciliation
attributes:
  check_mode:
    description: Computes the report but writes nothing.
    support: full
'''

EXAMPLES = r'''
- name: Write the report
  oob.amt.amt_reconcile:
    out_of_band: "{{ reconcile_oob }}"
    in_band: "{{ reconcile_inband }}"
    dest: /var/lib/amt/reports
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
report:
  description: Summary counts, duplicate UUIDs, fleet breakdown and one row per device.
  returned: always
  type: dict
  sample: {"summary": {"matched": 18, "mismatched": 1, "in_band_only": 0, "out_of_band_only": 1}, "duplicate_uuids": []}
files:
  description: Paths written (or that would be written).
  returned: always
  type: list
  elements: str
  sample: ["/srv/reports/amt/reconcile.json", "/srv/reports/amt/reconcile.yml", "/srv/reports/amt/reconcile.md",
    "/srv/reports/amt/reconcile.html"]
'''

from ansible_collections.oob.amt.plugins.module_utils.file_operation import run_file_module
from ansible_collections.oob.amt.plugins.module_utils.reconcile import OPERATION


def main():
    run_file_module(OPERATION)


if __name__ == '__main__':
    main()

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

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oob.amt.plugins.module_utils.formats.files import read_bytes, write_if_changed
from ansible_collections.oob.amt.plugins.module_utils.reconcile import reconcile, to_html, to_markdown

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False


STRING_FIELDS = ('name', 'uuid', 'serial', 'hostname')


def check_records(option, records):
    """Refuse records the matcher cannot use; the message names the option, the entry and the field."""
    for i, record in enumerate(records or []):
        for field in STRING_FIELDS:
            value = record.get(field)
            allowed = (str,) if field in ('uuid', 'hostname') else (str, int)     # uuid and hostname are lower-cased
            if value is not None and (isinstance(value, bool) or not isinstance(value, allowed)):
                return 'option %s[%d].%s must be a string, got %s' % (option, i, field, type(value).__name__)
        macs = record.get('macs')
        if macs is not None and (not isinstance(macs, list) or any(m is not None and not isinstance(m, str) for m in macs)):
            return 'option %s[%d].macs must be a list of MAC address strings' % (option, i)
    return None


def main():
    module = AnsibleModule(argument_spec=dict(
        out_of_band=dict(type='list', elements='dict', required=True),
        in_band=dict(type='list', elements='dict', default=[]),
        dest=dict(type='path'),
        formats=dict(type='list', elements='str', default=['json', 'markdown', 'html'],
                     choices=['json', 'yaml', 'markdown', 'html']),
        title=dict(type='str', default='AMT reconciliation'),
    ), supports_check_mode=True)
    p = module.params
    problem = check_records('out_of_band', p['out_of_band']) or check_records('in_band', p['in_band'])
    if problem:
        module.fail_json(msg=problem)
    if p['dest'] and os.path.exists(p['dest']) and not os.path.isdir(p['dest']):
        module.fail_json(msg='option dest: %s exists and is not a directory' % p['dest'])
    report = reconcile(p['out_of_band'], p['in_band'])
    renderers = {'json': ('reconcile.json', lambda: json.dumps(report, indent=2, sort_keys=True) + '\n'),
                 'markdown': ('reconcile.md', lambda: to_markdown(report, p['title'])),
                 'html': ('reconcile.html', lambda: to_html(report, p['title']))}
    if HAS_YAML:
        renderers['yaml'] = ('reconcile.yml', lambda: yaml.safe_dump(report, sort_keys=True))
    elif 'yaml' in p['formats']:
        module.fail_json(msg='formats: yaml needs the PyYAML library on the host that runs the module')
    files = []
    changed = False
    if p['dest']:
        if not module.check_mode:
            os.makedirs(p['dest'], exist_ok=True)
        for fmt in p['formats']:
            name, render = renderers[fmt]
            path = os.path.join(p['dest'], name)
            files.append(path)
            if module.check_mode:
                # the run would write it when it is missing or holds something else: predict exactly that
                changed = changed or read_bytes(path) != render().encode('utf-8')
            else:
                changed = write_if_changed(path, render().encode('utf-8'), 0o644) or changed
    module.exit_json(changed=changed, report=report, files=files)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: fleet_failures
short_description: The failed devices of a registered fleet task, with their error
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Reads the per-device results (RV(oob.amt.amt_power#module:fleet)) of a registered fleet task, or of every
    iteration of a looped one (its C(results)), and returns the devices that failed with their message.
  - A device that failed in several iterations keeps its first message. A skipped task gives no failures.
options:
  _input:
    description: The registered result of a fleet task (with or without a loop).
    type: dict
    required: true
  prefix:
    description: Text put in front of each message (the step that failed).
    type: str
    default: ""
'''

EXAMPLES = r'''
- name: Which devices failed
  ansible.builtin.debug:
    msg: "{{ fleet_power_result | oob.amt.fleet_failures }}"
'''

RETURN = r'''
_value:
  description: "V({device name: message}) for every device that failed."
  type: dict
'''


def fleet_failures(result, prefix=''):
    out = {}
    if not isinstance(result, dict):
        return out
    for step in result.get('results') or [result]:
        fleet = step.get('fleet') if isinstance(step, dict) else None
        if not isinstance(fleet, dict):
            continue
        for name, entry in fleet.items():
            if isinstance(entry, dict) and entry.get('failed') and name not in out:
                out[name] = '%s%s' % (prefix, entry.get('msg') or 'failed')
    return out


class FilterModule(object):
    def filters(self):
        return {'fleet_failures': fleet_failures}

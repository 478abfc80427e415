# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: power_alarms
short_description: Device alarm clocks for the power-on entries of a power schedule
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Turns power schedule entries (V(action), V(days), V(time), V(timezone)) into AMT alarm clocks for
    M(oob.amt.amt_alarm) - one weekly alarm per day, or one daily alarm when every day is listed.
  - Entries with other actions are ignored (they need a controller; see P(oob.amt.power_timers#filter)).
options:
  _input:
    description: List of schedule entries.
    type: list
    elements: dict
    required: true
  prefix:
    description: Prefix of the alarm names, so the role can find and prune its own alarms.
    type: str
    default: sched-
'''

EXAMPLES = r'''
- name: Alarms for the effective schedule of this host
  ansible.builtin.debug:
    msg: "{{ power_schedule_entries | oob.amt.power_alarms }}"
'''

RETURN = r'''
_value:
  description: Alarms with V(name), V(start) (next occurrence, UTC) and V(interval).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.oob.amt.plugins.module_utils.power_schedule import ScheduleError, alarms_for


def power_alarms(entries, prefix='sched-'):
    try:
        return alarms_for(entries, prefix)
    except ScheduleError as exc:
        raise AnsibleFilterError('power schedule: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'power_alarms': power_alarms}

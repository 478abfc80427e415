# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: power_timers
short_description: Controller timers for the off, reset and cycle entries of power schedules
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Groups the off, reset and cycle entries of every host's effective power schedule into one timer per
    distinct entry, with the list of hosts it applies to, a systemd C(OnCalendar) expression and cron fields.
options:
  _input:
    description: Mapping of inventory host name to that host's list of schedule entries.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Timers for the whole play
  ansible.builtin.debug:
    msg: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'power_schedule_entries'))) | oob.amt.power_timers }}"
'''

RETURN = r'''
_value:
  description:
    - Timers with V(unit), V(action), V(hosts), V(on_calendar), V(cron) (controller-local fields) and V(cron_guard)
      (a shell test that passes only at the entry's time in its time zone).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.oob.amt.plugins.module_utils.power_schedule import ScheduleError, timers_for


def power_timers(host_entries):
    try:
        return timers_for(host_entries)
    except ScheduleError as exc:
        raise AnsibleFilterError('power schedule: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'power_timers': power_timers}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: power_reapply_timer
short_description: The daily controller job that applies power schedules again
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Device alarm clocks hold a start in UTC and an interval, so a power-on entry in a time zone with daylight
    saving time would fire an hour early or late after each change. The role P(oob.amt.power_schedule#role)
    installs this job to run C(playbooks/power_schedule.yml) again every day, which recomputes the alarms from
    the local time.
  - Returns a timer in the shape of P(oob.amt.power_timers#filter) (systemd C(OnCalendar), cron fields and
    guard), firing every day at O(time) in O(timezone).
options:
  _input:
    description: The hosts the job applies the schedule to.
    type: list
    elements: str
    required: true
  time:
    description: Local time of day, HH:MM.
    type: str
    required: true
  timezone:
    description: IANA time zone of O(time).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: The re-apply job for the play's hosts
  ansible.builtin.debug:
    msg: "{{ ansible_play_hosts | oob.amt.power_reapply_timer('04:15', 'Europe/Berlin') }}"
'''

RETURN = r'''
_value:
  description: Timer with V(unit), V(action) (V(reapply)), V(hosts), V(on_calendar), V(cron) and V(cron_guard).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.oob.amt.plugins.module_utils.power_schedule import ScheduleError, cron_for, normalise


def power_reapply_timer(hosts, time, timezone):
    try:
        e = normalise({'name': 'reapply', 'action': 'on', 'time': time, 'timezone': timezone})
        cron = cron_for(e['days'], e['time'], e['timezone'])
    except ScheduleError as exc:
        raise AnsibleFilterError('power schedule re-apply: %s' % exc)
    return {'unit': 'oob-amt-power-reapply', 'name': 'reapply', 'action': 'reapply', 'hosts': list(hosts),
            'days': e['days'], 'time': e['time'], 'timezone': e['timezone'],
            'on_calendar': '*-*-* %s:00 %s' % (e['time'], e['timezone']),
            'cron': dict((k, v) for k, v in cron.items() if k != 'guard'), 'cron_guard': cron['guard']}


class FilterModule(object):
    def filters(self):
        return {'power_reapply_timer': power_reapply_timer}

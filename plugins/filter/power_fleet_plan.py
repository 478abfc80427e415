# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: power_fleet_plan
short_description: The alarm clock work of a whole fleet, one item per distinct alarm
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Turns every host's power schedule entries into the device alarm clocks to write and the alarms to remove,
    grouped so that one fleet task of M(oob.amt.amt_alarm) (option O(oob.amt.amt_alarm#module:devices)) writes
    or removes each alarm on all the hosts that need it. Used by the P(oob.amt.power_schedule#role) role on the
    fleet path.
  - All hosts' alarms are computed at the same instant, so hosts that share an entry share its alarms exactly.
options:
  _input:
    description: "Each host's effective schedule, V({inventory_hostname: [entries]})."
    type: dict
    required: true
  prefix:
    description: Prefix of the alarm names the role manages (only those are ever removed).
    type: str
    default: sched-
  current:
    description: "Names of the alarms each device holds now, V({inventory_hostname: [names]}); without it nothing is removed."
    type: dict
'''

EXAMPLES = r'''
- name: Plan the alarms of every host in the play
  ansible.builtin.debug:
    msg: "{{ {'pc1': power_schedule_entries} | oob.amt.power_fleet_plan('sched-') }}"
'''

RETURN = r'''
_value:
  description:
    - V(alarms), a list of V({name, start, interval, hosts}); V(remove), a list of V({name, hosts}); V(wanted), the
      alarm names per host.
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.oob.amt.plugins.module_utils.power_schedule import ScheduleError, fleet_plan


def power_fleet_plan(host_entries, prefix='sched-', current=None):
    try:
        return fleet_plan(dict(host_entries or {}), prefix, current)
    except ScheduleError as exc:
        raise AnsibleFilterError('power schedule: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'power_fleet_plan': power_fleet_plan}

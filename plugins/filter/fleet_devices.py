# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: fleet_devices
short_description: The devices option of a fleet task for a list of inventory hosts
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Turns inventory host names into the O(oob.amt.amt_power#module:devices) list of a fleet task, with the same
    variables as the O(oob.amt.amt_power#module:targets) option reads - C(amt_host) (or C(ansible_host), or the
    name), C(amt_password), C(amt_username), C(amt_ca_path), C(amt_cert_fingerprint), C(amt_validate_certs); a
    host with C(amt_is_controller) true runs last.
  - Use it when the hosts are a computed list (a subset of C(ansible_play_hosts)) rather than a pattern. A long
    comma-separated pattern would be matched against the whole inventory once per name.
  - The result holds passwords; pass it straight to the task (or put it in the task's C(vars)), do not store it
    with C(set_fact), which prints facts at C(-v).
options:
  _input:
    description: Inventory host names.
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Power on the devices of the play that are off, one task for all of them
  oob.amt.amt_power:
    devices: "{{ ansible_play_hosts | select('in', groups['amt_powered_off']) | oob.amt.fleet_devices(hostvars) }}"
    state: "on"
  run_once: true
'''

RETURN = r'''
_value:
  description: One dict per host, V(name), V(host) and the connection options that host sets.
  type: list
  elements: dict
'''


# what a host's variables make of a device is the targets option's, kept in one place
from ansible_collections.oob.amt.plugins.plugin_utils.amt_action import device_from_hostvars


def fleet_devices(names, hostvars):
    return [device_from_hostvars(name, hostvars[name]) for name in names or []]


class FilterModule(object):
    def filters(self):
        return {'fleet_devices': fleet_devices}

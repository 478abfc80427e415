# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: reconcile_records
short_description: Out-of-band records for M(oob.amt.amt_reconcile) from a fleet read
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Turns the per-device results of a fleet M(oob.amt.amt_info) task (RV(oob.amt.amt_info#module:fleet), gather
    V(general), V(power), V(hardware), V(network)) into the O(oob.amt.amt_reconcile#module:out_of_band) records; a
    device that could not be read becomes a record with the reason in C(unreadable).
  - Used by the P(oob.amt.reconcile#role) role on the fleet path.
options:
  _input:
    description: The C(fleet) dict of the registered M(oob.amt.amt_info) fleet task.
    type: dict
    required: true
  addresses:
    description: "V({name: address}) for the report; default each device's C(host)."
    type: dict
'''

EXAMPLES = r'''
- name: Records of every device read in one task
  ansible.builtin.debug:
    msg: "{{ fleet_info.fleet | oob.amt.reconcile_records }}"
'''

RETURN = r'''
_value:
  description: One record per device (V(name), V(address), V(uuid), V(serial), V(hostname), V(macs), ... or V(unreadable)).
  type: list
  elements: dict
'''

from ansible_collections.oob.amt.plugins.module_utils.reconcile import oob_records


def reconcile_records(fleet, addresses=None):
    return oob_records(dict(fleet or {}), addresses)


class FilterModule(object):
    def filters(self):
        return {'reconcile_records': reconcile_records}

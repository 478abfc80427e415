#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_alert_subscription
short_description: Subscribe Intel AMT devices to push alerts to a listener
version_added: 0.2.0
description:
  - Makes the device push WS-Eventing indications (CIM_AlertIndication) - hardware and boot failures from its
    event log, and AMT's own events - to a listener such as the C(oob.amt.amt_alerts) Event-Driven Ansible source.
  - One subscription per filter collection (CIM_FilterCollection) and listener URL; idempotent, removable.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  state:
    description: V(present) subscribes, V(absent) removes the subscriptions to O(listener_url) (those of O(filters)
      when given, all of them with the default).
    type: str
    choices: [present, absent]
    default: present
  listener_url:
    description: Where the device POSTs, C(http://host:port/path) (AMT pushes over plain HTTP; use the listener
      credentials).
    type: str
    required: true
  filters:
    description: Filter collections, with or without the C(Intel(r) AMT:) prefix; V(All) (every event) or
      V(Features) (AMT's own events, no hardware events).
    type: list
    elements: str
    default: [All]
  delivery:
    description: V(push) or V(push_with_ack) (the listener acknowledges each indication).
    type: str
    choices: [push, push_with_ack]
    default: push
  argument:
    description: Opaque value the device sends back with every indication (ReferenceParameters).
    type: str
  listener_username:
    description: User name the device uses for digest authentication to the listener.
    type: str
  listener_password:
    description: Password for O(listener_username). Write only on the device; sent when a subscription is made.
    type: str
  exclusive:
    description: Remove subscriptions to O(listener_url) for filters not in O(filters).
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the subscriptions and reports what would be added or removed.
    support: full
  diff_mode:
    description: Shows the subscriptions before and after.
    support: full
seealso:
  - module: oob.amt.amt_event_log
'''

EXAMPLES = r'''
- name: Send every alert to the Event-Driven Ansible listener
  oob.amt.amt_alert_subscription:
    host: 10.0.0.21
    listener_url: "http://10.0.0.5:5000/amt"
    listener_username: amt-alerts
    listener_password: "{{ alert_listener_password | default('Listener-Pass1') }}"
    argument: floor-3

- name: Stop sending alerts there
  oob.amt.amt_alert_subscription:
    host: 10.0.0.21
    listener_url: "http://10.0.0.5:5000/amt"
    state: absent
'''

RETURN = r'''
subscriptions:
  description: The device's subscriptions after the run (every listener, not only O(listener_url)).
  returned: always
  type: list
  elements: dict
  sample: [{"filter": "Intel(r) AMT:All", "url": "http://10.0.0.5:5000/amt", "delivery": "push", "argument": null}]
added:
  description: Filters subscribed by this run.
  returned: always
  type: list
  elements: str
  sample: ["Intel(r) AMT:All"]
removed:
  description: Filters unsubscribed by this run.
  returned: always
  type: list
  elements: str
  sample: []
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 7
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.alerts import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Keep in sync with FLEET_ARGSPEC in plugins/module_utils/fleet.py.
    DOCUMENTATION = r'''
options:
  devices:
    description:
      - Fleet path. Run the operation on every device in this list from one task (use it with C(run_once)),
        over at most O(fleet_workers) concurrent connections inside the controller, instead of one task per host.
      - Every other option of the task applies to every device; the keys of an entry override them per device.
      - The result has one entry per device in RV(fleet); one device's failure never stops the others.
      - Mutually exclusive with O(targets). When set, O(host) is ignored.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the device in the results (default the host).
        type: str
      host:
        description: Address or DNS name of the device.
        type: str
        required: true
      port:
        description: TCP port of the device, see O(port).
        type: int
      use_tls:
        description: See O(use_tls).
        type: bool
      username:
        description: See O(username).
        type: str
      password:
        description: See O(password).
        type: str
      ca_path:
        description: See O(ca_path).
        type: path
      cert_fingerprint:
        description: See O(cert_fingerprint).
        type: str
      validate_certs:
        description: See O(validate_certs).
        type: bool
      last:
        description:
          - Start this device only after every other device has finished (the device of the machine that runs
            Ansible, so that powering it off or resetting it cannot cut the others short).
        type: bool
        default: false
  targets:
    description:
      - Fleet path with an inventory host pattern (V(amt), V(floor3:&amt_powered_off), V(~pc-0[0-9])). The pattern
        is resolved against the play's inventory within C(--limit) (a sliced AWX job sees only its slice), and
        each host becomes a device with the variables the collection's playbooks pass - C(amt_host) (or
        C(ansible_host), or the inventory name), C(amt_password), C(amt_username), C(amt_ca_path),
        C(amt_cert_fingerprint), C(amt_validate_certs); a host with C(amt_is_controller) true runs last (see
        O(devices[].last)).
      - Resolved by the action plugin on the controller; use it in a C(run_once) task.
    type: str
  fleet_workers:
    description:
      - Fleet path. At most this many devices are contacted at the same time.
      - From 100 devices the work is split over one process per CPU core (at most 4, never more than this
        number), each with its share of these workers, so the client code is not held to one core. A process
        that dies fails its devices that had not reported, with the outcome unknown.
    type: int
    default: 50
  max_fail_percentage:
    description:
      - Fleet path. The task fails when more than this percentage of the devices failed; at or below it the task
        succeeds and warns, naming the failed devices. Every device runs either way.
    type: float
    default: 0
'''

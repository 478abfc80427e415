#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_consent
short_description: User consent policy and the consent-code flow of Intel AMT devices
version_added: 0.2.0
description:
  - Sets the user consent policy (IPS_OptInService) - which redirection and boot operations need the person at the
    machine to read out a code - and its display timeout.
  - Runs the consent flow of Client Control Mode, where consent is always required for KVM, storage redirection
    and boot to BIOS setup; V(requested) puts a 6-digit code on the host screen, V(granted) sends the code the user
    reads out, V(cancelled) ends the consent, V(status) only reads.
  - The code comes from a person, so a playbook asks for it; see the examples (C(vars_prompt)) and
    C(docs/user-guide.md) (AWX survey).
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  state:
    description:
      - V(present) applies O(policy) and O(display_timeout).
      - V(requested) starts a consent request (StartOptIn) unless one is already pending or granted.
      - V(granted) sends O(code) (SendOptInCode) unless consent is already granted; fails when no request is pending.
      - V(cancelled) ends a pending or granted consent (CancelOptIn).
      - V(status) only reads.
    type: str
    choices: [present, requested, granted, cancelled, status]
    default: present
  policy:
    description:
      - V(none) (no consent), V(kvm) (KVM sessions only) or V(all) (KVM, storage redirection, boot to BIOS setup).
      - Only Admin Control Mode can change it; in Client Control Mode the device keeps V(all) and the module fails
        when asked for something else.
    type: str
    choices: [none, kvm, all]
  display_timeout:
    description: Seconds the code stays on the host screen (60-999).
    type: int
  code:
    description: The 6 digits shown on the host screen, for O(state=granted).
    type: str
attributes:
  check_mode:
    description: Reads the consent state and reports what would change.
    support: full
  diff_mode:
    description: Shows policy, display timeout and consent state before and after.
    support: full
notes:
  - Three wrong codes cancel the request on the device (it is logged in the audit log); start again with
    V(requested).
seealso:
  - module: oob.amt.amt_redirection
'''

EXAMPLES = r'''
- name: Require consent for every redirection and boot to BIOS setup (what Client Control Mode keeps anyway)
  oob.amt.amt_consent:
    host: 10.0.0.21
    policy: all
    display_timeout: 300

- name: Show a consent code on the host screen
  oob.amt.amt_consent:
    host: 10.0.0.21
    state: requested

- name: Send the code the user read out (asked with vars_prompt or an AWX survey as consent_code)
  oob.amt.amt_consent:
    host: 10.0.0.21
    state: granted
    code: "{{ consent_code }}"
  when: consent_code is defined

- name: Read the consent state
  oob.amt.amt_consent:
    host: 10.0.0.21
    state: status
  register: consent
'''

RETURN = r'''
consent:
  description: Policy and consent state after the run.
  returned: always
  type: dict
  sample: {"policy": "all", "policy_value": 4294967295, "state": "displayed", "state_value": 2,
           "can_modify_policy": false, "display_timeout": 300, "code_timeout": 120}
return_value:
  description: The method's ReturnValue when the device refused (2 no request pending, 3 blocked, 2066 wrong code).
  returned: on failure
  type: int
  sample: 2066
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 4
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.consent import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_user
short_description: Manage Intel AMT digest user accounts and rotate the admin password out of band
version_added: 0.2.0
description:
  - Adds, updates and removes digest user accounts beside the built-in admin, with their realms (what they
    may do) and access (host-local interface, network, or both), through AMT_AuthorizationService
    (AddUserAclEntryEx, UpdateUserAclEntryEx, RemoveUserAclEntry, EnumerateUserAclEntries).
  - With O(name) equal to the connection's O(username) (the built-in admin), sets a new admin password over the
    network (SetAdminAclEntryEx), as Intel's clients do. Connect with the current password in O(password) and
    give the new one in O(user_password). A re-run after the rotation is unchanged, even with the old password
    in O(password) - the new one is tried first.
  - Passwords are never returned. The firmware cannot tell a password, so whether it is already right is
    decided by trying it - one digest exchange as that user (an HTTP 401 means it differs). Local-only
    accounts cannot be tried from the network; their password is set on creation and with
    O(update_password=always).
  - Passwords must follow the AMT rules (8 to 32 characters, upper and lower case, digit, special character,
    no C(:) C(,) C(")); they are checked before anything is sent.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  name:
    description:
      - 'Account name: 1 to 16 printable ASCII characters, none of C(:) C(,) C(<) C(>) C(&) C("). The connection''s
        O(username) means the built-in admin.'
    type: str
    required: true
  user_password:
    description:
      - The account's password (the new admin password for the admin). Required with O(state=present).
    type: str
  state:
    description:
      - V(present) adds or updates the account; V(absent) removes it (never the admin).
    type: str
    choices: [present, absent]
    default: present
  realms:
    description:
      - What the account may do (AMT realms), required for other accounts than the admin.
    type: list
    elements: str
    choices: [redirection, pt_administration, hardware_asset, remote_control, storage, event_manager,
              storage_admin, agent_presence_local, agent_presence_remote, circuit_breaker, network_time,
              general_info, firmware_update, eit, local_un, endpoint_access_control, endpoint_access_control_admin,
              event_log_reader, audit_log, acl, local_system]
  access:
    description:
      - Where the account may sign in - V(local) (host-local interface), V(network) or V(any).
    type: str
    choices: [local, network, any]
    default: network
  update_password:
    description:
      - V(when_changed) sets the password when trying it fails; V(always) sets it every run (reported as
        changed); V(on_create) only when the account is created.
    type: str
    choices: [when_changed, always, on_create]
    default: when_changed
attributes:
  check_mode:
    description: Reads the accounts (and tries the password) and reports what would change.
    support: full
  diff_mode:
    description: Shows the account's access and realms before and after, and whether the password changes
      (never the password).
    support: full
notes:
  - Trying a password is a failed sign-in when it differs; AMT may lock an account after repeated failures,
    so do not loop this module over wrong passwords.
  - Use Ansible Vault for O(password) and O(user_password); see C(playbooks/rotate_admin_password.yml).
seealso:
  - module: oob.amt.amt_provision
'''

EXAMPLES = r'''
- name: A help-desk account that may power and redirect, over the network
  oob.amt.amt_user:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    name: helpdesk
    user_password: "{{ vault_helpdesk_password | default(vault_amt_password) }}"
    realms: [remote_control, redirection, hardware_asset, general_info]
    access: network

- name: Rotate the admin password (connect with the current one)
  oob.amt.amt_user:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    name: admin
    user_password: "{{ vault_amt_new_password | default(vault_amt_password) }}"

- name: Remove an account
  oob.amt.amt_user:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    name: contractor
    state: absent
'''

RETURN = r'''
user:
  description: The account after the run (name, access and realm names); never a password.
  returned: always
  type: dict
  sample: {"name": "helpdesk", "access": "network", "realms": ["general_info", "redirection"]}
password_changed:
  description: Whether the password was (or in check mode would be) set.
  returned: with state=present
  type: bool
  sample: true
actions:
  description: What was done.
  returned: always
  type: list
  elements: str
  sample: ["add user helpdesk"]
exchanges:
  description: HTTP exchanges made with the device on the admin connection.
  returned: always
  type: int
  sample: 7
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.users import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

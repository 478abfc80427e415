#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_redirection
short_description: Enable or disable Serial-over-LAN, storage redirection (IDE-R/USB-R) and KVM on Intel AMT devices
version_added: 0.2.0
description:
  - Sets the redirection listeners of an Intel AMT device the way a console needs them to watch a boot over
    Serial-over-LAN, mount an image over storage redirection or take the screen, keyboard and mouse (KVM).
  - Declarative and idempotent; options left unset are not touched. The redirection port listener
    (16994/16995) is switched on automatically when SOL, storage redirection or KVM ends up enabled.
  - Firmware rules are checked before anything is sent. KVM needs a provisioned device; in Client Control Mode
    every KVM session needs the user consent code shown on the host screen (see M(oob.amt.amt_consent)), so the
    standard VNC port 5900 (O(kvm_port_5900)) needs Admin Control Mode.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  sol:
    description: Serial-over-LAN (AMT_RedirectionService, EnabledState bit 2).
    type: bool
  ider:
    description: Storage redirection, IDE-R on older firmware and USB-R on newer (EnabledState bit 1).
    type: bool
  kvm:
    description: KVM redirection (CIM_KVMRedirectionSAP). Only Intel vPro SKUs have it.
    type: bool
  listener:
    description:
      - The redirection port listener (ListenerEnabled). Default is to switch it on when anything is enabled and
        otherwise leave it alone.
    type: bool
  kvm_port_5900:
    description:
      - Let standard VNC viewers connect on port 5900 (IPS_KVMRedirectionSettingData Is5900PortEnabled). Needs Admin
        Control Mode and O(kvm_password) when it is switched on.
    type: bool
  kvm_password:
    description:
      - RFB password VNC viewers use on port 5900; exactly 8 characters with upper case, lower case, a digit and a
        special character. Write only on the device, so it is sent when port 5900 is switched on, or every run
        with O(update_kvm_password=always).
    type: str
  update_kvm_password:
    description: When to send O(kvm_password).
    type: str
    choices: [always, on_enable]
    default: on_enable
  kvm_session_timeout:
    description: Minutes after which an idle KVM session is closed (0 = never).
    type: int
attributes:
  check_mode:
    description: Reads the settings and reports the requests that would be sent.
    support: full
  diff_mode:
    description: Shows the listener settings before and after.
    support: full
notes:
  - The IDE-R/SOL redirection protocol itself (ports 16994/16995) calls the same listener logic before it opens a
    session (C(ensure_listeners) in C(module_utils/amt/redirection.py)).
  - Opening a session is recorded in the device's audit log (M(oob.amt.amt_audit_log)).
seealso:
  - module: oob.amt.amt_consent
  - module: oob.amt.amt_audit_log
'''

EXAMPLES = r'''
- name: Watch the boot over Serial-over-LAN and allow storage redirection
  oob.amt.amt_redirection:
    host: 10.0.0.21
    sol: true
    ider: true

- name: Enable KVM (in Client Control Mode each session then needs the consent code)
  oob.amt.amt_redirection:
    host: 10.0.0.21
    kvm: true
    kvm_session_timeout: 30
  register: redirection

- name: Close everything
  oob.amt.amt_redirection:
    host: 10.0.0.21
    sol: false
    ider: false
    kvm: false
    listener: false
'''

RETURN = r'''
redirection:
  description: Settings after the run (after the requests in check mode). V(null) for kvm when the device has none.
  returned: always
  type: dict
  sample: {"sol": true, "ider": true, "kvm": true, "listener": true, "kvm_port_5900": false, "kvm_session_timeout": 30}
before:
  description: Settings read before any change.
  returned: always
  type: dict
  sample: {"sol": false, "ider": false, "kvm": true, "listener": true}
requests:
  description: What was sent (or would be sent in check mode), in order.
  returned: always
  type: list
  elements: dict
  sample: [{"class": "AMT_RedirectionService", "method": "RequestStateChange", "RequestedState": 32771}]
kvm_password_sent:
  description: Whether the RFB password was written (never the password itself).
  returned: always
  type: bool
  sample: false
msg:
  description: Note about user consent when KVM is enabled in Client Control Mode.
  returned: when applicable
  type: str
  sample: "KVM is enabled in Client Control Mode: every KVM session needs the user consent code shown on
    the host screen (oob.amt.amt_consent)"
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 9
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.redirection import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

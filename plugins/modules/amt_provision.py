#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_provision
short_description: Activate Intel AMT in Client or Admin Control Mode, rotate its admin password, or unprovision it
version_added: 0.1.0
description:
  - V(present) activates a pre-provisioned device in Client Control Mode (V(ccm), the console's SMB mode) with
    C(Setup), or in Admin Control Mode (V(acm), Enterprise mode) with the provisioning certificate chain
    (C(AddNextCertInChain) leaf to root, then C(AdminSetup) signed with RSA-SHA256 over the firmware nonce and a
    fresh 20-byte nonce). A CCM device asked for ACM is upgraded with C(UpgradeClientToAdmin).
  - Activation is only accepted on the host's local interface, so the module runs on the managed host itself
    (over SSH or WinRM) with the local system account it reads from the MEI device (or O(local_username)/
    O(local_password)), the way Intel's agent rpc-go does it. It first asks the firmware over MEI whether AMT is
    enabled and whether TLS is enforced on local ports. A disabled AMT is enabled over MEI (reported as a change).
    With TLS enforced (CSME 19) it talks TLS to the local TLS port (O(lms_tls_port)), else plain HTTP to
    O(lms_port). When nothing listens there (no Local Manageability Service, as on most Linux hosts) the same
    exchanges go to the firmware directly over the MEI device (APF channels on the LME client), so nothing but
    C(/dev/mei0) and Python is needed.
  - On the local hop the device certificate is accepted without CA validation (the connection cannot leave the
    machine, going over MEI or to an LMS on a loopback address) and the first certificate seen is pinned for the rest of the run;
    its SHA-256 is returned. An O(lms_host) that is not a loopback address gets the normal certificate validation.
  - Reads after activation, and every read of an already provisioned device, use the admin account
    (O(admin_password), else O(current_password)), as the local system account is for activation only.
  - A device already in the requested mode whose O(admin_password) works is left alone. On a provisioned device a
    new O(admin_password) is set with C(SetAdminAclEntryEx) when O(current_password) works, and nothing else changes.
  - V(absent) unprovisions (also remotely, with O(host) and the admin password) and waits until the device is back
    in pre-provisioning.
  - Passwords are checked against AMT's rules, and the ACM chain against the firmware's conditions (markers, validity,
    key, root hash enabled on the device, DNS suffix), before anything is sent; every failed condition is reported.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.local_access
options:
  state:
    description: Whether AMT should be provisioned.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - Control mode for O(state=present), V(ccm) (Client Control Mode) or V(acm) (Admin Control Mode).
      - V(smb) and V(enterprise), the console's names, are aliases of V(ccm) and V(acm).
    type: str
    choices: [ccm, acm, smb, enterprise]
    default: ccm
  admin_password:
    description:
      - The AMT admin password to set (activation) or that is set (unprovision, idempotency check).
      - 8-32 characters with upper and lower case, a digit and a special character; no C(:), C(,) or C(").
    type: str
    required: true
  current_password:
    description: The admin password that works now, to rotate it to O(admin_password).
    type: str
  provisioning_cert:
    description: PEM (or DER) provisioning certificate chain for ACM (leaf, intermediates, root).
    type: path
  provisioning_key:
    description: Unencrypted PEM private key of the provisioning certificate.
    type: path
  provisioning_pfx:
    description: PFX/PKCS#12 bundle with the provisioning certificate chain and key, instead of the two above.
    type: path
  provisioning_pfx_password:
    description: Password of O(provisioning_pfx).
    type: str
  dns_suffix:
    description: The device's PKI DNS suffix, to check the certificate domain. Defaults to the domain AMT reports.
    type: str
  host_dhcp:
    description:
      - Whether the host OS uses DHCP. With CCM, a host and AMT that differ (static/DHCP) is an unsupported SMB
        configuration and fails, unless O(fix_network=true). Not checked when omitted.
    type: bool
  fix_network:
    description:
      - Make AMT's wired port match the host when O(host_dhcp) says they differ. Host DHCP + AMT static switches AMT
        to DHCP; host static + AMT DHCP switches AMT to a static address taken from the host OS (IP sync). The whole
        C(AMT_EthernetPortSettings) instance is written with C(IpSyncEnabled)/C(SharedStaticIp) set, as Intel's
        RPS and rpc-go do.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the device to return to pre-provisioning after Unprovision.
    type: int
    default: 120
  forget_on_failure:
    description:
      - With O(state=absent), when unprovisioning fails, drop the device from the discovery inventory's cache
        (O(inventory_cache)) so the next run no longer targets it until it is rediscovered. This is the console's
        "delete the device if unprovisioning fails". The task still fails and says what was forgotten.
    type: bool
    default: false
  inventory_cache:
    description:
      - Directory of the M(oob.amt.amt) inventory plugin's jsonfile cache (its C(cache_connection)).
    type: path
    default: ~/.cache/oob-amt
attributes:
  check_mode:
    description: Reads the device and runs every pre-flight check; sends nothing that changes it.
    support: full
  diff_mode:
    description: Provisioning state and control mode before and after (never secrets).
    support: full
notes:
  - CSME 19 and later removed AdminSetup. When the firmware says over MEI that it enforces TLS on local ports (the
    flag Intel's agent rpc-go keys this on), V(acm) activates as rpc-go does there, by Secure Host-Based
    Configuration - MEI C(StartConfigurationHBased) with the hash of the provisioning leaf certificate, mutual TLS to
    the local TLS port presenting the provisioning chain (the device certificate checked against the hash the
    firmware announced), C(SetAdminAclEntryEx), C(CommitChanges) - after the same pre-flight checks; if a step after
    the start fails, C(StopConfiguration) goes out over MEI and the device stays unprovisioned. When the firmware
    asks for a MEBx password first (C(CommitChanges) answers 2057), the MEBx password is set to O(admin_password)
    as rpc-go does (an action and a warning in the result). CCM to ACM (C(UpgradeClientToAdmin), also removed) fails
    before anything is changed; unprovision first.
    Client Control Mode activation (C(Setup)) works there, over TLS as the firmware demands; AMT 19 leaves the device
    in provisioning after C(Setup) until C(CommitChanges), which the module then sends as admin (as rpc-go does), and
    a device left so by an interrupted run is finished on the next one.
  - After enabling AMT over MEI, rpc-go also renews the host's DHCP lease; this module does not.
seealso:
  - module: oob.amt.amt_power
'''

EXAMPLES = r'''
- name: Activate Client Control Mode on the host itself (SMB mode)
  oob.amt.amt_provision:
    mode: ccm
    admin_password: "{{ vault_amt_password }}"
    host_dhcp: true        # the PC's OS gets its address by DHCP (Ansible gathers no fact that says so)
  become: true

- name: Activate Admin Control Mode with the zone provisioning certificate
  oob.amt.amt_provision:
    mode: acm
    admin_password: "{{ vault_amt_password }}"
    provisioning_pfx: /etc/amt/provisioning.pfx
    provisioning_pfx_password: "{{ vault_pfx_password }}"
  become: true

- name: Unprovision remotely from the controller
  oob.amt.amt_provision:
    host: "{{ amt_host }}"
    state: absent
    admin_password: "{{ vault_amt_password }}"
  delegate_to: localhost
'''

RETURN = r'''
forgotten_in:
  description: Inventory cache files the device was removed from (O(forget_on_failure)).
  returned: when unprovisioning failed
  type: list
  elements: str
  sample: ["/home/ops/.cache/oob-amt/oob.amt.amt_s_3c6a2_8f1e0"]
before:
  description: Provisioning state and control mode before.
  returned: always
  type: dict
  sample: {"provisioning_state": "pre", "control_mode": "none"}
after:
  description: Provisioning state and control mode after (or expected after, in check mode).
  returned: always
  type: dict
  sample: {"provisioning_state": "post", "control_mode": "ccm"}
actions:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
  sample: ["activate CCM"]
realm:
  description: The digest realm of the device.
  returned: on success with state present
  type: str
  sample: "Digest:8A64C1E5F0B2D7394E1A6C0B5D2F8E37"
activation_seconds:
  description: Time the activation call took.
  returned: when the device was activated
  type: float
  sample: 4.217
unprovision_seconds:
  description: Time from Unprovision until the device reported pre-provisioning.
  returned: when the device was unprovisioned
  type: float
  sample: 21.503
local_access:
  description:
    - How the local firmware was reached. C(path) V(lms) or V(mei); C(tls); C(tls_enforced_local) and
      C(amt_enabled_before) as read over MEI (null when MEI could not be read); C(certificate_sha256) of the
      device certificate on the local TLS hop.
  returned: with state present, and state absent without host
  type: dict
  sample: {"path": "mei", "tls": true, "tls_enforced_local": true, "amt_enabled_before": true,
           "certificate_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
preflight:
  description: Every failed ACM pre-flight condition.
  returned: when the ACM pre-flight fails
  type: list
  elements: str
  sample: ["the root CA hash e835ac6d0c1f6b1c9e2e93b0f1b75f2f4a0cd67a3e4b4f2c9d9b0e6a6f5a8c21 is not an enabled trusted hash
    on the device (add it with amt_hash or a USB setup.bin from amt_usb_setupbin)",
    "the certificate names (prov.example.com) are not in the device DNS suffix corp.example.net"]
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.provision import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

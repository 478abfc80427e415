#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_hash
short_description: Root CA hashes for Intel AMT, and the device's trusted hash table
version_added: 0.1.0
description:
  - Computes the hash of a root CA certificate the way Intel AMT stores it (over the whole DER certificate) in
    SHA-1, SHA-256 and SHA-384, each as plain hex, colon-separated (the ZENworks C(zman irch) display) and in the
    MEBx entry form (groups of four separated by hyphens, for example C(1F0E-1C88-...)). MD5 is returned for
    display parity with the ZENworks console only; AMT never uses it.
  - The certificate comes from a file (PEM or DER) or from what a TLS server presents (O(tls_host)).
  - With O(host), lists the device's trusted root hash table (C(AMT_ProvisioningCertificateHash)), and with
    O(state=present), V(absent), V(enabled) or V(disabled) adds a custom hash with a friendly name, removes it,
    or enables or disables an entry, changing the device only when needed.
  - Many AMT 16 and later platforms accept custom hashes only from USB provisioning; when the firmware refuses,
    the module fails with that explanation and points to M(oob.amt.amt_usb_setupbin).
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.local_access
options:
  interface:
    description:
      - V(network) talks to the device at O(host) (the default).
      - V(local) runs on the managed host and talks to its own firmware the way M(oob.amt.amt_provision) does. It
        asks the firmware over MEI whether AMT is enabled (enabling it, reported as a change) and whether TLS is
        enforced on local ports (CSME 19, then TLS to O(lms_tls_port), the certificate pinned for the run), and uses
        the LMS port or, when nothing listens there, the MEI device itself (APF). Before activation it uses the
        local system account (read over MEI, or O(local_username)/O(local_password)); once the device is
        activated, O(username)/O(password). This is how a pre-provisioned device comes to trust a root before
        Admin Control Mode activation. O(host) is not used.
    type: str
    choices: [network, local]
    default: network
  state:
    description:
      - Omitted, the module only computes hashes and, with O(host), lists the device table.
      - V(present) adds the hash when it is missing (and enables it when it is there but disabled).
      - V(absent) removes a custom hash; factory entries can only be disabled.
      - V(enabled) and V(disabled) switch an existing entry; V(disabled) on a missing hash changes nothing.
    type: str
    choices: [present, absent, enabled, disabled]
  certificate:
    description:
      - Path to the root CA certificate, PEM or DER. When the file holds a chain, the self-signed root is used.
      - Mutually exclusive with O(hash) and O(tls_host).
    type: path
  tls_host:
    description:
      - Read the certificate chain a TLS server presents (for example the provisioning server) and hash its root,
        or its last certificate when the root is not sent. Python before 3.13 exposes only the server's own
        certificate.
      - The server must be authenticated (O(tls_fingerprint) or O(tls_ca_path)) for O(state=present) or
        O(state=enabled), because a root read from an unauthenticated server is never added to a device. The module
        warns which certificate it took and how it was verified.
    type: str
  tls_port:
    description:
      - Port for O(tls_host).
    type: int
    default: 443
  tls_fingerprint:
    description:
      - SHA-256 fingerprint of the certificate O(tls_host) presents (its own, hex, colons allowed); the connection
        fails when it differs (pinning).
    type: str
  tls_ca_path:
    description:
      - PEM file of the CA that issued the certificate of O(tls_host). The chain and the name are verified against
        it, and the root hashed is the certificate in this file that anchors the chain.
    type: path
  hash:
    description:
      - The hash itself, in any of the three forms (hex, colon-separated, MEBx groups of four).
    type: str
  algorithm:
    description:
      - Hash algorithm of the entry to manage. Defaults to the one matching the length of O(hash), or V(sha256)
        for a certificate (what current firmware and tools use).
    type: str
    choices: [sha1, sha256, sha384]
  name:
    description:
      - Friendly name of a hash added with O(state=present), at most 32 characters. Defaults to the certificate's
        common name.
    type: str
notes:
  - Adding a hash needs the device's admin credentials; firmware holds at most three custom hashes.
  - Unprovisioning the device removes custom hashes.
attributes:
  check_mode:
    description: Reads the table and reports what would change.
    support: full
  diff_mode:
    description: Shows the entry before and after.
    support: full
seealso:
  - module: oob.amt.amt_mgmtcert
  - module: oob.amt.amt_usb_setupbin
'''

EXAMPLES = r'''
- name: Root hash of the zone CA in every form (zman irch)
  oob.amt.amt_hash:
    certificate: /etc/oob-amt/zone/ca.crt
  delegate_to: localhost
  register: root

- name: Show the form to type into MEBx
  ansible.builtin.debug:
    msg: "{{ root.root_hash.sha256.mebx }}"

- name: Trust the zone CA on a device that still accepts remote hash changes
  oob.amt.amt_hash:
    host: "{{ amt_host }}"
    password: "{{ amt_password }}"
    certificate: /etc/oob-amt/zone/ca.crt
    name: Zone CA
    state: present

- name: Trust the zone CA on the host's own pre-provisioned firmware, before ACM activation (run on the host)
  oob.amt.amt_hash:
    interface: local
    certificate: /etc/oob-amt/zone/ca.crt
    name: Zone CA
    state: present
  become: true

- name: Disable a factory hash nobody uses
  oob.amt.amt_hash:
    host: "{{ amt_host }}"
    password: "{{ amt_password }}"
    hash: "C3846BF24B9E93CA64274C0EC67C1ECC5E024FFCACD2D74019350E81FE546AE4"
    state: disabled

- name: List the trusted hash table
  oob.amt.amt_hash:
    host: "{{ amt_host }}"
    password: "{{ amt_password }}"
  register: table
'''

RETURN = r'''
root_hash:
  description:
    - Hashes of the certificate's DER. Each algorithm has C(hex), C(colon) and C(mebx) forms; C(md5) also has
      C(display_only=true).
  returned: when a certificate was given
  type: dict
  sample: {"sha1": {"hex": "1f0e...", "colon": "1F:0E:...", "mebx": "1F0E-1C88-..."}}
certificate:
  description: Subject, issuer, validity and fingerprints of the certificate that was hashed.
  returned: when a certificate was given
  type: dict
  sample: {"subject": "CN=Example Zone Root CA,O=Example Corp", "issuer": "CN=Example Zone Root CA,O=Example Corp",
    "serial_number": "5f1c2a9e0b7d43c18e6a2f0d9b3c4e71a2b8d605", "not_before": "2025-01-06T09:12:44+00:00",
    "not_after": "2045-01-01T09:12:44+00:00",
    "fingerprints": {"sha1": "3b1efd3a66ea28b16697394703a72ca340a05bd5",
    "sha256": "e835ac6d0c1f6b1c9e2e93b0f1b75f2f4a0cd67a3e4b4f2c9d9b0e6a6f5a8c21"},
    "markers": {"client_setup_oid": false, "server_auth": false, "remote_console_oid": false, "client_setup_ou": false}}
hash:
  description: The managed hash (lower-case hex) and its algorithm.
  returned: when O(state) is set
  type: dict
  sample: {"hash": "e835ac6d...", "algorithm": "sha256", "name": "Zone CA"}
hashes:
  description: The device's trusted hash table after the change (name, algorithm, hash, hash_forms, enabled, default,
    instance_id).
  returned: when O(host) is set or O(interface=local)
  type: list
  elements: dict
  sample: [{"name": "Zone CA", "instance_id": "Intel(r) AMT Certificate Hash: 17", "algorithm": "sha256",
    "hash": "e835ac6d0c1f6b1c9e2e93b0f1b75f2f4a0cd67a3e4b4f2c9d9b0e6a6f5a8c21",
    "hash_forms": {"hex": "e835ac6d...", "colon": "E8:35:AC:6D:...", "mebx": "E835-AC6D-..."},
    "enabled": true, "default": false}]
local_access:
  description:
    - With O(interface=local), how the firmware was reached (as in M(oob.amt.amt_provision)).
  returned: when O(interface=local)
  type: dict
  sample: {"path": "lms", "tls": true, "amt_enabled_before": true, "tls_enforced_local": true,
    "certificate_sha256": "3f5d0b2a8c1e4f6a9b7d2c0e1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b"}
actions:
  description: With O(interface=local), what was done before the hash change (enabling AMT over MEI).
  returned: when O(interface=local) and AMT had to be enabled
  type: list
  elements: str
  sample: ["enable AMT (MEI SetAmtOperationalState)"]
exchanges:
  description: HTTP exchanges made with the device.
  returned: when O(host) is set or O(interface=local)
  type: int
  sample: 5
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.hashes import OPERATION as NETWORK_OPERATION
from ansible_collections.oob.amt.plugins.module_utils.local_access import local_operation

OPERATION = local_operation(NETWORK_OPERATION)


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

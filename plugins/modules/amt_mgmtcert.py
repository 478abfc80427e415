#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_mgmtcert
short_description: The Intel AMT management (provisioning) certificate and its zone CA
version_added: 0.1.0
description:
  - Keeps the certificate that Admin Control Mode (Enterprise mode) provisioning presents to AMT firmware, in one
    directory on the controller. Replaces the ZENworks commands C(zman icmc) (create, internal CA), C(zman icc)
    (request for an external CA), C(zman icmc -p) (import) and C(zman idmc) (delete).
  - With O(state=present) and O(ca=internal) it creates, once, a zone CA (C(ca.key), C(ca.crt)) and the
    management certificate it signs (C(mgmt.key), C(mgmt.crt), C(mgmt-chain.pem)). Re-runs change nothing while
    both are valid for more than O(renew_before_days) and match the parameters; O(force) rotates the management
    certificate, O(force_ca) the CA as well (which changes the root hash every device must trust).
  - With O(state=csr) it writes C(mgmt.key) (0600) and C(mgmt.csr) for an external CA. With O(state=imported) it
    checks the signed certificate before accepting it (it belongs to the request's key, the chain up to a
    self-signed root verifies, it is valid now, it carries the AMT markers) and writes C(mgmt.crt),
    C(mgmt-chain.pem) and the root as C(ca.crt).
  - The markers Intel firmware checks are the EKU 2.16.840.1.113741.1.2.3 (Client Setup) with serverAuth, or the
    subject OU "Intel(R) Client Setup Certificate". Generated certificates and requests carry all three. The
    ZENworks manual names 2.16.840.1.113741.1.2.1, which is the Remote Console OID; O(seed_compatibility) adds it
    too. Importing a certificate that carries only 2.16.840.1.113741.1.2.1 gives a warning; one with no marker fails.
  - Returns the root hash in the forms the ZENworks manual's C(zman irch) and MEBx use (see M(oob.amt.amt_hash)).
author:
  - oob.amt contributors (@oob-amt)
options:
  state:
    description:
      - V(present) creates or renews the internal zone CA and the management certificate.
      - V(csr) writes a key and a certificate signing request for an external CA.
      - V(imported) accepts the certificate the external CA signed.
      - V(absent) removes the management certificate, its key and request (and the CA with O(remove_ca)).
    type: str
    choices: [present, csr, imported, absent]
    default: present
  path:
    description:
      - Directory holding the files (created 0700 when missing). Keys are written 0600 and never leave it.
    type: path
    required: true
  ca:
    description:
      - Who signs the management certificate. With V(external) use O(state=csr) then O(state=imported).
    type: str
    choices: [internal, external]
    default: internal
  common_name:
    description:
      - Common name of the management certificate, normally the provisioning server's FQDN; its domain must be
        the devices' PKI DNS suffix. Required for V(present) and V(csr).
    type: str
  dns_names:
    description:
      - Extra DNS names (subject alternative names). The common name is included when it is a domain name.
    type: list
    elements: str
    default: []
  country:
    description: Two-letter country code (C(-c)).
    type: str
  state_or_province:
    description: State or province (C(-s)).
    type: str
    aliases: [province]
  locality:
    description: Locality (city).
    type: str
  organization:
    description: Organization (C(-o)).
    type: str
  organizational_unit:
    description:
      - Extra organizational units (C(-u)). "Intel(R) Client Setup Certificate" is always added.
    type: list
    elements: str
    default: []
  is_ca:
    description:
      - Whether the management certificate may itself issue certificates (the ZENworks manual's C(isCA)), for example device
        TLS certificates.
    type: bool
    default: false
  key_type:
    description:
      - Key algorithm (the ZENworks manual's "Type"). AMT verifies the AdminSetup signature with RSA, so only RSA keys work
        for provisioning.
    type: str
    choices: [rsa]
    default: rsa
  key_size:
    description: RSA key size.
    type: int
    choices: [2048, 3072, 4096]
    default: 2048
  valid_days:
    description: Lifetime of a new management certificate (never beyond the CA's).
    type: int
    default: 730
  ca_common_name:
    description: Common name of a new zone CA. Defaults to C(<organization or common_name> AMT Zone CA).
    type: str
  ca_key_size:
    description: RSA key size of a new zone CA.
    type: int
    choices: [2048, 3072, 4096]
    default: 3072
  ca_valid_days:
    description: Lifetime of a new zone CA.
    type: int
    default: 3650
  renew_before_days:
    description: Renew a certificate (and the CA) that expires within this many days.
    type: int
    default: 30
  force:
    description:
      - Issue a new management certificate and key even when the current one is fine. Also needed to replace a key
        whose type or size differs from O(key_type)/O(key_size), or a key file that cannot be read; without it such
        a run fails and changes nothing.
      - Renewal (O(renew_before_days)) and changed subject parameters re-sign the existing key; keys are only
        replaced with O(force) or O(force_ca).
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of every file that is replaced or removed.
    type: bool
    default: false
  force_ca:
    description:
      - Also create a new zone CA. Every device then needs the new root hash (ZENworks manual section 3.2.7).
    type: bool
    default: false
  seed_compatibility:
    description:
      - Also put the Remote Console OID 2.16.840.1.113741.1.2.1 in the EKU, as the ZENworks manual asks.
    type: bool
    default: false
  certificate:
    description:
      - The signed management certificate to import, PEM or DER; may include the CA chain. Required for
        V(imported).
    type: path
  ca_chain:
    description:
      - The issuing CA chain (PEM or DER) up to the self-signed root, when O(certificate) does not include it.
    type: path
  remove_ca:
    description: With O(state=absent), remove the zone CA files too.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reports what would be created, renewed or removed without writing.
    support: full
  diff_mode:
    description: Shows the certificate and CA before and after.
    support: full
seealso:
  - module: oob.amt.amt_hash
  - module: oob.amt.amt_provision
  - module: oob.amt.amt_usb_setupbin
'''

EXAMPLES = r'''
- name: Zone CA and management certificate (zman icmc)
  oob.amt.amt_mgmtcert:
    path: /etc/oob-amt/zone
    common_name: prov.example.com
    organization: Example Corp
    country: DE
  register: mgmt
  delegate_to: localhost

- name: Request for the corporate CA (zman icc)
  oob.amt.amt_mgmtcert:
    state: csr
    path: /etc/oob-amt/zone
    common_name: prov.example.com
    organization: Example Corp
    organizational_unit: [IT]
    country: DE
    state_or_province: Bavaria
    is_ca: false

- name: Import what the CA signed (zman icmc -p)
  oob.amt.amt_mgmtcert:
    state: imported
    path: /etc/oob-amt/zone
    certificate: /tmp/prov.example.com.cer
    ca_chain: /tmp/corp-chain.pem

- name: Delete the management certificate (zman idmc)
  oob.amt.amt_mgmtcert:
    state: absent
    path: /etc/oob-amt/zone
'''

RETURN = r'''
files:
  description: Paths of the files this state manages.
  returned: always
  type: dict
  sample: {"ca_certificate": "/etc/oob-amt/zone/ca.crt", "certificate": "/etc/oob-amt/zone/mgmt.crt",
           "chain": "/etc/oob-amt/zone/mgmt-chain.pem", "key": "/etc/oob-amt/zone/mgmt.key"}
certificate:
  description: Subject, issuer, serial, validity, fingerprints and markers of the management certificate.
  returned: when O(state) is V(present) or V(imported)
  type: dict
  sample: {"subject": "CN=amt-mgmt.example.com,OU=Intel(R) Client Setup Certificate,O=Example Corp",
    "issuer": "CN=Example Zone Root CA,O=Example Corp", "serial_number": "1d4f7b20c9a85e3361f0b2a7c4d9e8051f6a3b72",
    "not_before": "2025-01-06T09:12:45+00:00", "not_after": "2027-01-06T09:12:45+00:00",
    "fingerprints": {"sha1": "9c0e5d2a41b7f38e6a1c4d0b27e95f3a8c6d1e04",
    "sha256": "4f2a9b7c1e08d3562a7f0c9e4b1d6a38f5e2c7b09d4a1f6e3c8b2d7a05e9f1c6"},
    "markers": {"client_setup_oid": true, "server_auth": true, "remote_console_oid": false, "client_setup_ou": true}}
ca:
  description: The same for the root CA.
  returned: when O(state) is V(present) or V(imported)
  type: dict
  sample: {"subject": "CN=Example Zone Root CA,O=Example Corp", "issuer": "CN=Example Zone Root CA,O=Example Corp",
    "serial_number": "5f1c2a9e0b7d43c18e6a2f0d9b3c4e71a2b8d605", "not_before": "2025-01-06T09:12:44+00:00",
    "not_after": "2045-01-01T09:12:44+00:00",
    "fingerprints": {"sha1": "3b1efd3a66ea28b16697394703a72ca340a05bd5",
    "sha256": "e835ac6d0c1f6b1c9e2e93b0f1b75f2f4a0cd67a3e4b4f2c9d9b0e6a6f5a8c21"},
    "markers": {"client_setup_oid": false, "server_auth": false, "remote_console_oid": false, "client_setup_ou": false}}
root_hash:
  description: Hashes of the root CA certificate (sha1, sha256, sha384, each as hex, colon and mebx; md5 display only).
  returned: when O(state) is V(present) or V(imported)
  type: dict
  sample: {"sha1": {"hex": "3b1efd3a...", "colon": "3B:1E:FD:3A:...", "mebx": "3B1E-FD3A-..."},
    "sha256": {"hex": "e835ac6d...", "colon": "E8:35:AC:6D:...", "mebx": "E835-AC6D-..."},
    "sha384": {"hex": "7d1a09c4...", "colon": "7D:1A:09:C4:...", "mebx": "7D1A-09C4-..."},
    "md5": {"hex": "a3f1c2d4...", "colon": "A3:F1:C2:D4:...", "mebx": "A3F1-C2D4-...", "display_only": true}}
csr:
  description: The certificate signing request (PEM).
  returned: when O(state=csr)
  type: str
  sample: "-----BEGIN CERTIFICATE REQUEST-----\nMIICyjCCAbICAQAwaTEdMBsGA1UEAwwUYW10LW1nbXQuZXhhbXBsZS5jb20x...\n-----END CERTIFICATE REQUEST-----\n"
actions:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
  sample: ["created the zone CA CN=Example Zone Root CA,O=Example Corp",
    "issued the management certificate CN=amt-mgmt.example.com,OU=Intel(R) Client Setup Certificate,O=Example Corp"]
written:
  description: Files written.
  returned: always
  type: list
  elements: str
  sample: ["ca.key", "ca.crt", "mgmt.key", "mgmt.crt", "mgmt-chain.pem"]
removed:
  description: Files removed.
  returned: always
  type: list
  elements: str
  sample: []
backup_files:
  description: Copies of replaced or removed files.
  returned: when O(backup=true) and a file was replaced or removed
  type: list
  elements: str
  sample: ["/etc/oob-amt/zone/mgmt.crt.2026-11-29@04:30:12~"]
'''

from ansible_collections.oob.amt.plugins.module_utils.file_operation import run_file_module
from ansible_collections.oob.amt.plugins.module_utils.zone_ca import OPERATION


def main():
    run_file_module(OPERATION)


if __name__ == '__main__':
    main()

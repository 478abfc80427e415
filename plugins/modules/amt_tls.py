#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_tls
short_description: Give an Intel AMT device its TLS server certificate from your CA
version_added: 0.2.0
description:
  - Makes the device serve a TLS certificate issued by the zone CA (the one M(oob.amt.amt_mgmtcert) keeps) or
    by an external CA, and sets TLS on its network and host-local interfaces. This is what the device
    certificate "issued by your CA during provisioning" means.
  - Follows Intel's flow (rpc-go C(configure tls)) - the key pair is generated on the device and never leaves
    it; the device signs a PKCS#10 request; the CA signs it on the controller; the certificate is added
    back, bound to TLS (AMT_TLSCredentialContext), TLS is set for the remote and local interfaces
    (AMT_TLSSettingData) and the change is committed (CommitChanges). The device then closes the connection
    and serves the new certificate.
  - Idempotent - the bound certificate is left alone when it is issued by the CA, carries the wanted names,
    has its key on the device and is not within O(renew_before_days) of expiry; TLS settings are written only
    when they differ. Renewal generates a new key pair on the device.
  - After the commit the module reconnects pinned to the new certificate, checks the device serves it, and
    removes the certificates and key pairs it replaced (O(remove_old)).
  - On CSME 16.1 and later the network interface no longer accepts plain HTTP once TLS is set; modes that
    keep plain HTTP open are refused there, and TLS cannot be removed.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  state:
    description:
      - V(present) installs (or renews) the certificate and sets TLS; V(absent) turns TLS off and removes the
        bound certificate and its key (not possible on CSME 16.1 and later).
    type: str
    choices: [present, absent]
    default: present
  ca:
    description:
      - V(internal) signs on the controller with the zone CA in O(ca_dir).
      - V(external) writes the device's request to O(csr_path); once your CA has signed it, run again with
        O(certificate).
    type: str
    choices: [internal, external]
    default: internal
  ca_dir:
    description:
      - Zone directory of M(oob.amt.amt_mgmtcert) (C(ca.crt) and C(ca.key)); required with O(ca=internal).
    type: path
  ca_certificate:
    description:
      - Root certificate of an external CA, to check O(certificate) and the certificate already bound.
    type: path
  certificate:
    description:
      - The certificate the external CA issued for the request in O(csr_path) (PEM, chain allowed).
    type: path
  csr_path:
    description:
      - Where the device's signed PKCS#10 request is written (PEM) with O(ca=external).
    type: path
  common_name:
    description:
      - Subject common name. Default - the first DNS name, else the address in O(host).
    type: str
  dns_names:
    description:
      - DNS names in the certificate. Default - O(host) when it is a name, plus the FQDN the device reports
        (AMT host name and domain).
    type: list
    elements: str
  ip_addresses:
    description:
      - IP addresses in the certificate. Default - O(host) when it is an address.
    type: list
    elements: str
  valid_days:
    description:
      - Lifetime of a new certificate (capped at the CA's own expiry).
    type: int
    default: 365
  renew_before_days:
    description:
      - Renew when the bound certificate expires within this many days.
    type: int
    default: 30
  mode:
    description:
      - TLS mode of the network interface, as rpc-go names them - V(server) (server authentication, plain HTTP
        closed), V(server_and_non_tls), V(mutual) (consoles must present a client certificate from
        O(client_ca)), V(mutual_and_non_tls).
    type: str
    choices: [server, server_and_non_tls, mutual, mutual_and_non_tls]
    default: server
  local_tls:
    description:
      - Enable TLS on the host-local (LMS) interface as well. Mutual authentication is never used there.
    type: bool
    default: true
  trusted_cn:
    description:
      - With mutual authentication, the client certificate common names the device accepts (all when empty).
    type: list
    elements: str
  client_ca:
    description:
      - CA certificate(s) that issued the consoles' client certificates; added as trusted roots for mutual TLS.
    type: path
  key_timeout:
    description:
      - Seconds to wait for the device to generate its key pair and sign the request.
    type: float
    default: 120
  remove_old:
    description:
      - After the switch, delete the certificates and key pairs the new certificate replaced.
    type: bool
    default: true
  force:
    description:
      - Issue a new certificate (new key pair) even when the bound one is acceptable.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the device and reports what would be generated, signed and set, without doing it.
    support: full
  diff_mode:
    description: Shows the bound certificate and the TLS settings before and after.
    support: full
notes:
  - The device must be activated (CCM or ACM). Connect over TLS with its current certificate (O(ca_path) or
    O(cert_fingerprint)); after the change use O(ca_path) with the zone CA (C(ca.crt)) - no pinning is needed.
    With O(ca=internal), a device that already serves a certificate from the zone CA is accepted even when
    O(ca_path) names the old CA, so the same task converges on re-runs.
  - The result's RV(fingerprint) can be stored and used as O(cert_fingerprint) or by the inventory plugin.
  - The device clock must be right for the new certificate to be valid from the device's point of view; run
    M(oob.amt.amt_time) first.
seealso:
  - module: oob.amt.amt_mgmtcert
  - module: oob.amt.amt_time
'''

EXAMPLES = r'''
- name: Certificate from the zone CA, TLS only on the network interface
  oob.amt.amt_tls:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    ca_dir: /etc/oob-amt/zone
    mode: server
  register: amt_tls_result

- name: Renew a month ahead across the fleet, with the names the inventory knows
  oob.amt.amt_tls:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    ca_dir: /etc/oob-amt/zone
    dns_names: [pc-0-1.corp.example.com]
    ip_addresses: [10.0.0.21]
    renew_before_days: 30

- name: External CA, step 1 - the device's request
  oob.amt.amt_tls:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    ca: external
    csr_path: /srv/amt/pc-0-1.csr
'''

RETURN = r'''
fingerprint:
  description: SHA-256 fingerprint (hex) of the certificate the device serves after the run.
  returned: when a certificate is bound (not in check mode before the first issue)
  type: str
  sample: 3f1c5e0f9a3b2d8e7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181716151413121f
fingerprint_colon:
  description: The same fingerprint, upper case with colons.
  returned: with fingerprint
  type: str
  sample: "3F:1C:5E:0F:9A:3B:2D:8E:7C:6B:5A:4F:3E:2D:1C:0B:9A:8F:7E:6D:5C:4B:3A:29:18:17:16:15:14:13:12:1F"
certificate:
  description: Subject, issuer, expiry, names and SHA-256 of that certificate.
  returned: with fingerprint
  type: dict
  sample: {"subject": "CN=pc-0-1.corp.example.com", "issuer": "CN=Example Zone Root CA,O=Example Corp",
    "not_after": "2027-11-29T04:20:00+00:00", "dns_names": ["pc-0-1.corp.example.com", "pc-0-1"],
    "ip_addresses": ["10.0.0.21"], "sha256": "3f1c5e0f9a3b2d8e7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181716151413121f"}
before:
  description: Bound certificate and TLS settings (remote and local) as read.
  returned: always
  type: dict
  sample: {"certificate": {"subject": "CN=iAMT-ZZ4G-BBD3-5EE6", "issuer": "CN=iAMT-ZZ4G-BBD3-5EE6",
    "not_after": "2044-01-01T00:00:00+00:00", "dns_names": [], "ip_addresses": [],
    "sha256": "a94f1e0c3d7b52e86f0a1c9d4e3b27f5860c1d9e2a7b4f3c5d6e8a0b1c2d3e4f"},
    "settings": {"remote": {"enabled": true, "mutual_authentication": false, "accept_non_tls": true},
    "local": {"enabled": true, "mutual_authentication": false, "accept_non_tls": true}}}
after:
  description: Bound certificate and TLS settings after the run (read again through the new certificate).
  returned: when the run completed
  type: dict
  sample: {"certificate": {"subject": "CN=pc-0-1.corp.example.com", "issuer": "CN=Example Zone Root CA,O=Example Corp",
    "not_after": "2027-11-29T04:20:00+00:00", "dns_names": ["pc-0-1.corp.example.com", "pc-0-1"],
    "ip_addresses": ["10.0.0.21"], "sha256": "3f1c5e0f9a3b2d8e7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181716151413121f"},
    "settings": {"remote": {"enabled": true, "mutual_authentication": false, "accept_non_tls": false},
    "local": {"enabled": true, "mutual_authentication": false, "accept_non_tls": true}}}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: ["generated key pair Intel(r) AMT Key: Handle: 1 on the device",
    "signed the device request with CN=Example Zone Root CA,O=Example Corp",
    "added certificate Intel(r) AMT Certificate: Handle: 2", "bound it to TLS (AMT_TLSCredentialContext)",
    "set Intel(r) AMT 802.3 TLS Settings: enabled=True mutual=False plain HTTP=False",
    "committed (the device closed the connection to apply TLS)",
    "removed the replaced certificate Intel(r) AMT Certificate: Handle: 0"]
reasons:
  description: Why the bound certificate was replaced.
  returned: when a new certificate was needed
  type: list
  elements: str
  sample: ["it is not issued by the CA (CN=iAMT-ZZ4G-BBD3-5EE6)",
    "its names [] differ from ['pc-0-1.corp.example.com', 'pc-0-1', '10.0.0.21']"]
csr:
  description: The request signed by the device (PEM), with O(ca=external) before O(certificate) is given.
  returned: when applicable
  type: str
  sample: "-----BEGIN CERTIFICATE REQUEST-----\nMIIC0TCCAbkCAQAwIjEgMB4GA1UEAwwXcGMtMC0xLmNvcnAuZXhhbXBsZS5jb20w...\n-----END CERTIFICATE REQUEST-----\n"
exchanges:
  description: HTTP exchanges made with the device before the commit.
  returned: always
  type: int
  sample: 14
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.tls import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

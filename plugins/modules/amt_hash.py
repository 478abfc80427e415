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
options:
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
    type: str
  tls_port:
    description:
      - Port for O(tls_host).
    type: int
    default: 443
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
hash:
  description: The managed hash (lower-case hex) and its algorithm.
  returned: when O(state) is set
  type: dict
  sample: {"hash": "e835ac6d...", "algorithm": "sha256", "name": "Zone CA"}
hashes:
  description: The device's trusted hash table after the change (name, algorithm, hash, hash_forms, enabled, default,
    instance_id).
  returned: when O(host) is set
  type: list
  elements: dict
exchanges:
  description: HTTP exchanges made with the device.
  returned: when O(host) is set
  type: int
'''

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oob.amt.plugins.module_utils.formats import certs as amt_certs
from ansible_collections.oob.amt.plugins.module_utils.device import (
    connection_argspec, fail_from_error, module_client)
from ansible_collections.oob.amt.plugins.module_utils.amt.hashes import HashError, run_hash
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError


def _certificate(module):
    params = module.params
    if params['certificate']:
        chain = amt_certs.load_certificate_file(params['certificate'])
    else:
        chain = amt_certs.fetch_tls_chain(params['tls_host'], params['tls_port'], params['timeout'] or 30)
    roots = [c for c in chain if amt_certs.is_self_signed(c)]
    return roots[0] if roots else amt_certs.order_chain(chain)[-1]


def _common_name(cert):
    names = cert.subject.get_attributes_for_oid(amt_certs.NameOID.COMMON_NAME)
    return names[0].value if names else 'root CA'


def resolve(module):
    """The hash to manage (hex, algorithm, name) and what to report about its certificate."""
    params = module.params
    out = {}
    digest, algorithm, name = None, params['algorithm'], params['name']
    if params['certificate'] or params['tls_host']:
        cert = _certificate(module)
        out['root_hash'] = amt_certs.certificate_hashes(cert)
        out['certificate'] = amt_certs.describe_certificate(cert)
        algorithm = algorithm or 'sha256'
        digest = out['root_hash'][algorithm]['hex']
        name = name or _common_name(cert)
    elif params['hash']:
        try:
            digest = amt_certs.normalize_hash(params['hash'])
        except ValueError as exc:
            module.fail_json(msg='option hash: %s' % exc)
        implied = amt_certs.algorithm_for_length(digest)
        if implied is None or (algorithm and algorithm != implied):
            module.fail_json(msg='option hash: %d hex digits is not a %s hash (SHA-1 has 40, SHA-256 64, SHA-384 96)'
                             % (len(digest), algorithm or 'SHA-1, SHA-256 or SHA-384'))
        algorithm = implied
        name = name or 'Custom root CA'
    if name is not None and not 1 <= len(name) <= 32:
        module.fail_json(msg='option name: a friendly name has 1 to 32 characters (it has %d)' % len(name))
    return digest, algorithm, name, out


def main():
    argument_spec = connection_argspec(
        state=dict(type='str', choices=['present', 'absent', 'enabled', 'disabled']),
        certificate=dict(type='path'),
        tls_host=dict(type='str'),
        tls_port=dict(type='int', default=443),
        hash=dict(type='str'),
        algorithm=dict(type='str', choices=['sha1', 'sha256', 'sha384']),
        name=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[('certificate', 'hash', 'tls_host')])
    amt_certs.require_cryptography(module)
    params = module.params
    if params['state'] and not (params['certificate'] or params['hash'] or params['tls_host']):
        module.fail_json(msg='state=%s needs the hash to manage: give certificate, hash or tls_host' % params['state'])
    if not 1 <= params['tls_port'] <= 65535:
        module.fail_json(msg='option tls_port must be between 1 and 65535')
    if params['state'] and not params['host']:
        module.fail_json(msg='state=%s changes a device: give host (or set AMT_HOST)' % params['state'])
    try:
        digest, algorithm, name, result = resolve(module)
    except amt_certs.CertError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # a certificate file cryptography cannot parse at all
        module.fail_json(msg='cannot read the certificate: %s' % exc, exception=traceback.format_exc())
    result['changed'] = False
    if params['state']:
        result['hash'] = {'hash': digest, 'algorithm': algorithm, 'name': name}
    if not params['host']:
        module.exit_json(**result)
    client = module_client(module)
    try:
        device = run_hash(client, dict(params, hash=digest, algorithm=algorithm, name=name),
                          check_mode=module.check_mode, diff=module._diff)
    except HashError as err:
        module.fail_json(msg='AMT device %s: trusted hash %s: %s' % (client.host, (digest or '')[:16], err.msg),
                         exchanges=client.exchanges)
    except WsmanError as err:
        fail_from_error(module, err, 'trusted hash table')
    finally:
        client.close()
    result.update(device)
    result['exchanges'] = client.exchanges
    module.exit_json(**result)


if __name__ == '__main__':
    main()

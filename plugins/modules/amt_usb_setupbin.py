#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_usb_setupbin
short_description: Write the Intel AMT USB provisioning file (setup.bin)
version_added: 0.1.0
description:
  - Writes C(setup.bin), the file MEBx reads from a USB stick at boot, in Intel's byte format (the same bytes
    Intel's USBFile and ACU write), replacing C(USBFile.exe -create setup.bin <current> <new> -dns ... -fqdn ...
    -ztc 1 -hash <ca> <name>) from the ZENworks manual.
  - Each record carries the current and new MEBx password and the shared settings (PKI DNS suffix, provisioning
    server, zero touch, trusted root hashes). Several devices may get their own passwords through O(records);
    the BIOS uses the next unconsumed record on each device when O(consume=true).
  - The same inputs give the same bytes, so a re-run reports no change. An existing file with other content is
    only replaced with O(force=true) (optionally keeping a backup); writes are atomic and the file is 0600.
  - Optionally writes the file onto a USB stick (O(usb_device)) as the first file of a new FAT16 file system, or
    into a FAT image file (O(usb_image)) to copy with any imaging tool.
author:
  - oob.amt contributors (@oob-amt)
options:
  path:
    description:
      - Where to write the file, usually C(setup.bin). Its directory must exist.
    type: path
    required: true
  version:
    description:
      - File format version. V(4) is what current firmware and Intel's USBFile write. V(3) and V(4) are needed for
        SHA-256/384 hashes; V(1) carries passwords only and is always consumed; V(2.0) lacks the provisioning
        server address and port.
    type: str
    choices: ['1', '2.0', '2.1', '3', '4']
    default: '4'
  current_password:
    description:
      - The MEBx password the devices have now (factory default C(admin)). Used when O(records) is not given.
    type: str
  new_password:
    description:
      - The MEBx password to set, checked against AMT's rules (8 to 32 printable ASCII characters with upper- and
        lower-case letters, a digit and a special character; no C(:), C(,) or C(")). Required while the current
        password is C(admin). Used when O(records) is not given.
    type: str
  records:
    description:
      - One record per device (or per group of devices sharing passwords). The shared settings apply to each.
    type: list
    elements: dict
    suboptions:
      current_password:
        description: The MEBx password now.
        type: str
        required: true
      new_password:
        description: The MEBx password to set.
        type: str
  pki_dns_suffix:
    description:
      - PKI DNS suffix (C(-dns)); the provisioning certificate's domain must end in it. At most 224 characters.
    type: str
  provisioning_server_fqdn:
    description:
      - Provisioning (configuration) server FQDN (C(-fqdn)).
    type: str
  provisioning_server_address:
    description:
      - Provisioning server IPv4 or IPv6 address (version 2.1 or later; IPv6 needs version 3 or 4).
    type: str
  provisioning_server_port:
    description:
      - Provisioning server port, for example V(9971) for the ZENworks server (version 2.1 or later).
    type: int
  ztc:
    description:
      - Enable remote configuration (zero touch, C(-ztc 1)).
    type: bool
  start_configuration:
    description:
      - Let MEBx start configuration (C(true)) or halt it (C(false)) after applying the record. Version 2.1 or later.
    type: bool
  manageability_selection:
    description:
      - Select Intel AMT as the manageability feature, which enables AMT where the ME has it disabled.
    type: bool
    default: false
  trusted_hashes:
    description:
      - Up to three root CA hashes to add to the device's trusted table.
    type: list
    elements: dict
    suboptions:
      certificate:
        description: Root CA certificate (PEM or DER) to hash. Mutually exclusive with O(trusted_hashes[].hash).
        type: path
      hash:
        description: The hash in hex, colon or MEBx form.
        type: str
      algorithm:
        description: Hash algorithm (SHA-256/384 need version 3 or 4).
        type: str
        choices: [sha1, sha256, sha384]
        default: sha256
      name:
        description: Friendly name, 1 to 31 ASCII characters. Defaults to the certificate's common name.
        type: str
  consume:
    description:
      - Let the BIOS consume each record after applying it (one record per device). The default keeps the record
        so one stick provisions a whole fleet, as Intel's tools do for PKI files.
    type: bool
    default: false
  scramble:
    description:
      - Obfuscate the records (+0x11 per byte, as Intel's ACU does). Version 4 only. Not encryption.
    type: bool
    default: false
  force:
    description:
      - Replace an existing file whose content differs.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of a file that O(force) replaces.
    type: bool
    default: false
  usb_image:
    description:
      - Also write a FAT16 file system image holding only C(SETUP.BIN) (the first root entry, unfragmented) to this
        path, ready to copy onto a stick.
    type: path
  usb_device:
    description:
      - Also format this whole block device (for example C(/dev/sdb)) as FAT16 with C(SETUP.BIN) as its only file.
        Refused unless the device is removable, not mounted, not holding the root file system, and at most
        O(usb_max_size_gb) large. Everything on it is lost.
    type: path
  usb_max_size_gb:
    description:
      - Largest device O(usb_device) may be, a guard against picking a system disk.
    type: int
    default: 64
attributes:
  check_mode:
    description: Builds the file and reports whether it would change without writing.
    support: full
  diff_mode:
    description: Shows the decoded records (without passwords) before and after.
    support: full
seealso:
  - module: oob.amt.amt_usb_setupbin_info
  - module: oob.amt.amt_hash
  - module: oob.amt.amt_mgmtcert
'''

EXAMPLES = r'''
- name: The ZENworks USBFile command as a task
  oob.amt.amt_usb_setupbin:
    path: /srv/amt/setup.bin
    current_password: admin
    new_password: "{{ vault_mebx_password }}"
    pki_dns_suffix: example.com
    provisioning_server_fqdn: prov.example.com
    ztc: true
    trusted_hashes:
      - certificate: /etc/oob-amt/zone/ca.crt
        name: Zone CA
  delegate_to: localhost

- name: One consumable record per device, each with its own password
  oob.amt.amt_usb_setupbin:
    path: /srv/amt/lab-setup.bin
    consume: true
    records: "{{ lab_devices | map(attribute='mebx') | list }}"
  no_log: true

- name: Write a stick image as well
  oob.amt.amt_usb_setupbin:
    path: /srv/amt/setup.bin
    current_password: admin
    new_password: "{{ vault_mebx_password }}"
    usb_image: /srv/amt/setup-usb.img
'''

RETURN = r'''
path:
  description: The file written.
  returned: always
  type: str
sha256:
  description: SHA-256 of the file content.
  returned: always
  type: str
size:
  description: File size in bytes (512 per record plus the header).
  returned: always
  type: int
version:
  description: File format version.
  returned: always
  type: str
records:
  description: Each record's settings as the decoder reads them back; passwords appear only as their length.
  returned: always
  type: list
  elements: dict
backup_file:
  description: The backup of the replaced file.
  returned: when O(backup=true) and a file was replaced
  type: str
usb_image:
  description: The FAT image written.
  returned: when O(usb_image) is set
  type: str
'''

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oob.amt.plugins.module_utils.formats import certs as amt_certs
from ansible_collections.oob.amt.plugins.module_utils.formats.files import backup_file, read_bytes, write_atomic
from ansible_collections.oob.amt.plugins.module_utils.formats.fat_image import (
    FatImageError, build_image, check_usb_device, write_device)
from ansible_collections.oob.amt.plugins.module_utils.formats.setupbin import (
    SetupBinError, build_file, decode_file, describe_file)

SHARED = ('pki_dns_suffix', 'provisioning_server_fqdn', 'provisioning_server_address', 'provisioning_server_port',
          'ztc', 'start_configuration', 'manageability_selection')


def trusted_hashes(params):
    out = []
    for i, item in enumerate(params.get('trusted_hashes') or []):
        where = 'trusted_hashes[%d]' % i
        if bool(item.get('certificate')) == bool(item.get('hash')):
            raise SetupBinError('%s: give either certificate or hash' % where)
        name = item.get('name')
        if item.get('certificate'):
            chain = amt_certs.load_certificate_file(item['certificate'], '%s.certificate' % where)
            roots = [c for c in chain if amt_certs.is_self_signed(c)]
            cert = roots[0] if roots else chain[-1]
            digest = amt_certs.certificate_hashes(cert)[item['algorithm']]['hex']
            if not name:
                cns = cert.subject.get_attributes_for_oid(amt_certs.NameOID.COMMON_NAME)
                name = (cns[0].value if cns else 'Root CA')[:31]
        else:
            try:
                digest = amt_certs.normalize_hash(item['hash'])
            except ValueError as exc:
                raise SetupBinError('%s.hash: %s' % (where, exc))
        out.append({'algorithm': item['algorithm'], 'hash': digest, 'name': name or 'Root CA'})
    return out


def record_settings(params):
    shared = dict((k, params[k]) for k in SHARED)
    shared['trusted_hashes'] = trusted_hashes(params)
    people = params['records'] or [{'current_password': params['current_password'],
                                    'new_password': params['new_password']}]
    return [dict(shared, current_password=r.get('current_password'), new_password=r.get('new_password'))
            for r in people]


def summary(data):
    try:
        report = describe_file(decode_file(data))
    except SetupBinError as exc:
        return {'unreadable': str(exc)}
    return {'version': report['version'], 'consume': report['consume'], 'records': report['records']}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            version=dict(type='str', default='4', choices=['1', '2.0', '2.1', '3', '4']),
            current_password=dict(type='str', no_log=True),
            new_password=dict(type='str', no_log=True),
            records=dict(type='list', elements='dict', no_log=True, options=dict(
                current_password=dict(type='str', required=True, no_log=True),
                new_password=dict(type='str', no_log=True))),
            pki_dns_suffix=dict(type='str'),
            provisioning_server_fqdn=dict(type='str'),
            provisioning_server_address=dict(type='str'),
            provisioning_server_port=dict(type='int'),
            ztc=dict(type='bool'),
            start_configuration=dict(type='bool'),
            manageability_selection=dict(type='bool', default=False),
            trusted_hashes=dict(type='list', elements='dict', options=dict(
                certificate=dict(type='path'),
                hash=dict(type='str'),
                algorithm=dict(type='str', default='sha256', choices=['sha1', 'sha256', 'sha384']),
                name=dict(type='str'))),
            consume=dict(type='bool', default=False),
            scramble=dict(type='bool', default=False),
            force=dict(type='bool', default=False),
            backup=dict(type='bool', default=False),
            usb_image=dict(type='path'),
            usb_device=dict(type='path'),
            usb_max_size_gb=dict(type='int', default=64),
        ),
        mutually_exclusive=[('records', 'current_password'), ('records', 'new_password')],
        required_one_of=[('records', 'current_password')],
        supports_check_mode=True,
    )
    amt_certs.require_cryptography(module)
    params = module.params
    path = params['path']
    if params['usb_max_size_gb'] < 1:
        module.fail_json(msg='option usb_max_size_gb must be at least 1 (GiB)')
    try:
        records = record_settings(params)
        data = build_file(records, params['version'], consume=params['consume'], scramble=params['scramble'])
        if params['usb_device']:
            check_usb_device(params['usb_device'], params['usb_max_size_gb'])
    except (SetupBinError, amt_certs.CertError, FatImageError) as exc:
        module.fail_json(msg='setup.bin %s: %s' % (path, exc))
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        module.fail_json(msg='path %s: its directory does not exist' % path)

    existing = read_bytes(path)
    result = {'changed': False, 'path': path, 'sha256': hashlib.sha256(data).hexdigest(), 'size': len(data),
              'version': params['version']}
    result.update(records=summary(data)['records'])
    if existing != data:
        if existing is not None and not params['force']:
            module.fail_json(msg='setup.bin %s exists with other content; set force: true to replace it '
                                 '(backup: true keeps a copy)' % path, **result)
        result['changed'] = True
        if module._diff:
            result['diff'] = {'before': summary(existing) if existing is not None else {}, 'after': summary(data),
                              'before_header': path, 'after_header': path}
        if not module.check_mode:
            if existing is not None and params['backup']:
                result['backup_file'] = backup_file(path)
            write_atomic(path, data, 0o600)
    try:
        if params['usb_image']:
            image = build_image(data)
            result['usb_image'] = params['usb_image']
            if read_bytes(params['usb_image']) != image:
                result['changed'] = True
                if not module.check_mode:
                    write_atomic(params['usb_image'], image, 0o600)
        if params['usb_device']:
            result['changed'] = True
            if not module.check_mode:
                write_device(params['usb_device'], data)
            result['usb_device'] = params['usb_device']
    except (FatImageError, OSError) as exc:
        module.fail_json(msg='setup.bin %s: writing the USB %s failed: %s'
                         % (path, 'device' if params['usb_device'] else 'image', exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible glue of amt_usb_setupbin: options to records, the file written atomically and only when it
changes, and the optional FAT image or USB stick; and of amt_usb_setupbin_info (reading one back). The byte
format is formats/setupbin.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.amt.password import check_password
from ansible_collections.oob.amt.plugins.module_utils.file_operation import FileOperation, failed
from ansible_collections.oob.amt.plugins.module_utils.formats import certs as amt_certs
from ansible_collections.oob.amt.plugins.module_utils.formats.files import backup_file, read_bytes, write_atomic
from ansible_collections.oob.amt.plugins.module_utils.formats.fat_image import (
    FatImageError, build_image, check_usb_device, write_device)
from ansible_collections.oob.amt.plugins.module_utils.formats.setupbin import (
    SetupBinError, build_file, decode_file, describe_file)

OPTIONS = dict(
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
)
CONSTRAINTS = dict(mutually_exclusive=[('records', 'current_password'), ('records', 'new_password')],
                   required_one_of=[('records', 'current_password')])

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
            cert = amt_certs.load_root_certificate(item['certificate'], '%s.certificate' % where)
            digest = amt_certs.certificate_hashes(cert)[item['algorithm']]['hex']
            name = name or amt_certs.common_name(cert, 'Root CA')[:31]
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


def build(params):
    """The file's bytes from the options, every input checked before anything is written."""
    path = params['path']
    if params['usb_max_size_gb'] < 1:
        raise AmtError('option usb_max_size_gb must be at least 1 (GiB)')
    try:
        data = build_file(record_settings(params), params['version'], consume=params['consume'],
                          scramble=params['scramble'], password_rules=check_password)
        if params['usb_device']:
            check_usb_device(params['usb_device'], params['usb_max_size_gb'])
    except (SetupBinError, amt_certs.CertError, FatImageError) as exc:
        raise AmtError('setup.bin %s: %s' % (path, exc))
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise AmtError('path %s: its directory does not exist' % path)
    return data


def _image(params, data, result):
    """(image bytes, existing bytes) of usb_image, or (None, None); refuses to replace an existing file that holds
    something else unless force (checked before anything is written, so a refusal leaves every file as it was)."""
    if not params['usb_image']:
        return None, None
    try:
        image = build_image(data)
        existing = read_bytes(params['usb_image'])
    except (FatImageError, OSError) as exc:
        raise AmtError('setup.bin %s: building the USB image failed: %s' % (params['path'], exc), **result)
    if existing is not None and existing != image and not params['force']:
        raise AmtError('usb_image %s exists with other content; set force: true to replace it (backup: true keeps a '
                       'copy)' % params['usb_image'], **result)
    return image, existing


def _write_usb(params, data, result, check_mode, image=None, existing_image=None):
    try:
        if params['usb_image']:
            result['usb_image'] = params['usb_image']
            if existing_image != image:
                result['changed'] = True
                if not check_mode:
                    if existing_image is not None and params['backup']:
                        result['usb_image_backup_file'] = backup_file(params['usb_image'])
                    write_atomic(params['usb_image'], image, 0o600)
        if params['usb_device']:
            result['changed'] = True
            if not check_mode:
                write_device(params['usb_device'], data)
            result['usb_device'] = params['usb_device']
    except (FatImageError, OSError) as exc:
        raise AmtError('setup.bin %s: writing the USB %s failed: %s'
                       % (params['path'], 'device' if params['usb_device'] else 'image', exc), **result)


def run_setupbin(params, check_mode=False, diff=False):
    """Write setup.bin (and the image or stick) when it differs; the result, or AmtError with the result so far."""
    path = params['path']
    data = build(params)
    existing = read_bytes(path)
    result = {'changed': False, 'path': path, 'sha256': hashlib.sha256(data).hexdigest(), 'size': len(data),
              'version': params['version'], 'records': summary(data)['records']}
    if existing != data and existing is not None and not params['force']:
        raise AmtError('setup.bin %s exists with other content; set force: true to replace it '
                       '(backup: true keeps a copy)' % path, **result)
    image, existing_image = _image(params, data, result)
    if existing != data:
        result['changed'] = True
        if diff:
            result['diff'] = {'before': summary(existing) if existing is not None else {}, 'after': summary(data),
                              'before_header': path, 'after_header': path}
        if not check_mode:
            if existing is not None and params['backup']:
                result['backup_file'] = backup_file(path)
            write_atomic(path, data, 0o600)
    _write_usb(params, data, result, check_mode, image, existing_image)
    return result


def run_setupbin_task(params, check_mode=False, diff=False):
    """amt_usb_setupbin from validated options: (result, warnings); a refusal keeps the result so far."""
    return run_setupbin(params, check_mode=check_mode, diff=diff), []


OPERATION = FileOperation(OPTIONS, run_setupbin_task, constraints=CONSTRAINTS, needs_cryptography=True)

INFO_OPTIONS = dict(path=dict(type='path', required=True))
MAX_FILE = 1024 * 1024


def run_setupbin_info(params, check_mode=False, diff=False):
    """amt_usb_setupbin_info: the decoded file and one warning per questionable entry; reads only."""
    path = params['path']
    try:
        with open(path, 'rb') as fh:
            data = fh.read(MAX_FILE + 1)
    except (IOError, OSError) as exc:
        return failed('setup.bin %s: cannot read it (%s)' % (path, exc.strerror)), []
    if len(data) > MAX_FILE:
        return failed('setup.bin %s: larger than 1 MiB, not a provisioning file' % path), []
    try:
        report = describe_file(decode_file(data))
    except SetupBinError as exc:
        return failed('setup.bin %s: %s' % (path, exc)), []
    warnings = ['setup.bin %s record %d: %s' % (path, record['number'], warning)
                for record in report['records'] for warning in record['warnings']]
    result = dict(changed=False, path=path, sha256=hashlib.sha256(data).hexdigest())
    result.update(report)
    return result, warnings


INFO_OPERATION = FileOperation(INFO_OPTIONS, run_setupbin_info)

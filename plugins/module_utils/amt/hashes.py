# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device's trusted root certificate hash table (AMT_ProvisioningCertificateHash, reference §5.4)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii

from ansible_collections.oob.amt.plugins.module_utils.formats.certs import hash_forms
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault

CLASS = 'AMT_ProvisioningCertificateHash'
# HashType as the HECI/PTHI API numbers it (1 SHA-1, 2 SHA-256, 3 SHA-384).
HASH_TYPES = {'sha1': 1, 'sha256': 2, 'sha384': 3}
HASH_TYPE_NAMES = dict((v, k) for k, v in HASH_TYPES.items())
MAX_CUSTOM = 3
USB_HINT = ('this firmware accepts custom root hashes only from USB provisioning (many AMT 16+ platforms): '
            'write a setup.bin with oob.amt.amt_usb_setupbin (trusted_hashes) and boot the device with it')


class HashError(Exception):
    def __init__(self, msg):
        super(HashError, self).__init__(msg)
        self.msg = msg


def _entry(item):
    try:
        digest = base64.b64decode(item.get('HashData') or '', validate=True).hex()
    except (binascii.Error, ValueError):
        digest = ''
    try:
        algorithm = HASH_TYPE_NAMES.get(int(item.get('HashType')), str(item.get('HashType')))
    except (TypeError, ValueError):
        algorithm = str(item.get('HashType'))
    return {
        'instance_id': item.get('InstanceID'),
        'name': item.get('Description') or item.get('ElementName') or '',
        'algorithm': algorithm,
        'hash': digest,
        'hash_forms': hash_forms(digest) if digest else {},
        'enabled': bool(item.get('Enabled')),
        'default': bool(item.get('IsDefault')),
        '_raw': item,
    }


def list_hashes(client):
    """Every entry of the table (one Enumerate, optimized)."""
    return [_entry(item) for item in client.enumerate(CLASS)]


def _public(entry):
    return dict((k, v) for k, v in entry.items() if k != '_raw')


def _put_representation(raw, enable):
    # Firmware Puts want the whole instance back, with only Enabled changed.
    keys = ('Description', 'ElementName', 'Enabled', 'HashData', 'HashType', 'InstanceID', 'IsDefault')
    instance = dict((k, raw[k]) for k in keys if raw.get(k) is not None)
    instance['Enabled'] = enable
    return instance


def run_hash(client, params, check_mode=False, diff=False):
    """Converge one hash to params['state'] (present/absent/enabled/disabled), or only list the table (None)."""
    state = params['state']
    before = list_hashes(client)
    result = {'changed': False, 'hashes': [_public(h) for h in before]}
    if not state:
        return result
    digest, algorithm = params['hash'], params['algorithm']
    match = [h for h in before if h['hash'] == digest and h['algorithm'] == algorithm]
    current = match[0] if match else None
    wanted = None
    if state == 'absent':
        if current is None:
            return result
        if current['default']:
            raise HashError('hash %s is a factory (default) entry: firmware allows disabling it '
                            '(state: disabled), not deleting it' % digest)
        if not check_mode:
            client.delete(CLASS, {'InstanceID': current['instance_id']})
    elif current is None:
        if state == 'disabled':
            return result  # nothing to disable: an absent hash is not trusted either
        customs = [h for h in before if not h['default']]
        if len(customs) >= MAX_CUSTOM:
            raise HashError('the device already holds %d custom hashes (%s), the most AMT allows: remove one '
                            'first (state: absent)' % (len(customs), ', '.join(h['name'] for h in customs)))
        wanted = {'name': params['name'], 'algorithm': algorithm, 'hash': digest, 'enabled': True, 'default': False}
        if not check_mode:
            instance = {'Description': params['name'], 'Enabled': True,
                        'HashData': base64.b64encode(bytes.fromhex(digest)).decode('ascii'),
                        'HashType': HASH_TYPES[algorithm]}
            try:
                epr = client.create(CLASS, instance) or {}
                wanted['instance_id'] = (epr.get('selectors') or {}).get('InstanceID')
            except WsmanFault as err:
                if 'AccessDenied' in '%s %s' % (err.subcode, err.reason):
                    raise HashError('the device refused to add it (%s): %s' % (err.reason, USB_HINT))
                raise
    else:
        enable = state in ('present', 'enabled')
        if current['enabled'] == enable:
            return result
        wanted = dict(current, enabled=enable)
        if not check_mode:
            client.put(CLASS, _put_representation(current['_raw'], enable), {'InstanceID': current['instance_id']})
    result['changed'] = True
    # the table after the change, from what was read and done (no second Enumerate)
    if wanted is not None:
        wanted.setdefault('hash_forms', hash_forms(digest))
    if current is None:
        after = before + [wanted]
    else:
        after = [wanted if h is current else h for h in before if h is not current or wanted is not None]
    result['hashes'] = [_public(h) for h in after]
    if diff:
        result['diff'] = {'before': _public(current) if current else {},
                          'after': _public(wanted) if wanted else {}}
    return result

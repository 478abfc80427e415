# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads that work across firmware generations.

AMT 10 answers Enumerate on AMT_-prefixed classes with HTTP 400 while a Get with the exact InstanceID
works (hardware finding on AMT 10.0.56 in james-crowley/ansible-collection-intel-amt docs/protocol-notes.md,
"Enumerate is HTTP 400 on AMT_-prefixed classes"; Enumerate itself is verified on 16.1 and 19). So: Enumerate
first, and on that 400 Get the instances whose InstanceIDs are fixed by the firmware.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault, WsmanHTTPError

# InstanceIDs AMT uses for its singleton/fixed instances (go-wsman-messages and MeshCommander use the same).
KNOWN_INSTANCES = {
    'AMT_EthernetPortSettings': ('Intel(r) AMT Ethernet Port Settings 0', 'Intel(r) AMT Ethernet Port Settings 1'),
    'AMT_GeneralSettings': ('Intel(r) AMT: General Settings',),
    'AMT_BootCapabilities': ('Intel(r) AMT:BootCapabilities 0',),
    'AMT_BootSettingData': ('Intel(r) AMT:BootSettingData 0',),
    'AMT_TLSSettingData': ('Intel(r) AMT 802.3 TLS Settings', 'Intel(r) AMT LMS TLS Settings'),
}
_MISSING = ('DestinationUnreachable', 'InvalidSelectors', 'InvalidResourceURI')


def _enumerate_refused(exc):
    if isinstance(exc, WsmanHTTPError):
        return getattr(exc, 'status', None) == 400
    if isinstance(exc, WsmanFault):
        return exc.subcode in ('ActionNotSupported', 'SchemaValidationError')
    return False


def enumerate_instances(client, cls):
    """client.enumerate(cls), or on AMT 10's HTTP 400 a Get of each instance with a known InstanceID."""
    try:
        return client.enumerate(cls)
    except (WsmanHTTPError, WsmanFault) as exc:
        if cls not in KNOWN_INSTANCES or not _enumerate_refused(exc):
            raise
        refused = exc
    items = []
    for instance_id in KNOWN_INSTANCES[cls]:
        try:
            item = client.get(cls, {'InstanceID': instance_id})
        except WsmanFault as exc:
            if exc.subcode in _MISSING:
                continue             # e.g. no wireless port
            raise
        item.setdefault('_class', cls)
        items.append(item)
    if not items:
        raise refused
    return items

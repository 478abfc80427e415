# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Editing the discovery inventory's jsonfile cache: forget a device (the console's "delete the device
if unprovisioning fails")."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.oob.amt.plugins.module_utils.amt_files import write_atomic


def forget_device(cache_dir, address, check_mode=False):
    """Remove the device with this address from every cached discovery in cache_dir; returns the files changed.
    Files that are not our cache (not a JSON list of devices with an address) are left alone."""
    changed = []
    cache_dir = os.path.expanduser(cache_dir)
    if not os.path.isdir(cache_dir):
        return changed
    for name in sorted(os.listdir(cache_dir)):
        path = os.path.join(cache_dir, name)
        if not os.path.isfile(path):
            continue
        try:
            with open(path) as fh:
                devices = json.load(fh)
        except (ValueError, IOError, OSError, UnicodeDecodeError):
            continue
        if not isinstance(devices, list) or not all(isinstance(d, dict) and 'address' in d for d in devices):
            continue
        kept = [d for d in devices if d['address'] != address]
        if len(kept) != len(devices):
            changed.append(path)
            if not check_mode:
                write_atomic(path, json.dumps(kept, sort_keys=True, indent=4).encode('utf-8'), 0o600)
    return changed

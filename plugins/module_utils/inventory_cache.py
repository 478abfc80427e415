# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Editing the discovery inventory's jsonfile cache: forget a device (the console's "delete the device
if unprovisioning fails")."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json
import os

try:
    import fcntl
except ImportError:  # pragma: no cover - the controller is POSIX
    fcntl = None

from ansible_collections.oob.amt.plugins.module_utils.formats.files import write_atomic


def _address(device):
    value = device.get('address')
    if isinstance(value, dict):  # ansible-core 2.19 keeps tagged values as {"value": ..., "tags": ...}
        value = value.get('value')
    return value


def _devices(data):
    """(devices, wrap) for the two on-disk forms of the jsonfile cache: a plain JSON list (ansible-core up to
    2.18) or {"__payload__": "<JSON text>"} (2.19). None when the file is not a cached discovery."""
    wrapped = isinstance(data, dict) and isinstance(data.get('__payload__'), str) and len(data) == 1
    if wrapped:
        try:
            data = json.loads(data['__payload__'])
        except ValueError:
            return None, None
    if not isinstance(data, list) or not all(isinstance(d, dict) and 'address' in d for d in data):
        return None, None
    if wrapped:
        return data, lambda kept: {'__payload__': json.dumps(kept)}
    return data, lambda kept: kept


LOCK_NAME = '.oob-amt-cache.lock'


@contextlib.contextmanager
def cache_lock(cache_dir):
    """An exclusive lock on the cache directory (a lock file in it, flock): read-modify-write of cache files by
    parallel tasks (20 hosts failing at once) must not lose each other's edits."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(os.path.join(cache_dir, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def forget_device(cache_dir, address, check_mode=False):
    """Remove the device with this address from every cached discovery in cache_dir; returns the files changed.
    Files that are not our cache (not a list of devices with an address) are left alone. Edits are serialised
    with the other forget_device calls by a lock file in cache_dir."""
    cache_dir = os.path.expanduser(cache_dir)
    if not os.path.isdir(cache_dir):
        return []
    with cache_lock(cache_dir):
        return _forget(cache_dir, address, check_mode)


def _forget(cache_dir, address, check_mode):
    changed = []
    for name in sorted(os.listdir(cache_dir)):
        path = os.path.join(cache_dir, name)
        if name == LOCK_NAME or not os.path.isfile(path):
            continue
        try:
            with open(path) as fh:
                devices, wrap = _devices(json.load(fh))
        except (ValueError, IOError, OSError, UnicodeDecodeError):
            continue
        if devices is None:
            continue
        kept = [d for d in devices if _address(d) != address]
        if len(kept) != len(devices):
            changed.append(path)
            if not check_mode:
                write_atomic(path, json.dumps(wrap(kept), sort_keys=True).encode('utf-8'), 0o600)
    return changed

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing key, certificate and setup.bin files: atomic, private by default, never half-written."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import tempfile
import time


def read_bytes(path):
    """File content, or None when it does not exist."""
    try:
        with open(path, 'rb') as fh:
            return fh.read()
    except (IOError, OSError) as exc:
        if getattr(exc, 'errno', None) == 2:
            return None
        raise


def backup_file(path):
    """Copy path to path.<timestamp>~ (keeping its mode); returns the backup's name."""
    dest = '%s.%s~' % (path, time.strftime('%Y-%m-%d@%H:%M:%S'))
    shutil.copy2(path, dest)
    return dest


def write_atomic(path, data, mode=0o600):
    """Write through a temporary file in the same directory and rename it over the target, so a crash
    leaves either the old file or the new one, never a mix; the file is created with mode from the start."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_if_changed(path, data, mode=0o600):
    """write_atomic unless the file already holds exactly data; True when it was written."""
    if read_bytes(path) == data:
        return False
    write_atomic(path, data, mode)
    return True


def ensure_private_dir(path, check_mode=False):
    """Create the directory (0700) when missing; True when it had to be created."""
    if os.path.isdir(path):
        return False
    if not check_mode:
        os.makedirs(path, 0o700)
    return True

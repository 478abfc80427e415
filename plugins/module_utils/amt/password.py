# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMT admin passwords: the rules, checked before anything is sent (messages never contain the password),
and the forms the provisioning calls send them in."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

FORBIDDEN = ':,"'


def check_password(password):
    """List of the rules the password breaks (empty when it is acceptable to AMT)."""
    problems = []
    if password is None:
        return ['a password is required']
    if not 8 <= len(password) <= 32:
        problems.append('must be 8 to 32 characters long (it has %d)' % len(password))
    if any(ord(c) < 32 or ord(c) > 126 for c in password):
        problems.append('must use printable 7-bit ASCII characters only')
    if not any(c.isdigit() for c in password):
        problems.append('needs at least one digit')
    if not any(c.islower() for c in password):
        problems.append('needs at least one lower-case letter')
    if not any(c.isupper() for c in password):
        problems.append('needs at least one upper-case letter')
    if not any(not c.isalnum() and c not in ' _' and 32 < ord(c) < 127 for c in password):
        problems.append('needs at least one special character (not a letter, digit, space or _)')
    bad = sorted(set(c for c in password if c in FORBIDDEN))
    if bad:
        problems.append('must not contain %s' % ' or '.join(repr(c) for c in bad))
    return problems


def _a1(realm, password, username):
    return hashlib.md5(('%s:%s:%s' % (username, realm, password)).encode('utf-8'))  # noqa: S324 - mandated by AMT


def admin_password_hash(realm, password, username='admin'):
    """Lower-case hex MD5(username:realm:password), the form Setup/AdminSetup expect."""
    return _a1(realm, password, username).hexdigest()


def admin_password_digest_raw(realm, password, username='admin'):
    """Raw 16-byte MD5(username:realm:password), the form SetAdminAclEntryEx expects (base64)."""
    return _a1(realm, password, username).digest()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the AMT redirection protocol (ports 16994/16995).

They share the base of the WS-Man errors (host, operation, reason, hint; never a secret), so a
module reports both the same way. Connection, timeout and TLS failures reuse the WS-Man classes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanConnectionError, WsmanError, WsmanTimeoutError, WsmanTLSError)

ENABLE_HINT = ('Enable the redirection listener and the feature on the device (oob.amt.amt_redirection, '
               'AMT_RedirectionService: ListenerEnabled and EnabledState with SOL/IDE-R), and the '
               'SOL/IDE-R (storage redirection) items in MEBx, which cannot be switched remotely')


class RedirError(WsmanError):
    """Base of the redirection protocol errors."""
    default_hint = ''


class RedirProtocolError(RedirError):
    """The device sent something the protocol does not allow (framing, sequence, unknown message)."""
    default_hint = 'The device broke the redirection protocol; retry, and report the firmware version if it persists'


class RedirRefusedError(RedirError):
    """StartRedirectionSession answered with an error status, or the port refused the connection."""
    default_hint = ENABLE_HINT


class RedirBusyError(RedirError):
    """The device already serves a session of this kind (AMT allows one SOL and one storage session)."""
    default_hint = ('Another console holds the session (AMT serves one SOL and one IDE-R/USB-R session at a '
                    'time); close it, wait for it to end, or run one task per device at a time')


class RedirAuthError(RedirError):
    """Digest authentication inside the protocol failed."""
    default_hint = ('Check username and password (the AMT admin account or a user with the redirection '
                    'realm); after several failures AMT locks the account for a while')


class RedirDroppedError(RedirError):
    """The session ended without the closing handshake (network loss, device reset, listener switched off)."""
    default_hint = ('The device or the network dropped the session; check the link and that nobody disabled '
                    'redirection meanwhile, then run the task again')


__all__ = ['ENABLE_HINT', 'RedirError', 'RedirProtocolError', 'RedirRefusedError', 'RedirBusyError', 'RedirAuthError',
           'RedirDroppedError', 'WsmanConnectionError', 'WsmanError', 'WsmanTimeoutError', 'WsmanTLSError']

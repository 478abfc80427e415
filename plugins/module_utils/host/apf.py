# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""APF (AMT Port Forwarding) messages, as carried over the LME client of the MEI device.

APF is an SSH-connection-protocol look-alike (big-endian integers, length-prefixed strings). Message
layouts follow go-wsman-messages ``pkg/apf/types.go`` and ``pkg/apf/processor.go`` (the code rpc-go's
``internal/lm/engine.go`` uses when no Local Manageability Service runs); values and field order were
read there, the code here is ours.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import struct

DISCONNECT = 1
SERVICE_REQUEST = 5
SERVICE_ACCEPT = 6
USERAUTH_REQUEST = 50
USERAUTH_FAILURE = 51
USERAUTH_SUCCESS = 52
GLOBAL_REQUEST = 80
REQUEST_SUCCESS = 81
REQUEST_FAILURE = 82
CHANNEL_OPEN = 90
CHANNEL_OPEN_CONFIRMATION = 91
CHANNEL_OPEN_FAILURE = 92
CHANNEL_WINDOW_ADJUST = 93
CHANNEL_DATA = 94
CHANNEL_CLOSE = 97
PROTOCOL_VERSION = 192

TCP_FORWARD = 'tcpip-forward'
TCP_FORWARD_CANCEL = 'cancel-tcpip-forward'
FORWARDED_TCPIP = 'forwarded-tcpip'
SERVICE_PFWD = 'pfwd@amt.intel.com'
SERVICE_AUTH = 'auth@amt.intel.com'
LME_RX_WINDOW = 4096
TRIGGER_LME_REQUEST = 9    # the reason rpc-go's LME session announces (ProtocolVersion(1, 0, 9))

OPEN_FAILURE_REASONS = {1: 'administratively prohibited', 2: 'connect failed', 3: 'unknown channel type',
                        4: 'resource shortage'}


class APFError(Exception):
    pass


def _string(value):
    raw = value.encode('ascii') if not isinstance(value, bytes) else value
    return struct.pack('>I', len(raw)) + raw


def protocol_version(major=1, minor=0, trigger=TRIGGER_LME_REQUEST, system_uuid=b''):
    return struct.pack('>BIII16s64s', PROTOCOL_VERSION, major, minor, trigger, system_uuid[:16], b'')


def service_request(name):
    return struct.pack('>B', SERVICE_REQUEST) + _string(name)


def service_accept(name):
    return struct.pack('>B', SERVICE_ACCEPT) + _string(name)


def global_request_forward(port, address='', want_reply=True, cancel=False):
    return (struct.pack('>B', GLOBAL_REQUEST) + _string(TCP_FORWARD_CANCEL if cancel else TCP_FORWARD)
            + struct.pack('>B', 1 if want_reply else 0) + _string(address) + struct.pack('>I', port))


def request_success(port=None):
    return struct.pack('>B', REQUEST_SUCCESS) + (struct.pack('>I', port) if port is not None else b'')


def request_failure():
    return struct.pack('>B', REQUEST_FAILURE)


def channel_open(sender_channel, port, window=LME_RX_WINDOW, address='::1', originator='::1', originator_port=123):
    return (struct.pack('>B', CHANNEL_OPEN) + _string(FORWARDED_TCPIP)
            + struct.pack('>III', sender_channel, window, 0xFFFFFFFF)
            + _string(address) + struct.pack('>I', port) + _string(originator) + struct.pack('>I', originator_port))


def channel_open_confirmation(recipient, sender, window=LME_RX_WINDOW):
    return struct.pack('>BIIII', CHANNEL_OPEN_CONFIRMATION, recipient, sender, window, 0xFFFFFFFF)


def channel_open_failure(recipient, reason):
    return struct.pack('>BIIII', CHANNEL_OPEN_FAILURE, recipient, reason, 0, 0)


def window_adjust(recipient, count):
    return struct.pack('>BII', CHANNEL_WINDOW_ADJUST, recipient, count)


def channel_data(recipient, data):
    return struct.pack('>BII', CHANNEL_DATA, recipient, len(data)) + data


def channel_close(recipient):
    return struct.pack('>BI', CHANNEL_CLOSE, recipient)


def disconnect(reason):
    return struct.pack('>BIH', DISCONNECT, reason, 0)


class _Reader(object):
    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def need(self, n):
        if self.pos + n > len(self.data):
            raise APFError('APF message truncated')

    def u8(self):
        self.need(1)
        self.pos += 1
        return bytearray(self.data)[self.pos - 1]

    def u32(self):
        self.need(4)
        value = struct.unpack_from('>I', self.data, self.pos)[0]
        self.pos += 4
        return value

    def raw(self, n):
        self.need(n)
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def string(self):
        return self.raw(self.u32()).decode('ascii', 'replace')


def parse(data):
    """Split a buffer into (type, fields dict) messages. Raises APFError on a truncated message."""
    out = []
    r = _Reader(bytes(data))
    while r.pos < len(r.data):
        kind = r.u8()
        msg = {'type': kind}
        if kind == PROTOCOL_VERSION:
            msg.update(major=r.u32(), minor=r.u32(), trigger=r.u32())
            msg['uuid'] = r.raw(16) if r.pos + 16 <= len(r.data) else b''
            r.pos = min(len(r.data), r.pos + 64)
        elif kind in (SERVICE_REQUEST, SERVICE_ACCEPT):
            msg['name'] = r.string()
        elif kind == GLOBAL_REQUEST:
            msg['request'] = r.string()
            msg['want_reply'] = bool(r.u8())
            if msg['request'] in (TCP_FORWARD, TCP_FORWARD_CANCEL):
                msg['address'] = r.string()
                msg['port'] = r.u32()
            else:
                r.pos = len(r.data)          # unknown request: its payload is opaque
        elif kind == REQUEST_SUCCESS:
            if len(r.data) - r.pos >= 4 and bytearray(r.data)[r.pos] == 0:
                msg['port'] = r.u32()
        elif kind == REQUEST_FAILURE:
            pass
        elif kind == CHANNEL_OPEN:
            msg['channel_type'] = r.string()
            msg.update(sender=r.u32(), window=r.u32(), max_packet=r.u32())
            msg['address'] = r.string()
            msg['port'] = r.u32()
            msg['originator'] = r.string()
            msg['originator_port'] = r.u32()
        elif kind == CHANNEL_OPEN_CONFIRMATION:
            msg.update(recipient=r.u32(), sender=r.u32(), window=r.u32(), max_packet=r.u32())
        elif kind == CHANNEL_OPEN_FAILURE:
            msg.update(recipient=r.u32(), reason=r.u32())
            r.pos = min(len(r.data), r.pos + 8)
        elif kind == CHANNEL_WINDOW_ADJUST:
            msg.update(recipient=r.u32(), count=r.u32())
        elif kind == CHANNEL_DATA:
            msg['recipient'] = r.u32()
            msg['data'] = r.raw(r.u32())
        elif kind == CHANNEL_CLOSE:
            msg['recipient'] = r.u32()
        elif kind == DISCONNECT:
            msg['reason'] = r.u32()
            r.pos = min(len(r.data), r.pos + 2)
        else:
            msg['payload'] = r.data[r.pos:]
            r.pos = len(r.data)
        out.append(msg)
    return out

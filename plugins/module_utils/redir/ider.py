# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage redirection (IDE-R, and USB-R from AMT 11): serve a disk image to the device.

Roles are reversed compared with WS-Man: once the session is open, the *device* sends the ATAPI/SCSI
commands its BIOS or OS issues to the virtual drive (COMMAND_WRITTEN, 0x50) and the console answers
with data (DATA_TO_HOST, 0x54) or a status with sense data (COMMAND_END_RESPONSE, 0x51).

Message flow (every message: id, 2 reserved bytes, attributes, little-endian sequence number; the
console and the device each count their own messages from 0):

  console -> 0x40 OPEN_SESSION (rx timeout, tx timeout, heartbeat interval, version)
  device  -> 0x41 OPEN_SESSION reply (protocol version, firmware version, read/write buffer sizes)
  console -> 0x48 DISABLE_ENABLE_FEATURES type 3 (set register state): enable + when to take over
             (0x08 on the next reboot, 0x10 graceful, 0x18 now)
  device  -> 0x49 reply;  then 0x50 commands, 0x44 pings (answer 0x45), 0x46 reset (answer 0x47),
             0x4B heartbeats, 0x4A errors; console ends with 0x42, device confirms with 0x43.

Written from MeshCommander ``amt-ider-ws-0.0.1.js`` (message layout, register values, which SCSI
commands a BIOS sends) and amtterm ``redir.h`` (message structures); the SCSI/MMC answers are built
from the MMC/SPC layouts here, not copied. The image is only read: writes get "write protected".
Knows nothing about Ansible.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import struct
import time

from ansible_collections.oob.amt.plugins.module_utils.redir.errors import RedirDroppedError, RedirProtocolError
from ansible_collections.oob.amt.plugins.module_utils.redir.session import RedirSession

OPEN_SESSION = 0x40
OPEN_SESSION_REPLY = 0x41
CLOSE = 0x42
CLOSE_REPLY = 0x43
KEEPALIVE_PING = 0x44
KEEPALIVE_PONG = 0x45
RESET_OCCURRED = 0x46
RESET_OCCURRED_RESPONSE = 0x47
FEATURES = 0x48
FEATURES_REPLY = 0x49
ERROR_OCCURRED = 0x4A
HEARTBEAT = 0x4B
COMMAND_WRITTEN = 0x50
COMMAND_END_RESPONSE = 0x51
GET_DATA_FROM_HOST = 0x52
DATA_FROM_HOST = 0x53
DATA_TO_HOST = 0x54

FEATURE_SET_REGISTERS = 3
REGISTER_ENABLE = 0x01
START_MODES = {'on_reboot': 0x08, 'graceful': 0x10, 'now': 0x18}

DEV_FLOPPY = 0xA0       # master: floppy / USB stick image (512-byte blocks)
DEV_CDROM = 0xB0        # slave: CD/DVD image (2048-byte blocks)
BLOCK = {DEV_FLOPPY: 512, DEV_CDROM: 2048}

# Sense keys / additional sense codes used in answers.
NOT_READY, UNIT_ATTENTION, ILLEGAL_REQUEST, DATA_PROTECT = 0x02, 0x06, 0x05, 0x07
ASC_NO_MEDIUM, ASC_MEDIUM_CHANGED, ASC_INVALID_OPCODE, ASC_LBA_RANGE, ASC_INVALID_FIELD, ASC_WRITE_PROTECTED = \
    0x3A, 0x28, 0x20, 0x21, 0x24, 0x27

SCSI_NAMES = {0x00: 'TEST_UNIT_READY', 0x03: 'REQUEST_SENSE', 0x08: 'READ_6', 0x0A: 'WRITE_6', 0x12: 'INQUIRY',
              0x1A: 'MODE_SENSE_6', 0x1B: 'START_STOP_UNIT', 0x1E: 'PREVENT_ALLOW_MEDIUM_REMOVAL',
              0x23: 'READ_FORMAT_CAPACITIES', 0x25: 'READ_CAPACITY', 0x28: 'READ_10', 0x2A: 'WRITE_10',
              0x2E: 'WRITE_AND_VERIFY_10', 0x43: 'READ_TOC', 0x46: 'GET_CONFIGURATION',
              0x4A: 'GET_EVENT_STATUS_NOTIFICATION', 0x51: 'READ_DISC_INFORMATION', 0x5A: 'MODE_SENSE_10',
              0xA8: 'READ_12', 0xAA: 'WRITE_12', 0xAC: 'GET_PERFORMANCE', 0xBD: 'MECHANISM_STATUS'}

# Fixed lengths of device->console messages (0x41 and 0x53 carry a length of their own).
_FIXED = {CLOSE_REPLY: 8, KEEPALIVE_PING: 8, KEEPALIVE_PONG: 8, RESET_OCCURRED: 9, FEATURES_REPLY: 13,
          ERROR_OCCURRED: 11, HEARTBEAT: 8, COMMAND_WRITTEN: 28}

MAX_TRANSFER = 8192


class Media(object):
    """A read-only image file as a virtual drive."""

    def __init__(self, path, kind):
        if kind not in ('cdrom', 'floppy'):
            raise ValueError('kind must be cdrom or floppy')
        self.path = path
        self.kind = kind
        self.dev = DEV_CDROM if kind == 'cdrom' else DEV_FLOPPY
        self.block = BLOCK[self.dev]
        self.size = os.path.getsize(path)
        self.blocks = self.size // self.block
        self.fh = open(path, 'rb')
        self.ready = False      # the first TEST UNIT READY reports a medium change, like a fresh drive

    def read(self, lba, count):
        self.fh.seek(lba * self.block)
        return self.fh.read(count * self.block)

    def close(self):
        self.fh.close()


def _be32(v):
    return struct.pack('>I', v & 0xFFFFFFFF)


def _be16(v):
    return struct.pack('>H', v & 0xFFFF)


def _msf(lba):
    lba += 150
    return bytes([0, lba // (75 * 60), (lba // 75) % 60, lba % 75])


class IderServer(object):
    """Serves one CD image and/or one floppy/USB image over an open IDER session."""

    def __init__(self, session, cdrom=None, floppy=None, start_mode='on_reboot', heartbeat_ms=20000,
                 rx_timeout_ms=30000, max_logged_reads=500):
        if not isinstance(session, RedirSession):
            raise TypeError('session must be a RedirSession')
        self.session = session
        self.drives = {}
        for media in (cdrom, floppy):
            if media is not None:
                self.drives[media.dev] = media
        self.start_mode = start_mode
        self.heartbeat_ms = heartbeat_ms
        self.rx_timeout_ms = rx_timeout_ms
        self.out_seq = 0
        self.in_seq = 0
        self.device_info = None
        self.enabled = None
        self.read_buffer = MAX_TRANSFER
        self.max_logged_reads = max_logged_reads
        self.stats = {'bytes_served': 0, 'sectors_served': 0, 'read_commands': 0, 'commands': {}, 'reads': [],
                      'resets': 0, 'errors': [], 'first_read': None, 'last_command': None, 'refused_writes': 0}
        self.closed = False
        self._started = None

    # -- framing ---------------------------------------------------------------------------------
    def _send(self, cmd, body=b'', attributes=0):
        self.session.send(struct.pack('<BBBBI', cmd, 0, 0, attributes, self.out_seq) + body)
        self.out_seq += 1

    def _message_length(self):
        buf = self.session.buf
        cmd = buf[0]
        if cmd in _FIXED:
            return _FIXED[cmd]
        if cmd == OPEN_SESSION_REPLY:
            return 30 + buf[29] if len(buf) >= 30 else 30
        if cmd == DATA_FROM_HOST:
            return 14 + struct.unpack_from('<H', buf, 9)[0] if len(buf) >= 14 else 14
        raise self.session._err(RedirProtocolError, 'unknown storage redirection message 0x%02x' % cmd)

    def _next_message(self, deadline, what):
        """The next complete device message (bytes) or None when the deadline passes without one."""
        s = self.session
        while True:
            if len(s.buf) >= 8:
                need = self._message_length()
                if len(s.buf) >= need:
                    need = self._message_length()   # 0x41/0x53 length known once their header is in
                    if len(s.buf) >= need:
                        msg = s.take(need)
                        seq = struct.unpack_from('<I', msg, 4)[0]
                        if seq != self.in_seq:
                            raise s._err(RedirProtocolError, 'message out of sequence (got %d, expected %d)'
                                         % (seq, self.in_seq))
                        self.in_seq += 1
                        return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if not s.poll(remaining):
                if s.sock is None:
                    raise s._err(RedirDroppedError, 'the device closed the storage redirection session while %s '
                                 '(after %d bytes served)' % (what, self.stats['bytes_served']),
                                 bytes_served=self.stats['bytes_served'])

    # -- setup -----------------------------------------------------------------------------------
    def open(self):
        """OPEN_SESSION and the register toggle that arms the virtual drives."""
        s = self.session
        self._send(OPEN_SESSION, struct.pack('<HHHI', self.rx_timeout_ms, 0, self.heartbeat_ms, 1))
        deadline = time.monotonic() + s.timeout
        while True:
            msg = self._next_message(deadline, 'opening the storage redirection session')
            if msg is None:
                raise s._err(RedirDroppedError, 'no OPEN_SESSION reply within %gs' % s.timeout)
            if msg[0] == OPEN_SESSION_REPLY:
                break
            self._handle(msg)
        info = {'protocol_version': '%d.%d' % (msg[8], msg[9]), 'firmware_version': '%d.%d' % (msg[10], msg[11]),
                'read_buffer': struct.unpack_from('<H', msg, 16)[0],
                'write_buffer': struct.unpack_from('<H', msg, 18)[0],
                'protocol': msg[21], 'iana': struct.unpack_from('<I', msg, 25)[0]}
        self.device_info = info
        if info['protocol'] != 0:
            raise s._err(RedirProtocolError, 'the device asks for storage redirection protocol %d (only 0 is known)'
                         % info['protocol'])
        if not 0 < info['read_buffer'] <= MAX_TRANSFER:
            raise s._err(RedirProtocolError, 'the device announces a read buffer of %d bytes' % info['read_buffer'])
        self.read_buffer = info['read_buffer']
        value = REGISTER_ENABLE | START_MODES[self.start_mode]
        self._send(FEATURES, struct.pack('<BI', FEATURE_SET_REGISTERS, value))
        while True:
            msg = self._next_message(deadline, 'arming the virtual drives')
            if msg is None:
                raise s._err(RedirDroppedError, 'no answer to the register toggle within %gs' % s.timeout)
            if msg[0] == FEATURES_REPLY and msg[8] == FEATURE_SET_REGISTERS:
                result = struct.unpack_from('<I', msg, 9)[0]
                if result != 1:
                    raise s._err(RedirProtocolError, 'the device refused to arm the virtual drives (register '
                                 'toggle answered %d)' % result)
                self.enabled = True
                break
            self._handle(msg)
        self._started = time.monotonic()
        return info

    # -- serving ---------------------------------------------------------------------------------
    def serve(self, deadline, stop=None, poll=0.25):
        """Answer the device until ``deadline`` or until ``stop(stats)`` returns a reason. Returns the reason."""
        while True:
            if stop is not None:
                reason = stop(self.stats)
                if reason:
                    return reason
            now = time.monotonic()
            if now >= deadline:
                return 'timeout'
            msg = self._next_message(min(deadline, now + poll), 'serving the image')
            if msg is None:
                continue
            if msg[0] == CLOSE_REPLY:
                self.closed = True
                return 'closed_by_device'
            self._handle(msg)

    def _handle(self, msg):
        cmd = msg[0]
        if cmd == KEEPALIVE_PING:
            self._send(KEEPALIVE_PONG)
        elif cmd == RESET_OCCURRED:
            self.stats['resets'] += 1
            self._send(RESET_OCCURRED_RESPONSE)
        elif cmd == ERROR_OCCURRED:
            self.stats['errors'].append(msg[8])
        elif cmd == FEATURES_REPLY:
            if msg[8] == 2:
                self.enabled = bool(struct.unpack_from('<I', msg, 9)[0] & 2)
        elif cmd == COMMAND_WRITTEN:
            self.stats['last_command'] = time.monotonic()
            device = DEV_CDROM if msg[14] & 0x10 else DEV_FLOPPY
            self._scsi(device, msg[16:28], bool(msg[9] & 1))
        elif cmd == DATA_FROM_HOST:
            # write data for a floppy; the image is read-only, so the write was already refused
            self._end(DEV_FLOPPY, DATA_PROTECT, ASC_WRITE_PROTECTED)
        # HEARTBEAT, KEEPALIVE_PONG, CLOSE_REPLY: nothing to answer

    # -- answers ---------------------------------------------------------------------------------
    def _end(self, device, sense=0, asc=0, ascq=0):
        """COMMAND_END_RESPONSE: good status, or check condition with sense data."""
        if sense == 0:
            regs = bytes([0xC5, 0, 3, 0, 0, 0, device, 0x50])
        else:
            regs = bytes([0x87, (sense << 4) & 0xFF, 3, 0, 0, 0, device, 0x51])
        self._send(COMMAND_END_RESPONSE, bytes(12) + regs + bytes([sense, asc, ascq]), attributes=2)

    def _data(self, device, data, dma, allocation=None):
        """DATA_TO_HOST in pieces of at most the device's read buffer; the last one carries good status."""
        if allocation is not None:
            data = data[:allocation]
        if not data:
            self._end(device)
            return
        step = self.read_buffer
        for pos in range(0, len(data), step):
            piece = data[pos:pos + step]
            last = pos + step >= len(data)
            count = 0 if dma else len(piece)
            regs_in = bytes([0xB4 if dma else 0xB5, 0, 2, 0, count & 0xFF, (count >> 8) & 0xFF, device, 0x58])
            regs_out = bytes([0x85, 0, 3, 0, 0, 0, device, 0x50]) if last else bytes(8)
            body = struct.pack('<BHB', 0, len(piece), 0) + regs_in + regs_out + bytes(6) + piece
            self._send(DATA_TO_HOST, body, attributes=(2 if last else 0) | (1 if dma else 0))

    def _read(self, device, lba, count, dma):
        media = self.drives.get(device)
        if media is None:
            return self._end(device, NOT_READY, ASC_NO_MEDIUM)
        if count == 0:
            return self._end(device)
        if lba + count > media.blocks:
            return self._end(device, ILLEGAL_REQUEST, ASC_LBA_RANGE)
        st = self.stats
        st['read_commands'] += 1
        if st['first_read'] is None:
            st['first_read'] = time.monotonic()
        if len(st['reads']) < self.max_logged_reads:
            st['reads'].append({'drive': media.kind, 'lba': lba, 'blocks': count})
        data = media.read(lba, count)
        st['bytes_served'] += len(data)
        st['sectors_served'] += count
        self._data(device, data, dma)

    def _scsi(self, device, cdb, dma):
        op = cdb[0]
        name = SCSI_NAMES.get(op, '0x%02x' % op)
        self.stats['commands'][name] = self.stats['commands'].get(name, 0) + 1
        media = self.drives.get(device)
        if op == 0x00:                                    # TEST UNIT READY
            if media is None:
                return self._end(device, NOT_READY, ASC_NO_MEDIUM)
            if not media.ready:
                media.ready = True
                return self._end(device, UNIT_ATTENTION, ASC_MEDIUM_CHANGED)
            return self._end(device)
        if op in (0x28, 0xA8, 0x08):                      # READ(10), READ(12), READ(6)
            if op == 0x28:
                lba, count = struct.unpack_from('>I', cdb, 2)[0], struct.unpack_from('>H', cdb, 7)[0]
            elif op == 0xA8:
                lba, count = struct.unpack_from('>I', cdb, 2)[0], struct.unpack_from('>I', cdb, 6)[0]
            else:
                lba = ((cdb[1] & 0x1F) << 16) | (cdb[2] << 8) | cdb[3]
                count = cdb[4] or 256
            return self._read(device, lba, count, dma)
        if op in (0x0A, 0x2A, 0x2E, 0xAA):                # writes: the image is read-only
            self.stats['refused_writes'] += 1
            if media is None:
                return self._end(device, NOT_READY, ASC_NO_MEDIUM)
            return self._end(device, DATA_PROTECT, ASC_WRITE_PROTECTED)
        if media is None and op not in (0x12, 0x03, 0x4A, 0x46, 0x1E):
            return self._end(device, NOT_READY, ASC_NO_MEDIUM)
        if op == 0x25:                                    # READ CAPACITY: last LBA, block length
            return self._data(device, _be32(media.blocks - 1) + _be32(media.block), dma)
        if op == 0x23:                                    # READ FORMAT CAPACITIES (floppy/USB)
            alloc = struct.unpack_from('>H', cdb, 7)[0]
            desc = _be32(media.blocks) + bytes([0x02]) + struct.pack('>I', media.block)[1:]
            return self._data(device, bytes([0, 0, 0, 8]) + desc, dma, alloc)
        if op == 0x12:                                    # INQUIRY
            alloc = cdb[4]
            kind = 0x05 if device == DEV_CDROM else 0x00
            data = bytes([kind, 0x80, 0x00, 0x21, 31, 0, 0, 0]) + b'oob.amt ' + b'Virtual Media   ' + b'1.0 '
            return self._data(device, data, dma, alloc)
        if op == 0x03:                                    # REQUEST SENSE: nothing pending
            data = bytes([0x70, 0, 0, 0, 0, 0, 0, 10]) + bytes(10)
            return self._data(device, data, dma, cdb[4])
        if op in (0x1B, 0x1E):                            # START STOP UNIT, PREVENT/ALLOW MEDIUM REMOVAL
            return self._end(device)
        if op in (0x1A, 0x5A):                            # MODE SENSE (6)/(10)
            return self._mode_sense(device, media, cdb, dma, ten=(op == 0x5A))
        if op == 0x43 and device == DEV_CDROM:            # READ TOC/PMA/ATIP
            return self._read_toc(media, cdb, dma)
        if op == 0x46 and device == DEV_CDROM:            # GET CONFIGURATION
            return self._get_configuration(media, cdb, dma)
        if op == 0x4A:                                    # GET EVENT STATUS NOTIFICATION (media class)
            if not cdb[1] & 0x01:
                return self._end(device, ILLEGAL_REQUEST, ASC_INVALID_FIELD)
            present = 0x02 if media is not None else 0x00
            return self._data(device, bytes([0, 6, 0x04, 0x10, 0, present, 0, 0]), dma,
                              struct.unpack_from('>H', cdb, 7)[0])
        if op == 0x51 and device == DEV_CDROM:            # READ DISC INFORMATION: a finalized one-session disc
            data = bytes([0, 32, 0x0E, 1, 1, 1, 1, 0x20]) + bytes(8) + b'\xff' * 8 + bytes(8)
            return self._data(device, data, dma, struct.unpack_from('>H', cdb, 7)[0])
        return self._end(device, ILLEGAL_REQUEST, ASC_INVALID_OPCODE)

    def _mode_sense(self, device, media, cdb, dma, ten):
        page = cdb[2] & 0x3F
        pages = {}
        if device == DEV_CDROM:
            pages[0x01] = bytes([0x01, 0x06, 0, 5, 0, 0, 0, 0])                 # read error recovery
            # CD capabilities page: reads CD-R/RW, tray loading
            pages[0x2A] = bytes([0x2A, 0x12, 0x01, 0, 0x71, 0x60, 0x29, 0]) + bytes(12)
        else:
            heads, per_track = (2, 18) if media.blocks <= 2880 else (64, 32)
            cylinders = max(1, media.blocks // (heads * per_track))
            pages[0x01] = bytes([0x01, 0x0A, 0, 5]) + bytes(8)
            pages[0x05] = (bytes([0x05, 0x1E]) + _be16(500) + bytes([heads, per_track]) + _be16(media.block) +
                           _be16(cylinders) + bytes(22))                       # flexible disk geometry
        if page == 0x3F:
            body = b''.join(pages[k] for k in sorted(pages))
        elif page in pages:
            body = pages[page]
        else:
            return self._end(device, ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        medium = 0x01 if device == DEV_CDROM else 0x00
        if ten:
            header = _be16(6 + len(body)) + bytes([medium, 0x80, 0, 0, 0, 0])
            alloc = struct.unpack_from('>H', cdb, 7)[0]
        else:
            header = bytes([3 + len(body), medium, 0x80, 0])
            alloc = cdb[4]
        return self._data(device, header + body, dma, alloc)

    def _read_toc(self, media, cdb, dma):
        msf = bool(cdb[1] & 0x02)
        fmt = cdb[2] & 0x0F or (cdb[9] >> 6)
        alloc = struct.unpack_from('>H', cdb, 7)[0]

        def addr(lba):
            return _msf(lba) if msf else _be32(lba)
        if fmt == 0:
            tracks = bytes([0, 0x14, 1, 0]) + addr(0) + bytes([0, 0x14, 0xAA, 0]) + addr(media.blocks)
            data = _be16(2 + len(tracks)) + bytes([1, 1]) + tracks
        elif fmt == 1:
            data = _be16(10) + bytes([1, 1]) + bytes([0, 0x14, 1, 0]) + addr(0)
        else:
            return self._end(DEV_CDROM, ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        return self._data(DEV_CDROM, data, dma, alloc)

    def _get_configuration(self, media, cdb, dma):
        rt = cdb[1] & 0x03
        first = struct.unpack_from('>H', cdb, 2)[0]
        alloc = struct.unpack_from('>H', cdb, 7)[0]
        current = 0x0008 if media is not None else 0x0000
        features = [
            (0x0000, 0x03, bytes([0x00, 0x08, 0x01 if media is not None else 0x00, 0])),   # profile list: CD-ROM
            (0x0001, 0x0B, _be32(2) + bytes([0, 0, 0, 0])),                               # core: ATAPI
            (0x0003, 0x03, bytes([0x29, 0, 0, 0])),                                       # removable medium, tray
            (0x0010, 0x03, _be32(2048) + bytes([0, 1, 0, 0])),                            # random readable
            (0x001E, 0x03, bytes([0, 0, 0, 0])),                                          # CD read
        ]
        body = b''
        for code, flags, data in features:
            if rt == 2 and code != first:
                continue
            if code < first:
                continue
            body += _be16(code) + bytes([flags, len(data)]) + data
        payload = _be32(4 + len(body)) + bytes([0, 0]) + _be16(current) + body
        return self._data(DEV_CDROM, payload, dma, alloc)

    # -- end ---------------------------------------------------------------------------------------
    def close(self, wait=2.0):
        """END (0x42), wait briefly for the device's confirmation (0x43), end the session."""
        s = self.session
        if s.sock is not None and not self.closed:
            try:
                self._send(CLOSE)
                deadline = time.monotonic() + wait
                while True:
                    msg = self._next_message(deadline, 'closing')
                    if msg is None or msg[0] == CLOSE_REPLY:
                        self.closed = msg is not None
                        break
                    self._handle(msg)
            except Exception:
                pass
        s.end_session()
        for media in self.drives.values():
            media.close()

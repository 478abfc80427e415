"""The device side of the AMT redirection protocol (TCP 16994 plain, 16995 TLS): SOL and IDE-R/USB-R.

Independent of plugins/module_utils/redir/ on purpose (an encoding mistake there must not be mirrored
here). Message layouts follow what the firmware sends to Intel's consoles (MeshCommander amt-redir /
amt-ider, amtterm RedirectionConstants.h); see docs/dev/redirection.md.

Behaviour:
* The listener is closed (connections reset at once) when the device state says
  ``redirection_listener: false`` (AMT_RedirectionService.ListenerEnabled false).
* StartRedirectionSession: status 3 when the feature is off in ``redirection_state`` (32768 none,
  32769 IDE-R, 32770 SOL, 32771 both), status 2 when a session of that kind is already open (AMT
  serves one SOL and one storage redirection session at a time).
* Digest inside the protocol against the admin account (HA1 as stored), one nonce per attempt; a
  wrong response (or ``lockout``) ends the connection after a failure reply.
* Storage redirection: on a host boot with UseIDER the simulated BIOS reads the image through the
  console like a real one: TEST UNIT READY, READ CAPACITY, the ISO9660 volume descriptors, the El
  Torito boot catalog and boot image, then the boot loader reads the files named in
  ``ider_read_files`` (default: every file in the root directory, at most 4). A floppy/USB image:
  the boot sector, and files of a FAT12/16 root directory. What was read is written under
  ``<state-dir>/redirection/<addr>/`` and summarised in the state (``ider_boots``).
* SOL: on a host boot the console streams a boot log (BIOS lines when the boot used UseSOL or
  ``sol_bios_console`` is true, then boot loader and kernel), keys typed are recorded in
  ``sol_keys`` (hex) and F2 during the BIOS prompt enters setup.
* Fault keys: ``redir_drop_after`` (seconds after authentication: the device resets the session),
  ``redir_auth_fail`` (the in-protocol digest fails although WS-Man works: a user without the redirection
  realm, or a lockout that started between the WS-Man checks and the session).
"""

import asyncio
import hashlib
import os
import struct
import time

from tests.simulator import firmware, registry

SOL_TAG = b'SOL '
IDER_TAG = b'IDER'
IDER_BIT = {32769, 32771}
SOL_BIT = {32770, 32771}
MAX_MESSAGE = 1 << 20


def _md5(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()


def _lp_fields(data, count):
    out, pos = [], 0
    for _unused in range(count):
        n = data[pos]
        out.append(data[pos + 1:pos + 1 + n].decode('latin-1'))
        pos += 1 + n
    return out


def _lp(text):
    raw = text.encode('latin-1')
    return bytes([len(raw)]) + raw


class Dropped(Exception):
    pass


class Connection:
    """One accepted redirection connection."""

    def __init__(self, fleet, device, reader, writer, tls):
        self.fleet = fleet
        self.device = device
        self.reader = reader
        self.writer = writer
        self.tls = tls
        self.kind = None
        self.boot_event = asyncio.Event()
        self.drop_at = None

    async def read(self, n):
        timeout = None
        if self.drop_at is not None:
            timeout = max(0.0, self.drop_at - time.monotonic())
        try:
            return await asyncio.wait_for(self.reader.readexactly(n), timeout)
        except asyncio.TimeoutError:
            raise Dropped('fault: redir_drop_after')

    def write(self, data):
        if self.drop_at is not None and time.monotonic() >= self.drop_at:
            raise Dropped('fault: redir_drop_after')
        self.writer.write(data)

    # -- session manager -------------------------------------------------------------------------
    async def run(self):
        head = await self.read(8)
        if head[0] != 0x10:
            return
        tag = head[4:8]
        kind = {SOL_TAG: 'sol', IDER_TAG: 'ider'}.get(tag)
        state = self.device.state
        features = state.get('redirection_state', 32771)
        status = 0
        if kind is None:
            status = 3
        elif (kind == 'ider' and features not in IDER_BIT) or (kind == 'sol' and features not in SOL_BIT):
            status = 3
        elif self.device.redir_sessions.get(kind) is not None:
            status = 2
        major = int(state['amt_version'].split('.')[0])
        self.write(bytes([0x11, status, 0, 0, 1, 0, major & 0xFF, 0, 0, 0, 0, 0, 0]))
        await self.writer.drain()
        if status != 0:
            return
        if not await self.authenticate():
            return
        if self.device.redir_sessions.get(kind) is not None:     # raced with another console
            return
        self.kind = kind
        self.device.redir_sessions[kind] = self
        state['redirection_session'] = True
        self.count('sessions_%s' % kind)
        faults = state.get('faults') or {}
        if faults.get('redir_drop_after') is not None:
            self.drop_at = time.monotonic() + float(faults['redir_drop_after'])
        try:
            if kind == 'ider':
                await IderDevice(self).run()
            else:
                await SolDevice(self).run()
        finally:
            self.device.redir_sessions[kind] = None
            state['redirection_session'] = any(self.device.redir_sessions.values())

    def count(self, key):
        stats = self.device.state.setdefault('redirection_stats', {})
        stats[key] = stats.get(key, 0) + 1

    async def auth_message(self):
        head = await self.read(9)
        if head[0] != 0x13:
            raise Dropped('expected AuthenticateSession')
        length = struct.unpack_from('<I', head, 5)[0]
        if length > 4096:
            raise Dropped('auth data too long')
        return head[4], await self.read(length)

    def auth_reply(self, status, auth_type, data=b''):
        self.write(bytes([0x14, status, 0, 0, auth_type]) + struct.pack('<I', len(data)) + data)

    async def authenticate(self):
        state = self.device.state
        auth_type, _data = await self.auth_message()
        if auth_type != 0:
            self.auth_reply(1, auth_type)
            return False
        self.auth_reply(0, 0, bytes([3, 4]))          # digest (legacy and with cnonce); no basic
        auth_type, data = await self.auth_message()
        if auth_type != 4:
            self.auth_reply(1, auth_type)
            return False
        user = _lp_fields(data, 1)[0]
        nonce = os.urandom(16).hex()
        self.auth_reply(1, 4, _lp(state['realm']) + _lp(nonce) + _lp('auth'))
        await self.writer.drain()
        auth_type, data = await self.auth_message()
        try:
            user, realm, got_nonce, uri, cnonce, nc, response, qop = _lp_fields(data, 8)
        except (IndexError, UnicodeDecodeError):
            self.auth_reply(1, auth_type)
            return False
        ha1 = state.get('admin_ha1')
        if not ha1:
            ha1 = _md5('%s:%s:%s' % (state['admin_username'], state['realm'], state['admin_password']))
        expected = _md5('%s:%s:%s:%s:%s:%s' % (ha1, nonce, nc, cnonce, qop, _md5('POST:%s' % uri)))
        faults = state.get('faults') or {}
        locked = state.get('locked') or (faults.get('lockout') and not faults.get('after'))
        ok = (user == state['admin_username'] and realm == state['realm'] and got_nonce == nonce and qop == 'auth'
              and uri == '/RedirectionService' and response == expected and not locked
              and not faults.get('redir_auth_fail'))
        self.count('auth_ok' if ok else 'auth_failed')
        self.auth_reply(0 if ok else 1, 4)
        await self.writer.drain()
        return ok


class IderDevice:
    """The firmware + BIOS side of a storage redirection session."""

    def __init__(self, conn):
        self.conn = conn
        self.device = conn.device
        self.out_seq = 0
        self.in_seq = 0
        self.armed = False
        self.read_buffer = 8192
        self.pending = asyncio.Queue()

    def send(self, cmd, body=b'', attributes=0):
        self.conn.write(struct.pack('<BBBBI', cmd, 0, 0, attributes, self.out_seq) + body)
        self.out_seq += 1

    async def message(self):
        head = await self.conn.read(8)
        cmd = head[0]
        seq = struct.unpack_from('<I', head, 4)[0]
        if seq != self.in_seq:
            raise Dropped('console message out of sequence (%d, expected %d)' % (seq, self.in_seq))
        self.in_seq += 1
        rest = {0x40: 10, 0x42: 0, 0x45: 0, 0x44: 0, 0x47: 0, 0x48: 5, 0x51: 23, 0x12: None}.get(cmd, -1)
        if cmd == 0x54:
            sub = await self.conn.read(26)
            length = struct.unpack_from('<H', sub, 1)[0]
            return head + sub + await self.conn.read(length)
        if rest == -1 or rest is None:
            raise Dropped('unexpected console message 0x%02x' % cmd)
        return head + (await self.conn.read(rest) if rest else b'')

    async def run(self):
        msg = await self.message()
        if msg[0] != 0x40:
            raise Dropped('expected OPEN_SESSION')
        major = int(self.device.state['amt_version'].split('.')[0])
        reply = bytes([1, 0, major & 0xFF, 0]) + bytes(4) + struct.pack('<HH', self.read_buffer, 8192) + bytes([0, 0]) \
            + bytes(3) + struct.pack('<I', 343) + bytes([0])
        self.send(0x41, reply)
        await self.conn.writer.drain()
        self.conn.device.ider_connection = self
        reader = asyncio.ensure_future(self.reader_loop())
        try:
            await self.main_loop(reader)
        finally:
            reader.cancel()
            self.conn.device.ider_connection = None

    async def reader_loop(self):
        try:
            while True:
                msg = await self.message()
                await self.pending.put(msg)
                if msg[0] in (0x42,):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, Dropped, OSError) as exc:
            await self.pending.put(exc)

    async def next(self, timeout=None):
        item = await asyncio.wait_for(self.pending.get(), timeout)
        if isinstance(item, Exception):
            raise item if isinstance(item, Dropped) else Dropped(str(item))
        return item

    async def main_loop(self, reader):
        ping_sent = False
        while True:
            boot = asyncio.ensure_future(self.conn.boot_event.wait())
            nxt = asyncio.ensure_future(self.pending.get())
            done, _pending = await asyncio.wait({boot, nxt}, timeout=5.0, return_when=asyncio.FIRST_COMPLETED)
            if nxt in done:
                boot.cancel()
                item = nxt.result()
                if isinstance(item, Exception):
                    raise item if isinstance(item, Dropped) else Dropped(str(item))
                if not await self.control(item):
                    return
                if self.armed and not ping_sent:
                    ping_sent = True
                    self.send(0x44)           # the firmware checks the console is alive
                    await self.conn.writer.drain()
                continue
            nxt.cancel()
            if boot in done:
                self.conn.boot_event.clear()
                if self.armed:
                    await self.host_boot()
                continue
            self.send(0x4B)                   # heartbeat
            await self.conn.writer.drain()

    async def control(self, msg):
        cmd = msg[0]
        if cmd == 0x48:
            kind, value = msg[8], struct.unpack_from('<I', msg, 9)[0]
            if kind == 3:
                self.armed = bool(value & 1)
                self.device.state['ider_start_mode'] = {0x08: 'on_reboot', 0x10: 'graceful', 0x18: 'now'}.get(
                    value & 0x18, 'unknown')
                self.send(0x49, struct.pack('<BI', 3, 1))
            else:
                self.send(0x49, struct.pack('<BI', kind, 1 | (2 if self.armed else 0)))
            await self.conn.writer.drain()
        elif cmd == 0x42:
            self.send(0x43)
            await self.conn.writer.drain()
            self.device.state['ider_closed_cleanly'] = True
            return False
        return True

    # -- the simulated BIOS ---------------------------------------------------------------------
    async def scsi(self, dev, cdb, dma=False):
        """One ATAPI packet command: returns (ok, sense key, asc, data)."""
        cdb = bytes(cdb) + bytes(12 - len(cdb))
        body = bytes([0, 1 if dma else 0, 0, 0]) + struct.pack('<H', 0xFFFF) + bytes([dev, 0xA0]) + cdb
        self.send(0x50, body)
        await self.conn.writer.drain()
        data = b''
        while True:
            msg = await self.next(timeout=30)
            cmd = msg[0]
            if cmd == 0x54:
                data += msg[34:]
                if msg[3] & 2:
                    return True, 0, 0, data
            elif cmd == 0x51:
                status = msg[27]
                return status == 0x50, msg[28], msg[29], data
            elif cmd in (0x45, 0x47):
                continue
            elif cmd == 0x48:
                await self.control(msg)
            elif cmd == 0x42:
                await self.control(msg)
                raise Dropped('console closed the session during a command')

    async def read(self, dev, lba, count, block):
        """READ(10) in pieces of at most 32 blocks, like a boot loader."""
        out = b''
        while count > 0:
            n = min(count, 32)
            cdb = bytes([0x28, 0]) + struct.pack('>I', lba) + bytes([0]) + struct.pack('>H', n) + bytes(3)
            ok, sense, asc, data = await self.scsi(dev, cdb, dma=True)
            self.reads.append({'lba': lba, 'blocks': n, 'ok': ok})
            if not ok:
                raise BootFailed('READ(10) of LBA %d failed (sense %d/%02x)' % (lba, sense, asc))
            if len(data) != n * block:
                raise BootFailed('READ(10) of LBA %d returned %d bytes, expected %d' % (lba, len(data), n * block))
            out += data
            lba += n
            count -= n
        return out

    async def host_boot(self):
        state = self.device.state
        last = (state.get('boot') or {}).get('last_boot_redirection') or {}
        record = {'time': time.time(), 'ider': bool(last.get('ider')), 'device': None, 'result': None}
        self.reads = []
        # the platform reset is announced first; the console acknowledges it
        self.send(0x46, bytes([0]))
        await self.conn.writer.drain()
        while True:
            msg = await self.next(timeout=30)
            if msg[0] == 0x47:
                break
            if msg[0] == 0x42:
                await self.control(msg)
                raise Dropped('closed')
        if not last.get('ider'):
            record['result'] = 'not_requested'
            self.save(record)
            return
        cd = int(last.get('ider_device', 0)) == 1
        dev = 0xB0 if cd else 0xA0
        record['device'] = 'cdrom' if cd else 'floppy'
        out_dir = os.path.join(self.conn.fleet.state_dir, 'redirection', self.device.address)
        os.makedirs(os.path.join(out_dir, 'files'), exist_ok=True)
        try:
            for _attempt in range(3):
                ok, sense, asc, _d = await self.scsi(dev, [0x00])
                if ok:
                    break
            if not ok:
                raise BootFailed('drive not ready (sense %d/%02x)' % (sense, asc))
            ok, sense, asc, cap = await self.scsi(dev, [0x25])
            if not ok or len(cap) < 8:
                raise BootFailed('READ CAPACITY failed')
            last_lba, block = struct.unpack('>II', cap[:8])
            record['capacity'] = {'blocks': last_lba + 1, 'block': block}
            if block != (2048 if cd else 512):
                raise BootFailed('unexpected block size %d' % block)
            if cd:
                await self.boot_cd(dev, record, out_dir)
            else:
                await self.boot_floppy(dev, record, out_dir)
            record['result'] = 'booted'
        except BootFailed as exc:
            record['result'] = 'failed: %s' % exc
        record['reads'] = self.reads[:200]
        record['dump_dir'] = out_dir
        self.save(record)

    async def boot_cd(self, dev, record, out_dir):
        pvd = await self.read(dev, 16, 1, 2048)
        if pvd[0:6] != b'\x01CD001':
            raise BootFailed('no ISO9660 primary volume descriptor at LBA 16')
        record['volume_id'] = pvd[40:72].decode('ascii', 'replace').strip()
        root = pvd[156:190]
        root_lba, root_len = struct.unpack_from('<I', root, 2)[0], struct.unpack_from('<I', root, 10)[0]
        brvd = await self.read(dev, 17, 1, 2048)
        if brvd[0:7] != b'\x00CD001\x01' or not brvd[7:39].startswith(b'EL TORITO SPECIFICATION'):
            raise BootFailed('the CD is not bootable (no El Torito boot record at LBA 17)')
        catalog_lba = struct.unpack_from('<I', brvd, 0x47)[0]
        catalog = await self.read(dev, catalog_lba, 1, 2048)
        if catalog[0] != 1 or catalog[30:32] != b'\x55\xaa':
            raise BootFailed('invalid El Torito validation entry')
        if sum(struct.unpack('<16H', catalog[:32])) & 0xFFFF:
            raise BootFailed('El Torito validation entry checksum is wrong')
        entry = catalog[32:64]
        if entry[0] != 0x88:
            raise BootFailed('the default boot entry is not bootable')
        count, load_rba = struct.unpack_from('<H', entry, 6)[0], struct.unpack_from('<I', entry, 8)[0]
        size = count * 512
        image = (await self.read(dev, load_rba, (size + 2047) // 2048, 2048))[:size]
        with open(os.path.join(out_dir, 'boot-image.bin'), 'wb') as fh:
            fh.write(image)
        record['boot_image'] = {'lba': load_rba, 'size': size, 'sha256': hashlib.sha256(image).hexdigest()}
        # the boot loader reads its files from the root directory
        directory = await self.read(dev, root_lba, (root_len + 2047) // 2048, 2048)
        files = parse_iso_directory(directory)
        wanted = self.device.state.get('ider_read_files')
        names = [f for f in files if f['name'] in wanted] if wanted else [f for f in files if not f['dir']][:4]
        record['files'] = {}
        for f in names:
            data = (await self.read(dev, f['lba'], (f['size'] + 2047) // 2048, 2048))[:f['size']] if f['size'] else b''
            with open(os.path.join(out_dir, 'files', f['name']), 'wb') as fh:
                fh.write(data)
            record['files'][f['name']] = {'lba': f['lba'], 'size': f['size'],
                                          'sha256': hashlib.sha256(data).hexdigest()}

    async def boot_floppy(self, dev, record, out_dir):
        sector = await self.read(dev, 0, 1, 512)
        if sector[510:512] != b'\x55\xaa':
            raise BootFailed('no boot signature 55AA in sector 0')
        with open(os.path.join(out_dir, 'boot-sector.bin'), 'wb') as fh:
            fh.write(sector)
        record['boot_sector'] = {'sha256': hashlib.sha256(sector).hexdigest()}
        bps, spc, reserved, nfats, root_entries = struct.unpack_from('<HBHBH', sector, 11)
        spf = struct.unpack_from('<H', sector, 22)[0]
        record['files'] = {}
        if bps != 512 or not spc or not nfats or not spf or not root_entries:
            return      # not FAT12/16: only the boot sector was needed
        fat = await self.read(dev, reserved, spf, 512)
        root_lba = reserved + nfats * spf
        root_sectors = (root_entries * 32 + 511) // 512
        root = await self.read(dev, root_lba, root_sectors, 512)
        data_lba = root_lba + root_sectors
        fat16 = sector[54:59] == b'FAT16'
        for i in range(root_entries):
            e = root[i * 32:(i + 1) * 32]
            if e[0] in (0, 0xE5) or e[11] & 0x18:
                if e[0] == 0:
                    break
                continue
            name = e[0:8].decode('ascii', 'replace').strip()
            ext = e[8:11].decode('ascii', 'replace').strip()
            full = name + ('.' + ext if ext else '')
            cluster, size = struct.unpack_from('<H', e, 26)[0], struct.unpack_from('<I', e, 28)[0]
            data = b''
            while 2 <= cluster < (0xFFF8 if fat16 else 0xFF8) and len(data) < size:
                data += await self.read(dev, data_lba + (cluster - 2) * spc, spc, 512)
                if fat16:
                    cluster = struct.unpack_from('<H', fat, cluster * 2)[0]
                else:
                    pair = struct.unpack_from('<H', fat, cluster * 3 // 2)[0]
                    cluster = pair >> 4 if cluster & 1 else pair & 0xFFF
            data = data[:size]
            with open(os.path.join(out_dir, 'files', full), 'wb') as fh:
                fh.write(data)
            record['files'][full] = {'size': size, 'sha256': hashlib.sha256(data).hexdigest()}
            if len(record['files']) >= 4:
                break

    def save(self, record):
        boots = self.device.state.setdefault('ider_boots', [])
        boots.append(record)
        del boots[:-5]
        self.device.save()


class BootFailed(Exception):
    pass


def parse_iso_directory(data):
    out = []
    pos = 0
    while pos < len(data):
        length = data[pos]
        if length == 0:
            pos = (pos // 2048 + 1) * 2048      # records do not cross sector boundaries
            continue
        rec = data[pos:pos + length]
        name_len = rec[32]
        ident = rec[33:33 + name_len]
        if ident not in (b'\x00', b'\x01'):
            name = ident.decode('ascii', 'replace').split(';')[0].rstrip('.')
            out.append({'name': name, 'lba': struct.unpack_from('<I', rec, 2)[0],
                        'size': struct.unpack_from('<I', rec, 10)[0], 'dir': bool(rec[25] & 2)})
        pos += length
    return out


BIOS_LOG = [
    'Intel(R) Active Management Technology - SOL console',
    '{vendor} BIOS {bios}',
    'CPU: {cpu}',
    'Memory test: {memory} MB OK',
    'Press <F2> to enter SETUP, <F12> for the boot menu',
]
OS_LOG = [
    '{boot_from}',
    'ISOLINUX 6.04  Copyright (C) 1994-2015 H. Peter Anvin et al',
    'boot: linux console=ttyS1,115200n8',
    'Loading vmlinuz... ok',
    'Loading initrd.img... ok',
    '[    0.000000] Linux version 6.1.0-amd64 (debian-kernel@lists.debian.org)',
    '[    0.000000] Command line: BOOT_IMAGE=vmlinuz console=ttyS1,115200n8',
    '[    0.412345] Serial: 8250/16550 driver, 4 ports, IRQ sharing enabled',
    '[    0.512345] 00:05: ttyS1 at I/O 0xf0e0 (irq = 19, base_baud = 115200) is a 16550A',
    '[    2.034567] EXT4-fs (sda2): mounted filesystem with ordered data mode',
    '[    3.101010] systemd[1]: Started Serial Getty on ttyS1.',
    '',
    'Debian GNU/Linux 12 {hostname} ttyS1',
    '',
    '{hostname} login: ',
]


class SolDevice:
    """The firmware side of a SOL session: a boot log on host boots, key capture."""

    def __init__(self, conn):
        self.conn = conn
        self.device = conn.device
        self.seq = 0
        self.in_setup = False
        self.bios_prompt = False

    def send_text(self, text):
        data = text.encode('utf-8') if isinstance(text, str) else text
        for pos in range(0, len(data), 512):
            piece = data[pos:pos + 512]
            self.conn.write(struct.pack('<BBBBIH', 0x2A, 0, 0, 0, self.seq, len(piece)) + piece)
            self.seq += 1

    async def console_messages(self, queue):
        try:
            while True:
                head = await self.conn.read(8)
                cmd = head[0]
                if cmd == 0x28:
                    n = struct.unpack('<H', await self.conn.read(2))[0]
                    await queue.put(('keys', await self.conn.read(n)))
                elif cmd in (0x2B, 0x25, 0x24):
                    await queue.put(('ping', cmd))
                elif cmd == 0x22:
                    await queue.put(('end', None))
                    return
                elif cmd == 0x12:
                    await queue.put(('gone', None))
                    return
                elif cmd == 0x20:
                    await self.conn.read(16)
                    await queue.put(('start', None))
                else:
                    await queue.put(('bad', cmd))
                    return
        except (asyncio.IncompleteReadError, ConnectionError, OSError, Dropped) as exc:
            await queue.put(('gone', exc))

    async def run(self):
        queue = asyncio.Queue()
        reader = asyncio.ensure_future(self.console_messages(queue))
        self.device.sol_connection = self
        try:
            kind, _value = await asyncio.wait_for(queue.get(), 30)
            if kind != 'start':
                return
            self.conn.write(bytes([0x21, 0, 0, 0]) + struct.pack('<I', self.seq) + struct.pack('<HHHHHHHB', 10000,
                            100, 0, 10000, 100, 0, 0, 0))
            self.seq += 1
            if self.device.state['power_state'] == 2:
                self.send_text('\r\n%s login: ' % self.device.state['hostname'])
            await self.conn.writer.drain()
            booting = None
            while True:
                getter = asyncio.ensure_future(queue.get())
                boot = asyncio.ensure_future(self.conn.boot_event.wait())
                done, _pending = await asyncio.wait({getter, boot}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                if boot in done:
                    self.conn.boot_event.clear()
                    if booting is not None:
                        booting.cancel()
                    booting = asyncio.ensure_future(self.boot_log())
                else:
                    boot.cancel()
                if getter in done:
                    kind, value = getter.result()
                    if kind == 'keys':
                        await self.keys(value)
                    elif kind == 'ping' and value == 0x24:
                        self.conn.write(struct.pack('<BBBBI', 0x25, 0, 0, 0, self.seq))
                        self.seq += 1
                    elif kind == 'end':
                        self.conn.write(struct.pack('<BBBBI', 0x23, 0, 0, 0, self.seq))
                        await self.conn.writer.drain()
                        self.device.state['sol_closed_cleanly'] = True
                        return
                    elif kind in ('gone', 'bad'):
                        return
                else:
                    getter.cancel()
                await self.conn.writer.drain()
        finally:
            reader.cancel()
            self.device.sol_connection = None

    async def keys(self, data):
        state = self.device.state
        log = state.setdefault('sol_keys', [])
        log.append(data.hex())
        del log[:-50]
        if self.bios_prompt and b'\x1bOQ' in data:
            self.in_setup = True
            self.send_text('\r\nEntering SETUP...\r\n')
            state['sol_entered_setup'] = True
            return
        printable = bytes(c for c in data if 32 <= c < 127 or c in (13, 10))
        if printable:
            self.send_text(printable.replace(b'\r', b'\r\n'))

    async def boot_log(self):
        state = self.device.state
        hw = state.get('hardware', {})
        last = (state.get('boot') or {}).get('last_boot_redirection') or {}
        bios = hw.get('bios', {})
        values = {'vendor': bios.get('Manufacturer', 'Intel'), 'bios': bios.get('Version', ''),
                  'cpu': (hw.get('processors') or [{}])[0].get('Brand', ''), 'hostname': state['hostname'],
                  'memory': sum(m.get('Capacity', 0) for m in hw.get('memory', [])) // (1 << 20)}
        storage = 'USB-R' if int(state['amt_version'].split('.')[0]) >= 11 else 'IDE-R'
        if last.get('ider'):
            values['boot_from'] = 'Booting from AMT %s %s...' % (
                storage, 'CD-ROM' if int(last.get('ider_device', 0)) == 1 else 'floppy/USB')
        else:
            values['boot_from'] = 'Booting from Hard Disk...'
        lines = []
        if last.get('sol') or state.get('sol_bios_console'):
            lines += BIOS_LOG
        if state.get('sol_os_console', True):
            lines += OS_LOG
        self.in_setup = False
        try:
            for i, line in enumerate(lines):
                if self.in_setup:
                    return
                self.bios_prompt = line.startswith('Press <F2>')
                text = line.format(**values)
                self.send_text(text + ('\r\n' if i < len(lines) - 1 else ''))
                await self.conn.writer.drain()
                await asyncio.sleep(0.5 if self.bios_prompt else 0.02)
            self.bios_prompt = False
            state['sol_boot_logs'] = state.get('sol_boot_logs', 0) + 1
        except (ConnectionError, OSError, Dropped):
            pass


@registry.on('host_boot')
def _host_boot(device, **kw):
    """Tell open redirection sessions that the host rebooted (runs inside the simulator's event loop)."""
    for conn in (getattr(device, 'redir_sessions', None) or {}).values():
        if conn is not None:
            conn.boot_event.set()


class RedirectionListeners:
    """Binds 16994/16995 for each device (see tests/simulator/server.py Fleet.start)."""

    def __init__(self, fleet):
        self.fleet = fleet

    async def listen(self, addr, device, tls, port):
        device.redir_sessions = getattr(device, 'redir_sessions', None) or {'sol': None, 'ider': None}
        device.state['redirection_session'] = False      # no session survives a simulator restart

        async def handler(reader, writer):
            await self.connection(reader, writer, device, tls)
        return await asyncio.start_server(handler, addr, port, backlog=16, reuse_address=True)

    async def connection(self, reader, writer, device, tls):
        state = device.state
        if state.get('redirection_listener', True) is False or getattr(device, 'reboot_until', 0) > time.monotonic() \
                or (not tls and firmware.remote_plain_refused(device)):     # 16994 closed to the network on 16.1+
            self.fleet._reset(writer)
            return
        try:
            if tls:
                if device.ssl_context is None:
                    device.ssl_context = self.fleet.ca.server_context(device.address, state.get('hostname'))
                await writer.start_tls(device.ssl_context)
            conn = Connection(self.fleet, device, reader, writer, tls)
            await conn.run()
            await writer.drain()
        except Dropped:
            self.fleet._reset(writer)
            return
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception:  # a bug here must not kill the fleet
            import traceback
            traceback.print_exc()
        finally:
            try:
                device.save()
            except Exception:
                pass
        try:
            writer.close()
        except Exception:
            pass


def enabled(args, count):
    mode = getattr(args, 'redirection', 'auto')
    if mode == 'auto':
        return count <= 256
    return mode == 'on'

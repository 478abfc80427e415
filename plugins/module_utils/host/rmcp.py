# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ASF/RMCP presence ping (UDP 623) for discovery.

Facts relied on (DMTF DSP0136 ASF 2.0 sections 3.2.2-3.2.4, cross-checked with ipmitool, freeipmi and
gopacket; Intel AMT SDK "Use RMCP Ping to Determine the Platform State"):

* RMCP header, 4 bytes: version 0x06 (RMCP 1.0), reserved 0x00, sequence number (0xFF = do not
  acknowledge), class of message (0x06 = ASF; bit 7 set marks an RMCP ACK, which is not a pong).
* ASF message header, 8 bytes: IANA enterprise number 4542 (0x000011BE, ASF) big-endian, message type,
  message tag (echoed in the answer; 0x00-0xFE, 0xFF is not used for requests), reserved 0x00, data
  length. Presence Ping = type 0x80, data length 0 (12 bytes in all).
* Presence Pong = type 0x40, data length 0x10: IANA enterprise number of the OEM that defines the
  OEM-defined field (4542 when there is none), 4 OEM-defined bytes, supported entities (bit 7 IPMI,
  bits 3:0 = 0x1 ASF version 1.0), supported interactions (bit 7 RMCP security extensions (ASF 2.0),
  bit 5 DMTF DASH per DSP0232), 6 reserved bytes.
* Intel AMT (4.0 and later, when the ping response is enabled) answers on UDP 623 with the Intel IANA
  number 343 in the pong and, from 6.0 on, puts facts in the OEM field (pong data bytes, 1-based):
  bytes 5-6 the open web-services port (16992 plain, 16993 TLS, 0 = not set up yet, 6.1 and later),
  byte 7 the version (major in bits 7:4, minor in bits 3:0; 0 when it does not fit, then bytes 11 and
  12 hold major and minor), byte 8 the provisioning state (0 pre, 1 in, 2 post); DASH support is bit 5
  of the supported interactions (5.1 and later). Secure RMCP is UDP 664 (not used here).
  The byte order of the port is not stated; it is read big-endian (network order, like every other
  ASF field) and little-endian only if that is the one that gives 0, 16992 or 16993.

A pong proves only that some management controller (AMT, a server BMC, a DASH NIC) answered; it never
makes a host on its own. Only IPv4 is pinged (one AF_INET socket).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import ipaddress
import select
import socket
import struct
import time

RMCP_PORT = 623
ASF_IANA = 4542
INTEL_IANA = 343
RMCP_VERSION = 0x06
RMCP_SEQ_NO_ACK = 0xFF
RMCP_CLASS_ASF = 0x06
ASF_PRESENCE_PING = 0x80
ASF_PRESENCE_PONG = 0x40
PONG_DATA_LENGTH = 0x10
PING_LENGTH = 12
PONG_LENGTH = 12 + PONG_DATA_LENGTH

_HEADER = struct.Struct('!BBBBIBBBB')     # RMCP header + ASF message header
_PONG_DATA = struct.Struct('!I4sBB6s')
_PROVISIONING = {0: 'pre', 1: 'in', 2: 'post'}
_AMT_PORTS = (0, 16992, 16993)


class RmcpError(ValueError):
    pass


def build_ping(tag):
    """The 12-byte Presence Ping with message tag `tag` (0-254)."""
    tag = int(tag)
    if not 0 <= tag <= 0xFE:
        raise RmcpError('message tag must be between 0 and 254')
    return _HEADER.pack(RMCP_VERSION, 0, RMCP_SEQ_NO_ACK, RMCP_CLASS_ASF, ASF_IANA, ASF_PRESENCE_PING, tag, 0, 0)


def _intel_fields(oem, reserved):
    port_be, version_byte, state = struct.unpack('!HBB', oem)
    port_le = struct.unpack('<H', oem[:2])[0]
    port = port_be if port_be in _AMT_PORTS or port_le not in _AMT_PORTS else port_le
    out = {'amt_port': port if port in _AMT_PORTS else None, 'amt_port_raw': port_be,
           'amt_provisioning_state': _PROVISIONING.get(state)}
    if version_byte:
        out['amt_version'] = '%d.%d' % (version_byte >> 4, version_byte & 0x0F)
    elif reserved[0]:
        out['amt_version'] = '%d.%d' % (reserved[0], reserved[1])
    else:
        out['amt_version'] = None
    return out


def parse_pong(data, expect_tag=None):
    """Parse a Presence Pong strictly; a dict of its fields, or None for anything else.

    Never raises on input: any length, any bytes. Reserved and sequence fields are not checked (RMCP
    receivers ignore them); version, class, ASF IANA, type, data length and total length are.
    """
    if not isinstance(data, (bytes, bytearray)) or len(data) != PONG_LENGTH:
        return None
    data = bytes(data)
    version, _res, _seq, klass, asf_iana, mtype, tag, _res2, length = _HEADER.unpack(data[:12])
    if version != RMCP_VERSION or klass != RMCP_CLASS_ASF or asf_iana != ASF_IANA or mtype != ASF_PRESENCE_PONG:
        return None
    if length != PONG_DATA_LENGTH or (expect_tag is not None and tag != expect_tag):
        return None
    iana, oem, entities, interactions, reserved = _PONG_DATA.unpack(data[12:])
    asf = entities & 0x0F
    result = {
        'tag': tag,
        'iana': iana,
        'oem': oem.hex(),
        'ipmi': bool(entities & 0x80),
        'asf_version': '1.0' if asf == 0x01 else None,
        'supported_entities': entities,
        'supported_interactions': interactions,
        'security_extensions': bool(interactions & 0x80),
        'dash': bool(interactions & 0x20),
    }
    if iana == INTEL_IANA:
        result.update(_intel_fields(oem, reserved))
    return result


def _ipv4(address):
    """IPv4 literal for an address or host name, or None (IPv6, unresolvable)."""
    try:
        ip = ipaddress.ip_address(str(address))
        return str(ip) if ip.version == 4 else None
    except ValueError:
        pass
    try:
        return socket.gethostbyname(str(address))
    except (OSError, UnicodeError):
        return None


def presence_ping(addresses, timeout=1.0, concurrency=128, port=RMCP_PORT, stats=None):
    """Ping every address over one UDP socket; {address: parsed pong} for those that answered.

    At most `concurrency` pings are unanswered at once; each waits at most `timeout` seconds. A pong
    counts only when it comes from the pinged address and port and carries the tag sent to it.
    `addresses` may be any iterable (it is consumed lazily); host names are resolved to IPv4.
    """
    timeout = float(timeout)
    limit = max(1, int(concurrency))
    stats = stats if stats is not None else {}
    stats.update({'pinged': 0, 'answered': 0, 'ignored': 0, 'peak_in_flight': 0})
    results = {}
    by_ip = {}           # ip -> pong, for names that resolve to an address that already answered
    inflight = {}        # ip -> [[names], tag, deadline]
    pending = iter(addresses)
    deferred = []
    exhausted = False
    counter = 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        while True:
            blocked = False
            while len(inflight) < limit and not blocked:
                if deferred:
                    name, ip = deferred.pop()
                else:
                    try:
                        name = next(pending)
                    except StopIteration:
                        exhausted = True
                        break
                    ip = _ipv4(name)
                    if ip is None:
                        continue
                    if ip in by_ip:
                        results[name] = by_ip[ip]
                        continue
                    if ip in inflight:
                        inflight[ip][0].append(name)
                        continue
                tag = counter % 0xFF
                try:
                    sock.sendto(build_ping(tag), (ip, int(port)))
                except (BlockingIOError, InterruptedError):
                    deferred.append((name, ip))
                    blocked = True
                    continue
                except OSError:
                    continue        # unreachable network, broadcast refused, ...: no answer possible
                counter += 1
                stats['pinged'] += 1
                inflight[ip] = [[name], tag, time.monotonic() + timeout]
                stats['peak_in_flight'] = max(stats['peak_in_flight'], len(inflight))
            if not inflight and exhausted and not deferred:
                break
            now = time.monotonic()
            wait = min([entry[2] for entry in inflight.values()] or [now + 0.05]) - now
            readable, _w, _x = select.select([sock], [sock] if blocked else [], [], max(0.0, wait))
            if readable:
                _drain(sock, inflight, results, by_ip, int(port), stats)
            now = time.monotonic()
            for ip in [ip for ip, entry in inflight.items() if entry[2] <= now]:
                del inflight[ip]
    finally:
        sock.close()
    stats['answered'] = len(by_ip)
    return results


def _drain(sock, inflight, results, by_ip, port, stats):
    for _dummy in range(1024):      # bounded, so a flood cannot hold the loop past the deadlines
        try:
            data, source = sock.recvfrom(512)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
                continue    # an ICMP error reported on the socket: that address simply does not answer
            return
        entry = inflight.get(source[0])
        pong = parse_pong(data, expect_tag=entry[1]) if entry is not None and source[1] == port else None
        if pong is None:
            stats['ignored'] += 1
            continue
        del inflight[source[0]]
        by_ip[source[0]] = pong
        for name in entry[0]:
            results[name] = pong

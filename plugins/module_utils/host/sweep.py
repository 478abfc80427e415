# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fast TCP connect pass that narrows a wide range before the (TLS) discovery probes.

One thread, non-blocking sockets and a selector: a closed address costs a socket and a refused connect
(no thread, no TLS, no HTTP client), so a /16 of mostly empty addresses is swept in seconds with a few
hundred connects in flight, and memory stays flat (addresses are consumed lazily; only the ones in
flight are held). Every address ends as exactly one of:

  open    some port accepted the connection: the caller probes it (WS-Man Identify over TLS)
  closed  every port refused (or the network said unreachable): nothing listens, no probe
  silent  no answer to the connect within `timeout`, and again within `timeout * retry_factor`

The connection that was accepted is closed at once (a handshake is the probe's job). A host name (not
an IP address) is passed through as open: resolving it here would block the sweep.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import heapq
import select
import socket
import time

# a reset or abort after the handshake: something accepted the connection and dropped it (an AMT at its
# connection limit, CSME 19 refusing plain HTTP): the address answers, as an open port does
ANSWERED_ERRNOS = frozenset(e for e in (getattr(errno, n, None) for n in (
    'ECONNRESET', 'ECONNABORTED', 'EPIPE')) if e is not None)
IN_PROGRESS = frozenset(e for e in (getattr(errno, n, None) for n in (
    'EINPROGRESS', 'EWOULDBLOCK', 'EAGAIN', 'EALREADY')) if e is not None)
# a socket created non-blocking (one system call less per connect where the platform has the flag)
NONBLOCK_FLAG = getattr(socket, 'SOCK_NONBLOCK', 0)
SOCK_STREAM_NONBLOCK = socket.SOCK_STREAM | NONBLOCK_FLAG


def _descriptor_budget():
    """A quarter of the process' open-file limit: the sweep never runs the process out of descriptors."""
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):
        return 256
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 4096
    return max(8, soft // 4)


class _Pending(object):
    __slots__ = ('address', 'family', 'socks', 'deadline', 'attempt', 'refused', 'done')

    def __init__(self, address, family, attempt):
        self.address = address
        self.family = family
        self.socks = {}         # fd -> socket
        self.deadline = 0.0
        self.attempt = attempt
        self.refused = 0
        self.done = False


def _family(address):
    """AF_INET / AF_INET6 for an IP address literal, None for a host name (no parsing beyond that)."""
    if ':' in address:
        return socket.AF_INET6
    if address.count('.') == 3 and address.replace('.', '').isdigit() and '..' not in address \
            and address[0] != '.' and address[-1] != '.':
        return socket.AF_INET
    return None


def _connected_now(sock):
    """Whether a non-blocking connect has already completed (getpeername answers only once connected)."""
    try:
        sock.getpeername()
        return True
    except OSError:
        return False


def connect_sweep(addresses, ports, timeout=1.0, in_flight=512, retry_factor=2.0, stats=None):
    """Yield (address, status, reason) for every address, status 'open', 'closed' or 'silent' (see above).

    At most `in_flight` sockets are open at once (each address in flight holds one per port).
    """
    ports = [int(p) for p in ports]
    limit = max(len(ports), min(int(in_flight), _descriptor_budget()))
    stats = stats if stats is not None else {}
    stats.update({'swept': 0, 'open': 0, 'closed': 0, 'silent': 0, 'peak_sockets': 0})
    poller = select.epoll() if hasattr(select, 'epoll') else select.poll()
    out_flags = select.EPOLLOUT if hasattr(select, 'epoll') else select.POLLOUT
    pending = iter(addresses)
    retry = []
    by_fd = {}           # fd -> entry
    deadlines = []       # heap of (deadline, sequence, entry); finished entries are skipped when popped
    sequence = [0]
    active = [0]
    open_socks = [0]
    exhausted = False

    def close(entry):
        for fd, sock in entry.socks.items():
            poller.unregister(fd)
            by_fd.pop(fd, None)
            sock.close()
            open_socks[0] -= 1
        entry.socks.clear()

    def finish(entry, status, reason=None):
        close(entry)
        if not entry.done and entry.deadline:
            active[0] -= 1
        entry.done = True
        stats['swept'] += 1
        stats[status] += 1
        return entry.address, status, reason

    def start(entry):
        """Open one connect per port; returns a finished tuple when every port refused at once, else None."""
        wait = timeout * (retry_factor if entry.attempt > 1 else 1.0)
        entry.deadline = time.monotonic() + wait
        entry.refused = 0
        entry.done = False
        for port in ports:
            sock = socket.socket(entry.family, SOCK_STREAM_NONBLOCK)
            if not NONBLOCK_FLAG:
                sock.setblocking(False)
            code = sock.connect_ex((entry.address, port))
            if code in IN_PROGRESS:
                # a verdict that is already known (loopback, a local firewall, an on-link RST that arrived during
                # the call) is read now: no poller registration, wait and unregistration for it. Connected at
                # once: the address is open and the later ports are not connected at all (a device is not
                # handed a second connection that would only be closed: one TLS accept less per device)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) or code
                if code in IN_PROGRESS and _connected_now(sock):
                    code = 0
            if code == 0 or code in ANSWERED_ERRNOS:
                sock.close()
                entry.deadline = 0.0
                return finish(entry, 'open')
            if code in IN_PROGRESS:
                fd = sock.fileno()
                entry.socks[fd] = sock
                by_fd[fd] = entry
                poller.register(fd, out_flags)
                open_socks[0] += 1
                continue
            sock.close()
            entry.refused += 1
        stats['peak_sockets'] = max(stats['peak_sockets'], open_socks[0])
        if entry.refused == len(ports):
            entry.deadline = 0.0
            return finish(entry, 'closed')
        active[0] += 1
        sequence[0] += 1
        heapq.heappush(deadlines, (entry.deadline, sequence[0], entry))
        return None

    try:
        while True:
            # fill the window
            while open_socks[0] + len(ports) <= limit:
                if retry:
                    entry = retry.pop()
                elif not exhausted:
                    try:
                        address = str(next(pending))
                    except StopIteration:
                        exhausted = True
                        continue
                    family = _family(address)
                    if family is None:
                        stats['swept'] += 1
                        stats['open'] += 1
                        yield address, 'open', None       # a name: the probe resolves it
                        continue
                    entry = _Pending(address, family, 1)
                else:
                    break
                done = start(entry)
                if done:
                    yield done
            if not active[0]:
                if exhausted and not retry:
                    return
                continue
            while deadlines and (deadlines[0][2].done or deadlines[0][0] != deadlines[0][2].deadline):
                heapq.heappop(deadlines)     # finished, or an earlier attempt's deadline
            wait = max(0.0, deadlines[0][0] - time.monotonic()) if deadlines else 0.0
            events = poller.poll(wait) if hasattr(select, 'epoll') else poller.poll(wait * 1000.0)
            for fd, _mask in events:
                entry = by_fd.get(fd)
                if entry is None or entry.done:
                    continue
                sock = entry.socks.pop(fd)
                poller.unregister(fd)
                del by_fd[fd]
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sock.close()
                open_socks[0] -= 1
                if code == 0 or code in ANSWERED_ERRNOS:
                    yield finish(entry, 'open')
                    continue
                entry.refused += 1
                if entry.refused == len(ports):
                    yield finish(entry, 'closed')
            now = time.monotonic()
            while deadlines and (deadlines[0][2].done or deadlines[0][0] <= now):
                deadline, _seq, entry = heapq.heappop(deadlines)
                if entry.done or deadline != entry.deadline:
                    continue
                if entry.attempt == 1 and retry_factor:
                    close(entry)
                    entry.done = True
                    active[0] -= 1
                    entry.attempt = 2
                    retry.append(entry)
                    continue
                yield finish(entry, 'silent', 'no answer to a TCP connect on port %s within %gs (and %gs before)'
                             % ('/'.join(str(p) for p in ports), timeout * retry_factor, timeout))
    finally:
        for entry in list(by_fd.values()):
            close(entry)
        if hasattr(poller, 'close'):
            poller.close()


__all__ = ['connect_sweep']

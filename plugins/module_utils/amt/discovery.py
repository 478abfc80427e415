# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding AMT devices: bounded, concurrent probes of address ranges.

Each worker holds at most one socket, so the scan never has more than `concurrency` sockets open.
A closed address costs a refused TCP connect and no HTTP; an AMT device costs one unauthenticated
HTTP exchange (a WS-Man Identify); optional authenticated enrichment adds a few reads per device.
Addresses are generated lazily, so memory stays flat even for a /16.

With `rmcp_ping`, an ASF presence ping (UDP 623, see rmcp.py) goes to the whole range first, over one
socket with the same bound on pings in flight; its answers are evidence attached to the devices that
HTTP identifies as AMT (`amt_rmcp`), never hosts of their own: addresses that answer only the ping
are reported in `stats['rmcp_only']`.

With `connect_pass` (default), a TCP connect sweep (host/sweep.py: one thread, non-blocking sockets) runs
ahead of the probes and hands them only the addresses where a port accepted: a closed address costs a
refused connect instead of a client and a thread's turn, which makes a /16 a matter of seconds. An address
that does not answer the connect is tried once more with the longer timeout before it is unreachable.

A probe that connected but whose answer came late (a device or a controller under load) is not retried in
the scan: after the scan's threads have joined, a short second pass (a quarter of `concurrency`, at least
RETRY_WORKERS threads) probes
those addresses once more with twice the timeout. A probe whose connect timed out (a black hole) is
unreachable at once and costs nothing more. Enrichment (authenticated reads, heavier than an Identify) has
its own timeout, max(timeout, ENRICH_MIN_TIMEOUT), so a tight scan timeout does not cost devices their facts,
and runs after both probe passes (up to `concurrency` threads), so no probe waits behind it.

No address is lost silently: every probe ends as found, empty (nothing listens, or not AMT), unreachable
(no connection, or no answer twice: once with `timeout`, once with twice that) or failed (anything else, with
the cause).
`stats` carries the counts and the failed/unreachable addresses with their reasons. Credentials travel over
TLS only unless `allow_plaintext` is set.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import ipaddress
import itertools
import math
import socket
import struct
import threading

try:
    import queue
except ImportError:     # pragma: no cover - Python 2
    import Queue as queue

from ansible_collections.oob.amt.plugins.module_utils.amt.constants import (
    CONTROL_MODES, PROVISIONING_STATES, power_state_name)
from ansible_collections.oob.amt.plugins.module_utils.host.rmcp import RMCP_PORT, presence_ping
from ansible_collections.oob.amt.plugins.module_utils.host.sweep import connect_sweep
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanAuthError, WsmanConnectionError, WsmanError, WsmanHTTPError, WsmanTimeoutError, WsmanTLSError)

MAX_CONCURRENCY = 1024
MAX_TIMEOUT = 300.0
RETRY_FACTOR = 2.0       # a probe that timed out is tried once more with this many times the timeout
SWEEP_THREADS = 2        # connect sweeps in parallel (host/sweep.py)
RETRY_WORKERS = 4        # at least this many threads in the second pass that retries the late probes
ENRICH_MIN_TIMEOUT = 5.0  # enrichment's timeout is max(timeout, this): the scan's tight timeout is for the probe


class DiscoveryError(ValueError):
    pass


class _Shared(object):
    """One address iterator shared by the sweeps: each sweep takes BATCH addresses at a time under the discovery
    lock (one lock round per batch, not per address; memory stays flat: a batch per sweep)."""

    BATCH = 64

    def __init__(self, iterator, lock):
        self._iterator = iterator
        self._lock = lock

    def _take(self):
        with self._lock:
            return list(itertools.islice(self._iterator, self.BATCH))

    def stream(self):
        """An iterator for one sweep (ends at the first empty batch)."""
        return itertools.chain.from_iterable(iter(self._take, []))


# Range ends are integers; an IPv6 address carries this bit above its 128 bits, so '::1' (1) and '0.0.0.1' (1)
# never meet and the address text comes back in its own family.
IPV6_TAG = 1 << 128


def address_number(address):
    """'10.0.0.1' -> its integer; an IPv6 address -> its integer with IPV6_TAG set (raises ValueError)."""
    parsed = ipaddress.ip_address(address) if not isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)) \
        else address
    return int(parsed) | (IPV6_TAG if parsed.version == 6 else 0)


def address_text(number):
    """The inverse of address_number."""
    if number & IPV6_TAG:
        return str(ipaddress.IPv6Address(number & ~IPV6_TAG))
    return socket.inet_ntoa(struct.pack('!I', number))


def parse_target(text):
    """'10.0.0.0/24', '10.0.0.5-10.0.0.40', '10.0.0.5-40' or a single address/host name -> (first, last) or name."""
    text = str(text).strip()
    if not text:
        raise DiscoveryError('empty range')
    try:
        if '/' in text:
            net = ipaddress.ip_network(text, strict=False)
            if net.num_addresses > 2 ** 20:
                raise DiscoveryError('range %s is larger than a /12; split it' % text)
            hosts = (net.network_address, net.broadcast_address) if net.num_addresses <= 2 else \
                (net.network_address + 1, net.broadcast_address - 1)
            return address_number(hosts[0]), address_number(hosts[1])
        if '-' in text:
            first, last = text.split('-', 1)
            start = ipaddress.ip_address(first.strip())
            if '.' in last or ':' in last:
                end = ipaddress.ip_address(last.strip())
            else:
                end = ipaddress.ip_address('.'.join(first.strip().split('.')[:3] + [last.strip()]))
            if start.version != end.version:
                raise DiscoveryError('range %s mixes IPv4 and IPv6' % text)
            if int(end) < int(start):
                raise DiscoveryError('range %s ends before it starts' % text)
            if int(end) - int(start) > 2 ** 20:
                raise DiscoveryError('range %s is larger than a /12; split it' % text)
            return address_number(start), address_number(end)
        return address_number(text), address_number(text)
    except ValueError as exc:
        if isinstance(exc, DiscoveryError):
            raise
        raise DiscoveryError('invalid range %r: use a CIDR (10.0.0.0/24), a range (10.0.0.5-10.0.0.40) or an '
                             'address' % text)


def parse_ranges(ranges):
    """Every range spec parsed once: a list of (first, last) integer pairs (raises DiscoveryError)."""
    return [spec if isinstance(spec, tuple) else parse_target(spec) for spec in ranges or []]


def iter_addresses(ranges, hosts=()):
    """Lazily yield every address of the ranges (specs or parsed pairs), then the host names; each once."""
    seen_ranges = []
    for first, last in parse_ranges(ranges):
        # only the earlier ranges that overlap this one are checked per address; IPv4 text is made with
        # inet_ntoa (a tenth of ipaddress' cost: a /16 is 65,536 of them)
        overlaps = [(a, b) for a, b in seen_ranges if a <= last and first <= b]
        for value in range(first, last + 1):
            if overlaps and any(a <= value <= b for a, b in overlaps):
                continue
            yield address_text(value)
        seen_ranges.append((first, last))
    for name in hosts or []:
        yield str(name)


def count_addresses(ranges, hosts=()):
    total = 0
    for first, last in parse_ranges(ranges):
        total += last - first + 1
    return total + len(hosts or [])


def _in_range(address, spec):
    try:
        first, last = spec if isinstance(spec, tuple) else parse_target(spec)
        return first <= address_number(address) <= last
    except (ValueError, DiscoveryError):
        return address == spec


def credentials_for(address, credentials, default_user, default_password):
    for cred in credentials or []:
        if any(_in_range(address, spec) for spec in cred.get('ranges', [])):
            return cred.get('username') or default_user or 'admin', cred.get('password')
    return default_user or 'admin', default_password


class DiscoverySettings(object):
    """What discover() needs besides the addresses, validated once (DiscoveryError names the bad option)."""

    def __init__(self, ports=(16993, 16992), concurrency=128, timeout=2.0, username=None, password=None,
                 credentials=None, enrich=True, validate_certs=True, ca_path=None, cert_fingerprints=None,
                 rmcp_ping=False, rmcp_port=RMCP_PORT, allow_plaintext=False, retry_timeouts=True,
                 connect_pass=True):
        self.ports = [_port(p, 'ports') for p in (ports or [])]
        if not self.ports:
            raise DiscoveryError('option ports must list at least one port')
        self.concurrency = _bounded_int(concurrency, 'concurrency', 1, MAX_CONCURRENCY)
        self.timeout = _bounded_float(timeout, 'timeout', 0.0, MAX_TIMEOUT)
        self.username = username or 'admin'
        self.password = password
        self.credentials = []
        for i, cred in enumerate(credentials or []):
            if not isinstance(cred, dict) or not cred.get('ranges'):
                raise DiscoveryError('option credentials[%d]: each entry needs ranges (and username/password)' % i)
            entry = dict(cred)
            try:
                entry['ranges'] = parse_ranges(cred['ranges'])
            except DiscoveryError as exc:
                raise DiscoveryError('option credentials[%d].ranges: %s' % (i, exc))
            self.credentials.append(entry)
        self.enrich = bool(enrich)
        self.validate_certs = bool(validate_certs)
        self.ca_path = ca_path
        self.cert_fingerprints = dict(cert_fingerprints or {})
        self.rmcp_ping = bool(rmcp_ping)
        self.rmcp_port = _port(rmcp_port, 'rmcp_port')
        self.allow_plaintext = bool(allow_plaintext)
        self.retry_timeouts = bool(retry_timeouts)
        self.connect_pass = bool(connect_pass)

    def enrich_options(self):
        return {'validate_certs': self.validate_certs, 'ca_path': self.ca_path,
                'timeout': max(self.timeout, ENRICH_MIN_TIMEOUT), 'cert_fingerprints': self.cert_fingerprints}


def _port(value, name):
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise DiscoveryError('option %s: %r is not a port number' % (name, value))
    if isinstance(value, float) and value != port or not 1 <= port <= 65535:
        raise DiscoveryError('option %s: %r is not a port between 1 and 65535' % (name, value))
    return port


def _bounded_float(value, name, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DiscoveryError('option %s must be a number of seconds, got %r' % (name, value))
    if math.isnan(number) or math.isinf(number) or not low < number <= high:
        raise DiscoveryError('option %s must be a finite number above %g and at most %g, got %r'
                             % (name, low, high, value))
    return number


def _bounded_int(value, name, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DiscoveryError('option %s must be a whole number, got %r' % (name, value))
    if math.isnan(number) or math.isinf(number) or number != int(number) or not low <= number <= high:
        raise DiscoveryError('option %s must be a whole number from %d to %d, got %r' % (name, low, high, value))
    return int(number)


class ProbeResult(object):
    """How one address ended: found (hit = (port, use_tls, info)), empty, unreachable or failed (reason)."""

    def __init__(self, status, hit=None, reason=None):
        self.status = status
        self.hit = hit
        self.reason = reason


def _describe(exc):
    if isinstance(exc, WsmanError):
        where = ' on port %s' % exc.details['port'] if exc.details.get('port') else ''
        return '%s%s: %s' % (type(exc).__name__, where, exc.reason)
    return '%s: %s' % (type(exc).__name__, str(exc)[:200] or 'no message')


def _connected(exc):
    """Whether a timed-out exchange got a TCP connection (the answer came late) or never connected."""
    return not (exc.reason or '').startswith('no connection within')


def probe(address, settings):
    """Identify one address on each port in turn; never raises (any exception is a failed probe).

    Used alone, a late answer is retried at once with the longer timeout; discover() defers that retry to
    its second pass instead (probe_once)."""
    result = probe_once(address, settings)
    if result.status == 'late':
        result = probe_once(address, settings, retry=True)
    return result


def probe_once(address, settings, retry=False, swept=False):
    """One attempt: found, empty, failed, unreachable, or (first attempt, retry_timeouts) late: the probe
    connected but no answer came within the timeout. retry=True is the second attempt, with the longer
    timeout, where a late answer is unreachable. swept=True: the connect pass saw a port accept, so a connect
    that times out now is load, not a black hole (late too)."""
    failure = None
    timeout = settings.timeout * RETRY_FACTOR if retry else settings.timeout
    for port in settings.ports:
        use_tls = int(port) in (16993, 664)
        client = None
        try:
            # Identification sends no secret, so the certificate is not checked here; enrichment checks it.
            client = WsmanClient(address, port=port, use_tls=use_tls, validate_certs=False, timeout=timeout,
                                 retries=0)
            info = client.probe()
        except WsmanTimeoutError as exc:
            if not (swept or _connected(exc)):
                # a black hole: nothing more to learn from waiting longer (and the next port would cost as much)
                return ProbeResult('unreachable', reason='no connection to port %s within %gs' % (port, timeout))
            if settings.retry_timeouts and not retry:
                return ProbeResult('late', reason='no answer on port %s within %gs' % (port, timeout))
            return ProbeResult('unreachable', reason='no answer on port %s within %gs%s' % (
                port, timeout, ' (and %gs before)' % settings.timeout if retry else ''))
        except WsmanConnectionError:
            info = None           # refused, reset: nothing (usable) listens on this port
        except (WsmanHTTPError, WsmanAuthError):
            info = None           # an HTTP server that is not AMT
        except Exception as exc:  # anything else: a failed probe, with its cause (never a dead worker)
            failure = '%s (port %s)' % (_describe(exc), port)
            info = None
        finally:
            if client is not None:
                try:
                    client.close()
                except Exception:  # pragma: no cover - closing never matters more than the result
                    pass
        if info is not None and info.get('is_amt'):
            return ProbeResult('found', hit=(port, use_tls, info))
    if failure:
        return ProbeResult('failed', reason=failure)
    return ProbeResult('empty')


def probe_address(address, ports, timeout):
    """(port, use_tls, probe-info) of the first port that answers as AMT, or None (compatibility wrapper)."""
    result = probe(address, DiscoverySettings(ports=ports, timeout=timeout, concurrency=1))
    return result.hit


def _text(value):
    """A device string as it should be: one string (a duplicated element is a broken answer)."""
    if value is None or isinstance(value, str):
        return value or None
    raise ValueError('the device sent a list where one value belongs')


def enrich(address, port, use_tls, username, password, options):
    """Authenticated reads: version, provisioning, control mode, UUID, names, power state. Never raises.

    Reads only: a read that times out makes the whole enrichment run once more with twice the timeout (a
    device slow under load is enriched, as its probe is found)."""
    timeout = options.get('timeout', 5)
    data = _enrich_once(address, port, use_tls, username, password, options, timeout)
    if data.get('amt_enrich_timed_out'):
        data = _enrich_once(address, port, use_tls, username, password, options, timeout * RETRY_FACTOR)
    data.pop('amt_enrich_timed_out', None)
    return data


def _enrich_once(address, port, use_tls, username, password, options, timeout):
    # imported here: info and provisioning pull in formats/certs and cryptography (0.1-0.2 s of CPU per
    # inventory run), which an unauthenticated scan never needs
    from ansible_collections.oob.amt.plugins.module_utils.amt.info import uuid_from_platform_guid
    from ansible_collections.oob.amt.plugins.module_utils.amt.provisioning import provisioning_status
    data = {}
    client = None
    try:
        client = WsmanClient(address, port=port, use_tls=use_tls, username=username, password=password,
                             validate_certs=options.get('validate_certs', True), ca_path=options.get('ca_path'),
                             cert_fingerprint=(options.get('cert_fingerprints') or {}).get(address),
                             timeout=timeout, retries=1)
        general = client.get('AMT_GeneralSettings')
        setup = client.get('AMT_SetupAndConfigurationService')
        try:
            hbs = client.get('IPS_HostBasedSetupService')
        except WsmanError:
            hbs = {}
        power = client.enumerate('CIM_ServiceAvailableToElement')
        try:
            package = client.get('CIM_ComputerSystemPackage')
        except WsmanError:
            package = {}
        state, control = provisioning_status(setup, hbs)
        power_value = power[0].get('PowerState') if power else None
        guid = _text(package.get('PlatformGUID'))
        data.update({
            'amt_hostname': _text(general.get('HostName')),
            'amt_domain': _text(general.get('DomainName')),
            'amt_realm': _text(general.get('DigestRealm')),
            'amt_provisioning_state': PROVISIONING_STATES.get(state, 'unknown'),
            'amt_control_mode': CONTROL_MODES.get(control or 0, 'unknown'),
            'amt_uuid': uuid_from_platform_guid(guid) if guid else None,
            'amt_power_state': power_state_name(power_value) if power_value is not None else None,
            'amt_tls_verified': bool(use_tls and options.get('validate_certs', True)),
            'amt_enriched': True,
        })
        if client.amt_version:
            data['amt_version'] = client.amt_version
    except WsmanAuthError:
        data = {'amt_enriched': False, 'amt_enrich_error': 'authentication failed (check the credentials for this range)'}
    except WsmanTLSError as exc:
        data = {'amt_enriched': False, 'amt_enrich_error': 'TLS: %s' % exc.reason}
    except WsmanTimeoutError as exc:
        data = {'amt_enriched': False, 'amt_enrich_error': exc.reason, 'amt_enrich_timed_out': True}
    except WsmanError as exc:
        data = {'amt_enriched': False, 'amt_enrich_error': exc.reason}
    except Exception as exc:  # a hostile answer must not kill the worker: the device stays, unenriched
        data = {'amt_enriched': False, 'amt_enrich_error': _describe(exc)}
    finally:
        if client is not None:
            client.close()
    return data


PLAINTEXT_REFUSED = ('not enriched: the device answered on plain HTTP only and credentials are sent over TLS only '
                     '(set allow_plaintext to send them in clear text)')


def discover(ranges, hosts=(), settings=None, stats=None, **legacy):
    """Probe every address with at most `settings.concurrency` workers; return a list of device dicts.

    `settings` is a DiscoverySettings; the keyword arguments of earlier versions (ports, concurrency, timeout,
    username, password, credentials, enrich_devices, options, rmcp_ping, rmcp_port) still build one.
    `stats` (a dict) receives probed/found/empty/unreachable/failed counts, `failures` and `unreachable`
    ([address, reason] lists), `plaintext_refused` and, with rmcp_ping, `rmcp`/`rmcp_only`."""
    if settings is None:
        settings = _legacy_settings(legacy)
    elif legacy:
        raise TypeError('discover(): pass either settings or the old keyword arguments, not both')
    parsed = parse_ranges(ranges)
    stats = stats if stats is not None else {}
    pongs = {}
    if settings.rmcp_ping:
        ping_stats = {}
        pongs = presence_ping(iter_addresses(parsed, hosts), timeout=settings.timeout,
                              concurrency=settings.concurrency, port=settings.rmcp_port, stats=ping_stats)
        stats['rmcp'] = ping_stats
    addresses = iter_addresses(parsed, hosts)
    lock = threading.Lock()
    found = []
    stats.update({'probed': 0, 'found': 0, 'empty': 0, 'unreachable': 0, 'failed': 0, 'failures': [],
                  'unreachable_addresses': [], 'plaintext_refused': [], 'peak_workers_busy': 0})
    busy = [0]
    options = settings.enrich_options()
    feed = None

    if settings.connect_pass:
        # SWEEP_THREADS sweeps share the address stream and feed the workers only the addresses where a port
        # accepted; the system calls of a connect release the interpreter lock, so two sweeps use two cores
        feed = queue.Queue(maxsize=settings.concurrency * 2)
        sweep_stats = {'swept': 0, 'open': 0, 'closed': 0, 'silent': 0, 'peak_sockets': 0}
        stats['sweep'] = sweep_stats
        shared = _Shared(addresses, lock)
        sweeps_left = [SWEEP_THREADS]

        def sweeper():
            own = {}
            closed = [0]        # counted here, added to stats once (no lock round per closed address)
            try:
                for address, status, reason in connect_sweep(
                        shared.stream(), settings.ports, timeout=settings.timeout,
                        in_flight=max(64, min(1024, settings.concurrency * 4)) // SWEEP_THREADS,
                        retry_factor=RETRY_FACTOR if settings.retry_timeouts else 0, stats=own):
                    if status == 'open':
                        feed.put(address)
                    elif status == 'closed':
                        closed[0] += 1
                    else:
                        with lock:
                            stats['probed'] += 1
                            stats['unreachable'] += 1
                            stats['unreachable_addresses'].append([address, reason])
            except Exception as exc:    # the sweep failing must not hang the workers: say why, probe no more
                with lock:
                    stats['failed'] += 1
                    stats['failures'].append(['(connect pass)', _describe(exc)])
            finally:
                with lock:
                    stats['probed'] += closed[0]
                    stats['empty'] += closed[0]
                    for key, value in own.items():     # peak_sockets: the sum of the sweeps' peaks (a bound)
                        sweep_stats[key] += value
                    sweeps_left[0] -= 1
                    last = sweeps_left[0] == 0
                if last:
                    for _i in range(settings.concurrency):
                        feed.put(None)

        for i in range(SWEEP_THREADS):
            threading.Thread(target=sweeper, name='amt-discovery-sweep-%d' % i, daemon=True).start()

    def next_address():
        if feed is not None:
            return feed.get()
        with lock:
            try:
                return next(addresses)
            except StopIteration:
                return None

    def handle(address, retry=False):
        result = probe_once(address, settings, retry=retry, swept=feed is not None)
        if result.status != 'found':
            return result, None
        port, use_tls, info = result.hit
        device = {
            'address': address, 'amt_host': address, 'amt_port': port, 'amt_use_tls': use_tls,
            'amt_version': info.get('amt_version'), 'amt_realm': info.get('realm'),
            'amt_server': info.get('server'),
            'amt_discovered_at': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        }
        if address in pongs:
            device['amt_rmcp'] = pongs[address]
        user, secret = credentials_for(address, settings.credentials, settings.username, settings.password)
        if settings.enrich and secret:
            if use_tls or settings.allow_plaintext:
                with lock:
                    to_enrich.append((device, port, use_tls, user, secret))    # after the probes (below)
            else:
                device.update({'amt_enriched': False, 'amt_enrich_error': PLAINTEXT_REFUSED})
        return result, device

    def worker(take=next_address, retry=False):
        while True:
            address = take()
            if address is None:
                return
            with lock:
                busy[0] += 1
                stats['peak_workers_busy'] = max(stats['peak_workers_busy'], busy[0])
            try:
                try:
                    result, device = handle(address, retry=retry)
                except Exception as exc:  # belt and braces: probe_once() and enrich() never raise
                    result, device = ProbeResult('failed', reason=_describe(exc)), None
                with lock:
                    if result.status == 'late':
                        late.append(address)      # probed again in the second pass, counted there
                        continue
                    stats[result.status] += 1
                    if result.status == 'failed':
                        stats['failures'].append([address, result.reason])
                    elif result.status == 'unreachable':
                        stats['unreachable_addresses'].append([address, result.reason])
                    if device is not None:
                        found.append(device)
                        if device.get('amt_enrich_error') == PLAINTEXT_REFUSED:
                            stats['plaintext_refused'].append(address)
            finally:
                with lock:
                    busy[0] -= 1
                    if address not in late:
                        stats['probed'] += 1

    late = []
    to_enrich = []
    threads = [threading.Thread(target=worker, name='amt-discovery-%d' % i, daemon=True)
               for i in range(settings.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # second pass: the probes that connected but answered late, once more with the longer timeout, on a few
    # threads now that the scan no longer loads the controller (stats['retried'] counts them)
    stats['retried'] = len(late)
    retry_queue = list(late)
    late = []

    def take_late():
        with lock:
            return retry_queue.pop(0) if retry_queue else None

    retry_workers = min(max(RETRY_WORKERS, settings.concurrency // 4), settings.concurrency, len(retry_queue))
    threads = [threading.Thread(target=worker, args=(take_late, True), name='amt-discovery-retry-%d' % i,
                                daemon=True) for i in range(retry_workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # enrichment (authenticated reads, several exchanges each) after every probe has its answer: the probes do
    # not wait behind it, so a loaded controller or device makes fewer of them late (none lost by it)
    enrich_queue = list(to_enrich)

    def enricher():
        while True:
            with lock:
                if not enrich_queue:
                    return
                device, port, use_tls, user, secret = enrich_queue.pop()
            try:
                data = enrich(device['address'], port, use_tls, user, secret, options)
            except Exception as exc:  # belt and braces: enrich() never raises
                data = {'amt_enriched': False, 'amt_enrich_error': _describe(exc)}
            device.update(data)

    threads = [threading.Thread(target=enricher, name='amt-discovery-enrich-%d' % i, daemon=True)
               for i in range(min(settings.concurrency, len(enrich_queue)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats['found'] = len(found)
    for key in ('failures', 'unreachable_addresses'):
        stats[key].sort(key=lambda item: _sort_key(item[0]))
    stats['plaintext_refused'].sort(key=_sort_key)
    if settings.rmcp_ping:
        hosts_found = set(d['address'] for d in found)
        stats['rmcp_only'] = sorted((a for a in pongs if a not in hosts_found), key=_sort_key)
    found.sort(key=lambda d: _sort_key(d['address']))
    return found


def _legacy_settings(kwargs):
    options = dict(kwargs.pop('options', None) or {})
    mapping = {'enrich_devices': 'enrich'}
    values = dict((mapping.get(k, k), v) for k, v in kwargs.items())
    for key in ('validate_certs', 'ca_path', 'cert_fingerprints'):
        if key in options:
            values.setdefault(key, options[key])
    # before the TLS-only rule, enrichment over plain HTTP happened: callers of the old signature keep it
    values.setdefault('allow_plaintext', True)
    return DiscoverySettings(**values)


def summary_text(stats):
    """One line: how the discovery ended."""
    return ('%d addresses probed: %d AMT devices found, %d empty, %d unreachable (no connection or no answer), '
            '%d failed'
            % (stats.get('probed', 0), stats.get('found', 0), stats.get('empty', 0), stats.get('unreachable', 0),
               stats.get('failed', 0)))


def _sort_key(address):
    try:
        return (0, address_number(address), '')
    except ValueError:
        return (1, 0, address)

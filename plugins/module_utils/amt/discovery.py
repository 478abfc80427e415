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
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import ipaddress
import threading

from ansible_collections.oob.amt.plugins.module_utils.amt.constants import (
    CONTROL_MODES, PROVISIONING_STATES, power_state_name)
from ansible_collections.oob.amt.plugins.module_utils.amt.info import uuid_from_platform_guid
from ansible_collections.oob.amt.plugins.module_utils.host.rmcp import RMCP_PORT, presence_ping
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanAuthError, WsmanConnectionError, WsmanError, WsmanTimeoutError, WsmanTLSError)


class DiscoveryError(ValueError):
    pass


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
            return int(hosts[0]), int(hosts[1])
        if '-' in text:
            first, last = text.split('-', 1)
            start = ipaddress.ip_address(first.strip())
            if '.' in last or ':' in last:
                end = ipaddress.ip_address(last.strip())
            else:
                end = ipaddress.ip_address('.'.join(first.strip().split('.')[:3] + [last.strip()]))
            if int(end) < int(start):
                raise DiscoveryError('range %s ends before it starts' % text)
            if int(end) - int(start) > 2 ** 20:
                raise DiscoveryError('range %s is larger than a /12; split it' % text)
            return int(start), int(end)
        return int(ipaddress.ip_address(text)), int(ipaddress.ip_address(text))
    except ValueError as exc:
        if isinstance(exc, DiscoveryError):
            raise
        raise DiscoveryError('invalid range %r: use a CIDR (10.0.0.0/24), a range (10.0.0.5-10.0.0.40) or an '
                             'address' % text)


def iter_addresses(ranges, hosts=()):
    """Lazily yield every address of the ranges, then the host names; each once."""
    seen_ranges = []
    for spec in ranges or []:
        first, last = parse_target(spec)
        for value in range(first, last + 1):
            if any(a <= value <= b for a, b in seen_ranges):
                continue
            yield str(ipaddress.ip_address(value))
        seen_ranges.append((first, last))
    for name in hosts or []:
        yield str(name)


def count_addresses(ranges, hosts=()):
    total = 0
    for spec in ranges or []:
        first, last = parse_target(spec)
        total += last - first + 1
    return total + len(hosts or [])


def _in_range(address, spec):
    try:
        first, last = parse_target(spec)
        return first <= int(ipaddress.ip_address(address)) <= last
    except (ValueError, DiscoveryError):
        return address == spec


def credentials_for(address, credentials, default_user, default_password):
    for cred in credentials or []:
        if any(_in_range(address, spec) for spec in cred.get('ranges', [])):
            return cred.get('username') or default_user or 'admin', cred.get('password')
    return default_user or 'admin', default_password


def probe_address(address, ports, timeout):
    """(port, use_tls, probe-info) of the first port that answers as AMT, or None."""
    for port in ports:
        use_tls = int(port) == 16993 or int(port) == 664
        # Identification sends no secret, so the certificate is not checked here; enrichment checks it.
        client = WsmanClient(address, port=port, use_tls=use_tls, validate_certs=False, timeout=timeout, retries=0)
        try:
            info = client.probe()
        except WsmanTimeoutError:
            return None     # accepts but never answers: do not spend another timeout on the next port
        except WsmanError:
            continue
        finally:
            client.close()
        if info.get('is_amt'):
            return port, use_tls, info
    return None


def enrich(address, port, use_tls, username, password, options):
    """Authenticated reads: version, provisioning, control mode, UUID, names, power state."""
    client = WsmanClient(address, port=port, use_tls=use_tls, username=username, password=password,
                         validate_certs=options.get('validate_certs', True), ca_path=options.get('ca_path'),
                         cert_fingerprint=(options.get('cert_fingerprints') or {}).get(address),
                         timeout=options.get('timeout', 5), retries=1)
    data = {}
    try:
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
        state = setup.get('ProvisioningState')
        control = hbs.get('CurrentControlMode')
        if control is None and state == 2:
            control = {1: 2, 4: 1}.get(setup.get('ProvisioningMode'))
        power_value = power[0].get('PowerState') if power else None
        data.update({
            'amt_hostname': general.get('HostName') or None,
            'amt_domain': general.get('DomainName') or None,
            'amt_realm': general.get('DigestRealm'),
            'amt_provisioning_state': PROVISIONING_STATES.get(state, 'unknown'),
            'amt_control_mode': CONTROL_MODES.get(control or 0, 'unknown'),
            'amt_uuid': uuid_from_platform_guid(package.get('PlatformGUID')) if package.get('PlatformGUID') else None,
            'amt_power_state': power_state_name(power_value) if power_value is not None else None,
            'amt_tls_verified': bool(use_tls and options.get('validate_certs', True)),
            'amt_enriched': True,
        })
        if client.amt_version:
            data['amt_version'] = client.amt_version
    except WsmanAuthError:
        data['amt_enriched'] = False
        data['amt_enrich_error'] = 'authentication failed (check the credentials for this range)'
    except WsmanTLSError as exc:
        data['amt_enriched'] = False
        data['amt_enrich_error'] = 'TLS: %s' % exc.reason
    except (WsmanConnectionError, WsmanError) as exc:
        data['amt_enriched'] = False
        data['amt_enrich_error'] = exc.reason
    finally:
        client.close()
    return data


def discover(ranges, hosts=(), ports=(16993, 16992), concurrency=128, timeout=2.0, username=None, password=None,
             credentials=None, enrich_devices=True, options=None, stats=None, rmcp_ping=False, rmcp_port=RMCP_PORT):
    """Probe every address with at most `concurrency` workers; return a list of device dicts."""
    options = dict(options or {})
    options.setdefault('timeout', timeout)
    stats = stats if stats is not None else {}
    pongs = {}
    if rmcp_ping:
        ping_stats = {}
        pongs = presence_ping(iter_addresses(ranges, hosts), timeout=timeout, concurrency=concurrency, port=rmcp_port,
                              stats=ping_stats)
        stats['rmcp'] = ping_stats
    addresses = iter_addresses(ranges, hosts)
    lock = threading.Lock()
    found = []
    stats.update({'probed': 0, 'found': 0, 'peak_workers_busy': 0})
    busy = [0]

    def next_address():
        with lock:
            try:
                return next(addresses)
            except StopIteration:
                return None

    def worker():
        while True:
            address = next_address()
            if address is None:
                return
            with lock:
                busy[0] += 1
                stats['peak_workers_busy'] = max(stats['peak_workers_busy'], busy[0])
            try:
                hit = probe_address(address, ports, timeout)
                if hit:
                    port, use_tls, info = hit
                    device = {
                        'address': address, 'amt_host': address, 'amt_port': port, 'amt_use_tls': use_tls,
                        'amt_version': info.get('amt_version'), 'amt_realm': info.get('realm'),
                        'amt_server': info.get('server'),
                        'amt_discovered_at': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                    }
                    if address in pongs:
                        device['amt_rmcp'] = pongs[address]
                    user, secret = credentials_for(address, credentials, username, password)
                    if enrich_devices and secret:
                        device.update(enrich(address, port, use_tls, user, secret, options))
                    with lock:
                        found.append(device)
            finally:
                with lock:
                    busy[0] -= 1
                    stats['probed'] += 1

    threads = [threading.Thread(target=worker, name='amt-discovery-%d' % i, daemon=True)
               for i in range(max(1, int(concurrency)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats['found'] = len(found)
    if rmcp_ping:
        hosts_found = set(d['address'] for d in found)
        stats['rmcp_only'] = sorted((a for a in pongs if a not in hosts_found), key=_sort_key)
    found.sort(key=lambda d: _sort_key(d['address']))
    return found


def _sort_key(address):
    try:
        return (0, int(ipaddress.ip_address(address)), '')
    except ValueError:
        return (1, 0, address)

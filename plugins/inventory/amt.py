# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: amt
short_description: Discover Intel AMT devices on the network
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
description:
  - Probes address ranges and host lists for Intel AMT (ports 16993 and 16992) with bounded concurrency and a
    timeout per probe, and adds every device that identifies as AMT (by its C(Server) header, its digest realm
    or a WS-Man Identify answer) as a host. Nothing that is not AMT becomes a host.
  - A closed address costs no HTTP request; an AMT device costs one unauthenticated exchange. With credentials
    the plugin also reads version, provisioning state, control mode, UUID, host name and power state.
  - Results are cached (12 hours by default, the validity of a discovery in the console it replaces).
  - The configuration file name must end in C(amt.yml) or C(amt.yaml).
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks this as an instance of the C(oob.amt.amt) plugin.
    type: str
    required: true
    choices: [oob.amt.amt]
  ranges:
    description: CIDR networks (V(10.0.0.0/22)), address ranges (V(10.0.0.5-10.0.0.40) or V(10.0.0.5-40)) or addresses.
    type: list
    elements: str
    default: []
  hosts:
    description: Host names or addresses to probe in addition to O(ranges).
    type: list
    elements: str
    default: []
  ports:
    description: Ports to try, in order. 16993 is TLS, 16992 plain HTTP.
    type: list
    elements: int
    default: [16993, 16992]
  concurrency:
    description: Probes in flight at once (and the maximum number of open sockets), from 1 to 1024.
    type: int
    default: 128
  timeout:
    description:
      - Wall-clock seconds allowed per probe exchange (connect, TLS, request and the whole answer); a finite
        number above 0 and at most 300. Enrichment reads get max(O(timeout), 5) seconds.
      - A probe that connected but got no answer in time is probed once more with twice the timeout in a short
        second pass after the scan (at most 4 threads), so a device that answers slowly under load is not
        dropped. An address whose connect times out is unreachable at once and costs no retry.
    type: float
    default: 2.0
  username:
    description: AMT account for enrichment.
    type: str
    default: admin
    env:
      - name: AMT_USERNAME
  password:
    description:
      - AMT password for enrichment. Without a password only unauthenticated facts are collected.
    type: str
    env:
      - name: AMT_PASSWORD
  credentials:
    description:
      - Per-range credentials for fleets with several zones; the first entry whose O(credentials[].ranges) holds the
        address wins, otherwise O(username)/O(password) are used.
    type: list
    elements: dict
    default: []
    suboptions:
      ranges:
        description: Ranges (same forms as O(ranges)) this credential applies to.
        type: list
        elements: str
      username:
        description: Account name.
        type: str
      password:
        description: Password.
        type: str
  enrich:
    description:
      - Read authenticated facts when a password is known.
      - Credentials are sent over TLS only; a device that answers only on plain HTTP (16992) is added without
        enrichment (C(amt_enrich_error) says why) unless O(allow_plaintext) is set.
    type: bool
    default: true
  allow_plaintext:
    description:
      - Send credentials for enrichment over plain HTTP to devices that answer only on port 16992. HTTP digest
        does not reveal the password, but the exchange (and the facts read) travel in clear text. A warning is
        shown when set.
    type: bool
    default: false
  validate_certs:
    description: Verify device certificates during enrichment (identification sends no secret and is not verified).
    type: bool
    default: true
  ca_path:
    description:
      - CA file for the device certificates, used to verify them during enrichment.
      - Every host gets it as C(amt_ca_path), which the collection's playbooks and roles pass to the modules
        as O(oob.amt.amt_power#module:ca_path), so the trust you set here is the trust of every later run.
    type: path
  cert_fingerprints:
    description:
      - Pinned SHA-256 fingerprints of device certificates (self-signed firmware certificates), keyed by
        address or AMT host name. Enrichment checks the device against its pin instead of a CA, and the
        host gets it as C(amt_cert_fingerprint) for the playbooks and roles.
    type: dict
    default: {}
  python_interpreter:
    description:
      - Value of C(ansible_python_interpreter) for the hosts. The default is the Python that runs
        C(ansible-playbook), which has the collection's requirements (lxml, cryptography) because the
        inventory plugin itself runs in it.
      - Override it here, with O(compose), or in C(host_vars).
      - When not set, hosts get the template C({{ ansible_playbook_python }}).
    type: str
  hostname_source:
    description:
      - V(amt) names hosts by the host name AMT reports (falling back to the address); V(address) always uses the address.
      - A reported name is never given to a host when another device reports the same name, when it is another
        device's address, when a host of that name is already in the inventory, or when it is not a plain host
        name; such devices are named by their address and the clash is shown as a warning.
    type: str
    choices: [amt, address]
    default: amt
  rmcp_ping:
    description:
      - Before the TCP probes, send an ASF/RMCP presence ping (UDP, O(rmcp_port)) to every address of O(ranges) and
        O(hosts) (IPv4 only), over one socket with at most O(concurrency) pings unanswered and O(timeout) per ping.
      - A pong is evidence only. A device that also identifies as AMT over HTTP gets the parsed pong as C(amt_rmcp);
        an address that answers only the ping does not become a host (it is listed at verbosity C(-vvv)).
      - Off by default, because UDP 623 is often filtered and a pong proves only that some management controller
        (AMT, a server BMC, a DASH NIC) answered.
    type: bool
    default: false
  rmcp_port:
    description: UDP port of the presence ping (RMCP). Used only with O(rmcp_ping).
    type: int
    default: 623
  connection:
    description: Value of C(ansible_connection) for the hosts; out-of-band work runs on the controller.
    type: str
    default: local
  strict:
    description:
      - Besides its meaning for O(compose), O(groups) and O(keyed_groups), V(true) makes an address whose
        probe failed (anything but "nothing listens", "not AMT" or a timeout) fatal for the inventory source.
        Without it, failed addresses are shown as a warning; the run always ends with a summary at C(-v)
        (found, empty, unreachable, failed).
    type: bool
    default: false
  cache_timeout:
    default: 43200
  cache_plugin:
    default: ansible.builtin.jsonfile
  cache_connection:
    default: ~/.cache/oob-amt
'''

EXAMPLES = r'''
# amt.yml
plugin: oob.amt.amt
ranges:
  - 10.10.0.0/22
  - 10.20.5.10-10.20.5.99
ca_path: /etc/pki/amt-ca.pem
credentials:
  - ranges: [10.20.0.0/16]
    username: admin
    password: "{{ lookup('ansible.builtin.env', 'AMT_PASSWORD_SITE2') }}"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/oob-amt
keyed_groups:
  - key: amt_version.split('.')[0]
    prefix: amt_major
groups:
  classroom: amt_hostname is defined and amt_hostname.startswith('class')
'''

import os
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

try:
    from ansible.utils.unsafe_proxy import wrap_var as make_unsafe
except ImportError:  # pragma: no cover
    def make_unsafe(value):
        return value

try:
    from ansible.template import trust_as_template   # ansible-core 2.19+: templates from plugins must be trusted
except ImportError:  # pragma: no cover - older cores template every inventory string
    def trust_as_template(value):
        return value

from ansible_collections.oob.amt.plugins.module_utils.amt.discovery import (
    DiscoveryError, DiscoverySettings, discover, parse_ranges, summary_text)

HOST_VARS = ('amt_host', 'amt_port', 'amt_use_tls', 'amt_version', 'amt_realm', 'amt_uuid', 'amt_provisioning_state',
             'amt_control_mode', 'amt_power_state', 'amt_discovered_at', 'amt_hostname', 'amt_domain', 'amt_server',
             'amt_enriched', 'amt_enrich_error', 'amt_tls_verified', 'amt_rmcp')


display = Display()
_HOSTNAME_RE = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?$')
# the controller's Python, for the local hosts this plugin makes (docs/tls-trust.md, "Interpreter")
PLAYBOOK_PYTHON = '{{ ansible_playbook_python }}'


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = 'oob.amt.amt'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('amt.yml', 'amt.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        ranges = self.get_option('ranges') or []
        hosts = self.get_option('hosts') or []
        if not ranges and not hosts:
            raise AnsibleParserError('%s: set ranges or hosts to discover' % path)
        try:
            self._settings = self._build_settings(ranges)
        except DiscoveryError as exc:
            raise AnsibleParserError('%s: %s' % (path, exc))

        cache_key = self.get_cache_key(path)
        read_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        devices = None
        if read_cache:
            try:
                devices = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if devices is None:
            devices = self._discover(ranges, hosts, path)
        if update_cache:
            # discovered facts only: credentials are never part of the cached data
            self._cache[cache_key] = devices
        self._populate(devices)

    def _build_settings(self, ranges):
        """Every option checked once (finite, in range), ranges parsed once; DiscoveryError names the option."""
        try:
            parse_ranges(ranges)
        except DiscoveryError as exc:
            raise DiscoveryError('option ranges: %s' % exc)
        ca_path = self.get_option('ca_path')
        return DiscoverySettings(
            ports=self.get_option('ports'), concurrency=self.get_option('concurrency'),
            timeout=self.get_option('timeout'), username=self.get_option('username'),
            password=self.get_option('password'), credentials=self.get_option('credentials') or [],
            enrich=self.get_option('enrich'), validate_certs=self.get_option('validate_certs'),
            ca_path=ca_path and os.path.expanduser(ca_path),
            cert_fingerprints=self.get_option('cert_fingerprints') or {},
            rmcp_ping=self.get_option('rmcp_ping'), rmcp_port=self.get_option('rmcp_port'),
            allow_plaintext=self.get_option('allow_plaintext'))

    def _discover(self, ranges, hosts, path):
        settings = self._settings
        if settings.allow_plaintext and settings.enrich:
            display.warning('oob.amt.amt: allow_plaintext is set: credentials go in clear text (HTTP digest) to devices '
                            'that answer only on port 16992')
        stats = {}
        devices = discover(ranges, hosts, settings=settings, stats=stats)
        display.v('oob.amt.amt: %s' % summary_text(stats))
        if stats.get('failures'):
            lines = ['%s: %s' % (address, reason) for address, reason in stats['failures']]
            text = ('oob.amt.amt: %d address(es) could not be probed (not in the inventory): %s%s'
                    % (len(lines), '; '.join(lines[:20]), ' ...' if len(lines) > 20 else ''))
            if self.get_option('strict'):
                raise AnsibleParserError('%s: %s (strict is set)' % (path, text))
            display.warning(text)
        if stats.get('unreachable_addresses'):
            display.vv('oob.amt.amt: accepted or routed but never answered (after a retry with a longer timeout): %s'
                       % ', '.join(address for address, _reason in stats['unreachable_addresses'][:200]))
        if stats.get('plaintext_refused'):
            display.warning('oob.amt.amt: %d device(s) answer only on plain HTTP and were not enriched, because '
                            'credentials are sent over TLS only (allow_plaintext: true sends them anyway): %s'
                            % (len(stats['plaintext_refused']), ', '.join(stats['plaintext_refused'][:20])))
        if 'rmcp' in stats:
            ping = stats['rmcp']
            display.vvv('oob.amt.amt: RMCP presence ping: %d pinged, %d answered, %d answered but are not AMT over HTTP'
                        % (ping.get('pinged', 0), ping.get('answered', 0), len(stats.get('rmcp_only', []))))
            if stats.get('rmcp_only'):
                display.vvv('oob.amt.amt: answered the RMCP ping but did not identify as AMT (not added as hosts): %s'
                            % ', '.join(stats['rmcp_only']))
        return devices

    def _names(self, devices):
        """{address: inventory name}. A self-reported host name is used only when it is a plain host name that no
        other device reports, that is not another device's address and not a host already in the inventory;
        otherwise the address is the name, and the clash is reported."""
        addresses = set(device['address'] for device in devices)
        claims = {}
        if self.get_option('hostname_source') == 'amt':
            for device in devices:
                name = device.get('amt_hostname')
                if isinstance(name, str) and _HOSTNAME_RE.match(name):
                    claims.setdefault(name, []).append(device['address'])
        names = {}
        clashes = []
        for device in devices:
            address = device['address']
            name = device.get('amt_hostname') if self.get_option('hostname_source') == 'amt' else None
            if not name or address not in claims.get(name, []):
                names[address] = address
                continue
            if len(claims[name]) > 1:
                clashes.append('%s is reported by %s' % (name, ', '.join(claims[name])))
            elif name in addresses and name != address:
                clashes.append('%s (reported by %s) is the address of another device' % (name, address))
            elif name != address and name in self.inventory.hosts:
                clashes.append('%s (reported by %s) is already a host of the inventory' % (name, address))
            else:
                names[address] = name
                continue
            names[address] = address
        if clashes:
            display.warning('oob.amt.amt: self-reported host names not used (the addresses name these hosts): %s'
                            % '; '.join(sorted(set(clashes))[:20]))
        return names

    def _populate(self, devices):
        strict = self.get_option('strict')
        self.inventory.add_group('amt')
        names = self._names(devices)
        for device in devices:
            name = names[device['address']]
            self.inventory.add_host(name, group='amt')
            self.inventory.set_variable(name, 'ansible_host', make_unsafe(device['address']))
            self.inventory.set_variable(name, 'ansible_connection', self.get_option('connection'))
            self.inventory.set_variable(name, 'ansible_python_interpreter',
                                        self.get_option('python_interpreter') or trust_as_template(PLAYBOOK_PYTHON))
            for key, value in self._trust_vars(device, name).items():
                self.inventory.set_variable(name, key, value)
            for key in HOST_VARS:
                if key in device:
                    self.inventory.set_variable(name, key, make_unsafe(device[key]))
            for group in self._default_groups(device):
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            hostvars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option('compose'), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, name, strict=strict)

    def _trust_vars(self, device, name):
        """What the plugin trusted, handed to the hosts (docs/tls-trust.md): amt_ca_path, amt_cert_fingerprint,
        amt_validate_certs."""
        out = {}
        if self.get_option('ca_path'):
            out['amt_ca_path'] = os.path.expanduser(self.get_option('ca_path'))
        pins = self.get_option('cert_fingerprints') or {}
        for key in (device['address'], device.get('amt_hostname'), name):
            if key and key in pins:
                out['amt_cert_fingerprint'] = pins[key]
                break
        if not self.get_option('validate_certs'):
            out['amt_validate_certs'] = False
        return out

    @staticmethod
    def _default_groups(device):
        groups = []
        prov = device.get('amt_provisioning_state')
        if prov == 'post':
            groups.append('amt_provisioned')
        elif prov in ('pre', 'in'):
            groups.append('amt_unprovisioned')
        mode = device.get('amt_control_mode')
        if mode in ('ccm', 'acm'):
            groups.append('amt_%s' % mode)
        version = device.get('amt_version')
        if version and version.split('.')[0].isdigit():
            groups.append('amt_v%s' % version.split('.')[0])
        power = device.get('amt_power_state')
        if power == 'on':
            groups.append('amt_powered_on')
        elif power is not None:
            groups.append('amt_powered_off')
        return groups

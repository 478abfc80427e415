#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_network
short_description: Set the Intel AMT host name, domain and wired network settings out of band
version_added: 0.2.0
description:
  - Sets what MEBx's Network Setup holds - AMT host name and domain, shared FQDN, ping and RMCP ping responses,
    dynamic DNS (AMT_GeneralSettings), and the wired port's DHCP or static address, mask, gateway and DNS
    (AMT_EthernetPortSettings), following rpc-go C(configure wired).
  - Only what is given is changed; each class is written once (the instance as read, with the changes) and only
    when something differs.
  - Refuses before contact what firmware or the SMB network table do not support - static settings with DHCP,
    a static configuration without address and mask, static fields with IP sync, and (with O(host_dhcp)) a host
    and AMT that do not both use DHCP or both static addresses.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  hostname:
    description: AMT host name (one DNS label; MEBx "Computer host name").
    type: str
  domain:
    description: AMT domain name (MEBx "Domain name").
    type: str
  shared_fqdn:
    description: Whether the host OS and AMT share the FQDN (MEBx "Shared/Dedicated FQDN").
    type: bool
  ping_response:
    description: Answer ICMP ping.
    type: bool
  rmcp_ping_response:
    description: Answer ASF/RMCP presence pings (used by discovery).
    type: bool
  ddns_update:
    description: Let AMT update dynamic DNS itself.
    type: bool
  dhcp:
    description: V(true) for DHCP; V(false) for a static address (O(ip_address) and O(subnet_mask), or O(ip_sync)).
    type: bool
  ip_sync:
    description: With O(dhcp=false), take the static address from the host OS (shared static IP).
    type: bool
  ip_address:
    description: Static IPv4 address.
    type: str
  subnet_mask:
    description: Static subnet mask.
    type: str
  gateway:
    description: Default gateway.
    type: str
  primary_dns:
    description: Preferred DNS server.
    type: str
  secondary_dns:
    description: Alternate DNS server.
    type: str
  host_dhcp:
    description:
      - Whether the host OS uses DHCP; checks the SMB table (host and AMT both DHCP or both static).
    type: bool
attributes:
  check_mode:
    description: Reads the settings and reports what would be written.
    support: full
  diff_mode:
    description: Shows general and wired settings before and after.
    support: full
notes:
  - Changing the static address moves the device; later tasks must use the new address.
seealso:
  - module: oob.amt.amt_info
'''

EXAMPLES = r'''
- name: Host name and domain as the ZENworks SMB steps set them in MEBx, DHCP like the host
  oob.amt.amt_network:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    hostname: pc-0-1
    domain: corp.example.com
    shared_fqdn: true
    dhcp: true
    host_dhcp: true

- name: Stop answering ping
  oob.amt.amt_network:
    host: 10.0.0.21
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    ping_response: false
'''

RETURN = r'''
network:
  description: General settings (hostname, domain, shared_fqdn, ping_response, rmcp_ping_response, ddns_update)
    and wired settings (dhcp, ip_sync, shared_static_ip, mac, ip_address, subnet_mask, gateway, DNS) after the run.
  returned: always
  type: dict
  sample: {"general": {"hostname": "pc-0-1", "domain": "corp.example.com", "shared_fqdn": true, "ping_response": true,
    "rmcp_ping_response": true, "ddns_update": false},
    "wired": {"dhcp": false, "ip_sync": true, "shared_static_ip": true, "mac": "A4-BB-6D-12-34-56",
    "ip_address": "10.0.0.21", "subnet_mask": "255.255.255.0", "gateway": "10.0.0.1",
    "primary_dns": "10.0.0.2", "secondary_dns": null}}
before:
  description: The same as read before any change.
  returned: always
  type: dict
  sample: {"general": {"hostname": "pc-0-1", "domain": "", "shared_fqdn": true, "ping_response": false,
    "rmcp_ping_response": true, "ddns_update": false},
    "wired": {"dhcp": true, "ip_sync": true, "shared_static_ip": false, "mac": "A4-BB-6D-12-34-56",
    "ip_address": "10.0.0.21", "subnet_mask": "255.255.255.0", "gateway": "10.0.0.1",
    "primary_dns": "10.0.0.2", "secondary_dns": null}}
fqdn:
  description: AMT host name and domain joined.
  returned: always
  type: str
  sample: "pc-0-1.corp.example.com"
actions:
  description: What was written.
  returned: always
  type: list
  elements: str
  sample: ["set DomainName, PingResponseEnabled (AMT_GeneralSettings)", "set the wired port to static 10.0.0.21"]
exchanges:
  description: HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 8
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.network import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

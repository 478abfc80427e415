# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Keep in sync with CONNECTION_ARGSPEC in plugins/module_utils/device.py.
    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address or DNS name of the Intel AMT device (its management interface, not necessarily the OS address).
      - If not set, the E(AMT_HOST) environment variable is used.
    type: str
  port:
    description:
      - TCP port of the WS-Management service.
      - Defaults to V(16993) when O(use_tls=true) and V(16992) otherwise.
    type: int
  use_tls:
    description:
      - Talk TLS to port 16993. Set to V(false) for plain HTTP on port 16992 (digest authenticated, not encrypted;
        refused from the network by CSME 16.1 and later). A warning is printed when TLS is off.
    type: bool
    default: true
  username:
    description:
      - AMT account name. If not set, the E(AMT_USERNAME) environment variable is used.
    type: str
    default: admin
  password:
    description:
      - Password of the AMT account (HTTP digest authentication).
      - If not set, the E(AMT_PASSWORD) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the device's TLS certificate chain and name. Leave on; use O(ca_path) for your own CA or
        O(cert_fingerprint) for self-signed firmware certificates instead of switching it off.
      - When V(false) (and no O(cert_fingerprint) is set) the module warns, as it does for O(use_tls=false), because
        the session is encrypted but anyone on the path can pose as the device.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file (or directory of hashed certificates) with the CA(s) that issued the device certificates.
    type: path
  client_cert:
    description:
      - PEM client certificate for mutual TLS, when the device requires it. Needs O(client_key).
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert).
    type: path
  ciphers:
    description:
      - OpenSSL cipher string. Old firmware negotiates only RSA key exchange suites,
        for example V(RSA+AES:!aNULL:!MD5).
    type: str
  min_tls_version:
    description:
      - Lowest TLS version to offer. AMT 11 and older may speak only TLS 1.0 or 1.1 (security level 0 is then
        used unless O(ciphers) is set).
    type: str
    choices: ['1.0', '1.1', '1.2', '1.3']
  cert_fingerprint:
    description:
      - SHA-256 fingerprint of the device's TLS certificate (hex, colons allowed). When set, the chain is not
        validated but the certificate must match exactly (pinning).
    type: str
  timeout:
    description:
      - Wall-clock deadline in seconds for each WS-Management operation (a Get, a Put, a method call, an Enumerate's
        first request and each Pull), from the start of the connection (or the reuse of a kept-alive one) to the
        last byte of the answer. It covers the TCP connect, the TLS handshake, the request, the status line, the
        headers, the body and the digest round trip (the 401 challenge and the answered request) together. A device that sends its answer one byte
        at a time fails at the deadline, not after O(timeout) per read.
      - It is not a bound on the whole task. A task makes several operations (each with its own deadline), a
        read retried after a dropped connection gets a fresh deadline, and the module's own start-up is not
        counted.
      - A write (a Put, Create, Delete or method call) whose answer does not arrive in time is never sent again.
        The module re-reads the state and reports what it finds, or fails saying the outcome is unknown.
    type: float
    default: 30
  legacy_tls_ciphers:
    description:
      - Also offer the RSA key exchange suites (TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA,
        TLS_RSA_WITH_AES_256_CBC_SHA) that firmware before AMT 16 may be limited to, as Intel's go-wsman-messages
        does with AllowInsecureCipherSuites. They have no forward secrecy, so the module warns when this is on.
      - Added to O(ciphers) when that is set, else to modern defaults.
    type: bool
    default: false
  allow_legacy_digest:
    description:
      - Answer a digest challenge that has no C(qop) (RFC 2069 digest, with no client nonce and no replay
        protection). AMT firmware always offers C(qop=auth), so a challenge without it is refused unless this is
        V(true). The module warns when it is on.
    type: bool
    default: false
requirements:
  - lxml
notes:
  - All connection options can be set once for the whole collection with C(module_defaults) and the
    action group C(group/oob.amt.amt).
'''

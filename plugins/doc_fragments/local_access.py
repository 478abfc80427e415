# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Keep in sync with OPTIONS and ACCOUNT_OPTIONS in plugins/module_utils/local_access.py (and the same options
    # in plugins/module_utils/amt/provisioning.py OPTIONS, used by amt_provision).
    DOCUMENTATION = r'''
options:
  lms_host:
    description: Address of the host-local interface (the Local Manageability Service).
    type: str
    default: localhost
  lms_port:
    description: Plain HTTP port of the host-local interface.
    type: int
    default: 16992
  lms_tls_port:
    description: TLS port of the host-local interface, used when the firmware enforces TLS on local ports.
    type: int
    default: 16993
  local_transport:
    description:
      - How to reach the local firmware. V(auto) uses the LMS port when something listens on it, else the MEI device.
      - V(lms) always the TCP port; V(mei) always APF over the MEI device (no LMS needed).
    type: str
    choices: [auto, lms, mei]
    default: auto
  local_tls:
    description:
      - TLS on the local hop. V(auto) follows the firmware's "TLS enforced on local ports" flag (read over MEI; plain
        HTTP when MEI cannot be read or the firmware is AMT 11 or older). V(always) and V(never) override it.
    type: str
    choices: [auto, always, never]
    default: auto
  local_username:
    description: Local system account; read from the MEI device when not given.
    type: str
  local_password:
    description: Password of O(local_username).
    type: str
  mei_device:
    description:
      - MEI device node; C(/dev/mei0) then C(/dev/mei) when not given. A Unix socket speaking the same framing (the
        test simulator's stand-in) is accepted too.
    type: path
'''

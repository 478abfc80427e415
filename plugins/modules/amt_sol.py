#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_sol
short_description: Capture the serial console of an Intel AMT device over Serial-over-LAN
version_added: 0.2.0
description:
  - Opens a Serial-over-LAN session (the AMT redirection protocol on TCP 16995 with TLS, 16994 without) for a
    bounded time and records what the host writes to its serial console - BIOS (when it redirects its screen),
    boot loader, kernel console, login prompt - so a playbook can see why a PC does not boot.
  - Optionally powers the host on or resets it right after the session is open, so the whole boot is captured,
    and types a key sequence (for example V(<F2>) to enter setup, or a command), after a given text appeared.
  - The capture goes to O(dest) on the machine that runs the module (the controller with a local connection);
    the last lines come back in RV(console_tail).
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  duration:
    description:
      - Seconds to capture.
    type: float
    default: 60
  dest:
    description:
      - File to write the raw console output to (bytes as received, escape sequences included).
    type: path
  append:
    description:
      - Append to O(dest) instead of replacing it.
    type: bool
    default: false
  stop_on:
    description:
      - End the capture early once this text appeared on the console (for example V(login:)), after every key
        sequence was sent.
    type: str
  keys:
    description:
      - Key sequences to type, in order, O(keys_delay) seconds apart. Plain text is sent as is; V(<NAME>) sends a
        key - V(<ENTER>), V(<ESC>), V(<TAB>), V(<F1>) ... V(<F12>), V(<UP>), V(<DOWN>), V(<LEFT>), V(<RIGHT>),
        V(<DEL>), V(<BACKSPACE>), V(<HOME>), V(<END>), V(<PGUP>), V(<PGDN>), V(<INSERT>), V(<SPACE>), V(<CTRL_C>),
        V(<CTRL_ALT_DEL>).
      - Treated as secret (never logged), as keys may carry a password.
    type: list
    elements: str
  keys_after:
    description:
      - Wait until this text appeared on the console before typing O(keys) (for example V(Press <F2>)).
    type: str
  keys_delay:
    description:
      - Seconds between two key sequences.
    type: float
    default: 0.5
  power:
    description:
      - V(on_or_reset) powers the host on when it is off or resets it when it runs, right after the console is
        open, so the boot is captured from its start.
    type: str
    default: none
    choices: [none, on_or_reset]
  bios_console:
    description:
      - With O(power=on_or_reset), set the one-time boot option C(UseSOL) so the BIOS sends its screen over SOL
        during that boot.
    type: bool
    default: false
  tail_lines:
    description:
      - Number of console lines returned in RV(console_tail) (control sequences removed).
    type: int
    default: 20
  redirection_port:
    description:
      - TCP port of the redirection service. Defaults to V(16995) when O(use_tls=true) and V(16994) otherwise.
    type: int
  enable_redirection:
    description:
      - Switch the redirection listener and Serial-over-LAN on first when they are off (the same change as
        M(oob.amt.amt_redirection)). With V(false) the module fails with the fix when they are off.
      - The MEBx switches for SOL and storage redirection cannot be changed remotely.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the redirection switches (and the power state with O(power)); no session is opened.
    support: full
  diff_mode:
    description: Nothing to compare; the capture is the result.
    support: none
notes:
  - Serial-over-LAN must be enabled (M(oob.amt.amt_redirection)), and the host must write to the AMT serial port
    (for Linux C(console=ttyS1,115200n8) or the port the BIOS names; the BIOS with O(bios_console)).
  - AMT serves one SOL session at a time; a second console gets a busy refusal.
  - C(changed) is true when the power was switched, keys were typed or O(dest) changed.
seealso:
  - module: oob.amt.amt_media
  - module: oob.amt.amt_redirection
'''

EXAMPLES = r'''
- name: Watch a PC that does not come up - reset it and record 2 minutes of console
  oob.amt.amt_sol:
    host: "{{ amt_host }}"
    password: "{{ amt_password }}"
    power: on_or_reset
    bios_console: true
    duration: 120
    stop_on: "login:"
    dest: "/srv/amt/{{ inventory_hostname }}-console.log"
  register: console

- name: Enter BIOS setup through the console
  oob.amt.amt_sol:
    host: 10.0.0.21
    power: on_or_reset
    bios_console: true
    keys_after: "Press <F2>"
    keys: ["<F2>"]
    duration: 30
'''

RETURN = r'''
redirection:
  description: The redirection switches (listener, sol, ider, kvm) before and after, and whether they changed.
  returned: always
  type: dict
  sample: {"changed": false, "before": {"listener": true, "sol": true, "ider": true, "kvm": true},
           "after": {"listener": true, "sol": true, "ider": true, "kvm": true}}
bytes_captured:
  description: Bytes of console output received.
  returned: always
  type: int
  sample: 1024
dest:
  description: The capture file, when O(dest) was given.
  returned: always
  type: str
  sample: "/var/log/amt/pc-20-1-console.log"
console_tail:
  description: The last O(tail_lines) lines of the console, without escape sequences.
  returned: always
  type: list
  elements: str
  sample: ["Debian GNU/Linux 12 pc-20-1 ttyS1", "pc-20-1 login:"]
keys_sent:
  description: Number of key sequences typed.
  returned: always
  type: int
  sample: 1
power_action:
  description: The power request sent (on or reset), or null.
  returned: always
  type: dict
  sample: {"name": "reset", "value": 10, "power_state_before": "on"}
stopped:
  description: Why the capture ended - V(duration), V(stop_on) or V(closed_by_device); null in check mode.
  returned: always
  type: str
  sample: "stop_on"
captured_seconds:
  description: Seconds the console was captured.
  returned: success
  type: float
  sample: 41.207
exchanges:
  description: WS-Management HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 9
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.sol import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

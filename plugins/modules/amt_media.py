#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: amt_media
short_description: Boot an Intel AMT device from a disk image on the controller (IDE-R / USB-R storage redirection)
version_added: 0.2.0
description:
  - Attaches an ISO image (as a CD) or a raw image (as a floppy or USB drive) that lives on the controller to the
    device over the AMT redirection protocol (TCP 16995 with TLS, 16994 without), sets the one-time boot to that
    drive, powers the host on (or resets it when it runs), answers the sectors the BIOS and boot loader read for
    as long as asked, then detaches and reports what was served. A dead PC boots a rescue or installer ISO
    without any PXE infrastructure.
  - Through AMT 10 the firmware presents the image as an IDE drive (IDE-R); from AMT 11 on as a USB drive
    (USB-R). The protocol on the wire is the same, so the module serves both; RV(redirection_type) says which
    the host sees.
  - The session ends when the device has read the image and then stayed quiet for O(idle_timeout) seconds
    (O(serve_until=idle)), or after O(serve_timeout) seconds (O(serve_until=timeout), for installers that keep
    reading). The image is served read-only; writes from the host are refused as write-protected.
  - Before opening the session the module reads C(AMT_RedirectionService) and fails with the fix when the
    redirection listener or storage redirection is switched off; use M(oob.amt.amt_redirection) to enable them.
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
options:
  image:
    description:
      - Path of the image on the machine that runs the module (the controller with a local connection).
      - An ISO must be a multiple of 2048 bytes, a floppy or USB image a multiple of 512 bytes.
    type: path
    required: true
  media:
    description:
      - Drive the image is attached as. Default V(cdrom) for names ending in C(.iso), V(floppy) otherwise (a raw
        floppy or USB stick image; from AMT 11 on the host sees a USB drive).
    type: str
    choices: [cdrom, floppy]
  boot:
    description:
      - Set the one-time boot to the redirected drive (C(AMT_BootSettingData) C(UseIDER) and C(IDERBootDevice),
        no forced boot source). With V(false) the image is only attached.
    type: bool
    default: true
  power:
    description:
      - V(on_or_reset) powers the host on when it is off or resets it when it runs, after the drive is attached.
        V(none) leaves the power alone (the image is served when the host boots by other means).
    type: str
    default: on_or_reset
    choices: [on_or_reset, none]
  attach:
    description:
      - When the firmware connects the virtual drive to the host. V(on_reboot) at the next platform reset (the
        normal case with O(power)), V(graceful) when the host is idle, V(now) at once (a running OS sees a new
        drive).
    type: str
    default: on_reboot
    choices: [on_reboot, graceful, now]
  use_sol:
    description:
      - Also send the BIOS console to Serial-over-LAN during this boot (C(UseSOL)); read it with M(oob.amt.amt_sol).
    type: bool
    default: false
  serve_until:
    description:
      - V(idle) ends the session once the device has read from the image and then sent no command for
        O(idle_timeout) seconds (a boot loader that loaded its kernel). V(timeout) serves for O(serve_timeout)
        seconds.
    type: str
    default: idle
    choices: [idle, timeout]
  serve_timeout:
    description:
      - Upper bound in seconds for the session after the power action.
    type: int
    default: 300
  idle_timeout:
    description:
      - Seconds without a command from the device, after its first read, that end the session with O(serve_until=idle).
    type: float
    default: 10
  require_read:
    description:
      - Fail when the device read nothing from the image within O(serve_timeout) (it booted from elsewhere).
    type: bool
    default: true
  redirection_port:
    description:
      - TCP port of the redirection service. Defaults to V(16995) when O(use_tls=true) and V(16994) otherwise.
      - O(port) is the WS-Management port, used for the boot settings and the power action.
    type: int
  enable_redirection:
    description:
      - Switch the redirection listener and storage redirection (IDE-R/USB-R) on first when they are off (the
        same change as M(oob.amt.amt_redirection)). With V(false) the module fails with the fix when they are off.
      - The MEBx switches for SOL and storage redirection cannot be changed remotely.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the redirection switches, boot capabilities and settings and the power state, and reports
      what would be done; no redirection session is opened.
    support: full
  diff_mode:
    description: Shows the attached image and the next boot.
    support: full
notes:
  - The session lives as long as the task runs; run the module with a local connection (or C(delegate_to)
    the controller), where the image is. With a local connection it runs inside the controller's worker process
    like the other device modules (no module process is started).
  - AMT serves one storage redirection session at a time; a second console gets a busy refusal.
  - In Client Control Mode the firmware may require user consent on the host for redirection boots
    (M(oob.amt.amt_consent)).
  - While a redirection session is open the firmware refuses power off and power cycle (reset is allowed).
seealso:
  - module: oob.amt.amt_sol
  - module: oob.amt.amt_redirection
  - module: oob.amt.amt_consent
  - module: oob.amt.amt_boot
'''

EXAMPLES = r'''
- name: Boot a dead PC from a rescue ISO that lives on the controller
  oob.amt.amt_media:
    host: "{{ amt_host }}"
    password: "{{ amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    image: /srv/amt/rescue.iso
  register: media

- name: Serve an installer for up to 30 minutes, whatever it reads
  oob.amt.amt_media:
    host: 10.0.0.21
    image: /srv/amt/debian-12-netinst.iso
    serve_until: timeout
    serve_timeout: 1800
    require_read: false
'''

RETURN = r'''
redirection:
  description: The redirection switches (listener, sol, ider, kvm) before and after, and whether they changed.
  returned: always
  type: dict
  sample: {"changed": false, "before": {"listener": true, "sol": true, "ider": true, "kvm": true},
           "after": {"listener": true, "sol": true, "ider": true, "kvm": true}}
redirection_type:
  description: What the host sees, from the firmware version - V(ide-r) through AMT 10, V(usb-r) from AMT 11; null
    when the version is unknown.
  returned: always
  type: str
  sample: usb-r
media:
  description: The image served (path, V(cdrom) or V(floppy), size in bytes, blocks).
  returned: always
  type: dict
  sample: {"path": "/srv/amt/rescue.iso", "kind": "cdrom", "size": 202752, "blocks": 99}
boot_settings_changed:
  description: AMT_BootSettingData properties changed for the redirected boot.
  returned: always
  type: list
  elements: str
  sample: ["IDERBootDevice", "UseIDER"]
power_action:
  description: The power request sent (on or reset) with the state before, or null with O(power=none).
  returned: always
  type: dict
  sample: {"name": "reset", "value": 10, "power_state_before": "on"}
bytes_served:
  description: Bytes of the image sent to the device.
  returned: always
  type: int
  sample: 165888
sectors_served:
  description: Blocks of the image sent (2048 bytes for a CD, 512 for a floppy/USB image).
  returned: success
  type: int
  sample: 81
read_commands:
  description: READ commands the device sent.
  returned: success
  type: int
  sample: 10
commands:
  description: SCSI/ATAPI commands the device sent, by name and count.
  returned: success
  type: dict
  sample: {"TEST_UNIT_READY": 2, "READ_CAPACITY": 1, "READ_10": 10}
reads:
  description: The first 50 reads (drive, first block, block count), to see what the boot loader fetched.
  returned: success
  type: list
  elements: dict
  sample: [{"drive": "cdrom", "lba": 16, "blocks": 1}, {"drive": "cdrom", "lba": 17, "blocks": 1}, {"drive": "cdrom", "lba": 18, "blocks": 16}]
first_read_after:
  description: Seconds from the power action to the first read.
  returned: success
  type: float
  sample: 7.412
stopped:
  description: Why serving ended - V(idle), V(timeout) or V(closed_by_device).
  returned: success
  type: str
  sample: idle
served_seconds:
  description: Seconds the session served after the power action.
  returned: success
  type: float
  sample: 38.95
session:
  description: The storage redirection session (protocol and firmware version the device announced, read buffer,
    port, TLS, whether the device confirmed the close).
  returned: success
  type: dict
  sample: {"protocol_version": "1.0", "firmware_version": "16.1", "read_buffer": 8192, "write_buffer": 8192, "protocol": 0,
    "iana": 343, "port": 16995, "tls": true, "closed_cleanly": true}
exchanges:
  description: WS-Management HTTP exchanges made with the device.
  returned: always
  type: int
  sample: 12
'''

from ansible_collections.oob.amt.plugins.module_utils.device import run_device_module
from ansible_collections.oob.amt.plugins.module_utils.amt.media import OPERATION


def main():
    run_device_module(OPERATION)


if __name__ == '__main__':
    main()

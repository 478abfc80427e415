"""amt_media and amt_sol against the simulator's redirection listeners (issue 19).

A playbook boots a device from an ISO built here: the simulated BIOS reads the volume descriptors, the El Torito
boot image and files through IDE-R/USB-R, and what it read must equal the ISO byte for byte; the SOL boot log
is captured meanwhile. Error cases: session limit, wrong password, listener or feature disabled, dropped
session; no secret in output.
"""
import os
import random

import pytest

from tests.integration.iso9660 import build_iso, file_extent
from tests.integration.runner import inventory_for, run_playbook

PASSWORD = 'Redir3ct!Secret'


def _bytes(seed, size):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _unused in range(size))


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    # device 0: AMT 16 (USB-R), device 1: AMT 11.8 (USB-R), device 2: AMT 10 (IDE-R)
    spec = {'devices': {}}
    with Simulator(devices=3, admin_password=PASSWORD, fleet_spec=spec, extra_args=['--redirection', 'on']) as sim:
        sim.patch(sim.addresses[2], amt_version='10.0.56.3002')
        yield sim


@pytest.fixture(scope='module')
def iso(fleet):
    boot = bytearray(_bytes(1, 4096))
    boot[510:512] = b'\x55\xaa'
    files = {'README.TXT': b'oob.amt IDE-R test medium\n' * 40, 'KERNEL.BIN': _bytes(2, 150001),
             'INITRD.GZ': _bytes(3, 70000)}
    data = build_iso(files, bytes(boot), volume_id='OOBAMT_RESCUE')
    path = os.path.join(fleet.state_dir, 'rescue.iso')
    with open(path, 'wb') as fh:
        fh.write(data)
    return {'path': path, 'data': data, 'boot': bytes(boot), 'files': files}


def _failed(run, task):
    entry = run.task(task, 'dev0')
    assert entry['status'] == 'failed', entry
    return entry['result']


def _reset(fleet, addr, **extra):
    state = dict(power_state=8, redirection_state=32771, redirection_listener=True, faults={}, sol_keys=[],
                 ider_boots=[])
    state.update(extra)
    fleet.patch(addr, **state)


def test_boot_from_iso_with_sol_capture(fleet, iso, tmp_path):
    addr = fleet.addresses[0]
    _reset(fleet, addr)
    inv = inventory_for(fleet, [addr])
    run = run_playbook('media_sol.yml', inv, {'iso_path': iso['path'], 'capture_dir': str(tmp_path)}, verbosity=4)
    assert run.rc == 0, run.stdout[-4000:]
    media = run.task('Boot from the ISO', 'dev0')['result']
    assert media['changed'] is True
    assert media['redirection_type'] == 'usb-r'
    assert media['power_action']['name'] == 'on'
    assert media['stopped'] == 'idle'
    assert media['boot_settings_changed'] == ['IDERBootDevice', 'UseIDER']
    # what the simulated BIOS read, byte for byte against the ISO built here
    boot = fleet.state(addr)['ider_boots'][-1]
    assert boot['result'] == 'booted' and boot['device'] == 'cdrom' and boot['volume_id'] == 'OOBAMT_RESCUE'
    with open(os.path.join(boot['dump_dir'], 'boot-image.bin'), 'rb') as fh:
        assert fh.read() == iso['boot']
    for name, data in iso['files'].items():
        with open(os.path.join(boot['dump_dir'], 'files', name), 'rb') as fh:
            assert fh.read() == data, name
        lba, size = file_extent(iso['data'], name)
        assert boot['files'][name]['lba'] == lba and boot['files'][name]['size'] == size
    # the bytes served are exactly the blocks the device asked for
    blocks = sum(r['blocks'] for r in boot['reads'])
    assert media['bytes_served'] == blocks * 2048 == media['sectors_served'] * 2048
    assert media['commands']['READ_10'] == len(boot['reads'])
    assert fleet.state(addr)['ider_closed_cleanly'] is True
    # the SOL capture ran during the boot and saw it
    sol = run.task('Wait for the console capture', 'dev0')['result']
    assert sol['stopped'] == 'stop_on' and sol['keys_sent'] == 1
    with open(tmp_path / 'dev0-console.log', 'rb') as fh:
        log = fh.read().decode()
    assert 'Booting from AMT USB-R CD-ROM...' in log
    assert 'Linux version' in log and log.rstrip().endswith('root')
    assert sol['console_tail'][-1].startswith('pc-') and 'login: root' in sol['console_tail'][-1]
    assert '726f6f740d' in fleet.state(addr)['sol_keys']          # "root\r" reached the host
    assert PASSWORD not in run.stdout + run.stderr


def test_floppy_image_on_ide_r_firmware(fleet, tmp_path):
    """AMT 10: IDE-R. A FAT16 image (the collection's setup.bin stick writer) boots as a floppy/USB drive."""
    from ansible_collections.oob.amt.plugins.module_utils.formats.fat_image import build_partition
    addr = fleet.addresses[2]
    _reset(fleet, addr)
    payload = _bytes(4, 3000)
    image = build_partition(payload)
    path = tmp_path / 'stick.img'
    path.write_bytes(image)
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'image': str(path)})
    media = run.task('Media', 'dev0')['result']
    assert media.get('failed') is not True, media
    assert media['redirection_type'] == 'ide-r' and media['media']['kind'] == 'floppy'
    assert media['power_action']['name'] == 'on'
    boot = fleet.state(addr)['ider_boots'][-1]
    assert boot['result'] == 'booted' and boot['device'] == 'floppy'
    assert fleet.state(addr)['ider_start_mode'] == 'on_reboot'
    with open(os.path.join(boot['dump_dir'], 'boot-sector.bin'), 'rb') as fh:
        assert fh.read() == image[:512]
    with open(os.path.join(boot['dump_dir'], 'files', 'SETUP.BIN'), 'rb') as fh:
        assert fh.read() == payload


def test_check_mode_opens_no_session(fleet, iso):
    addr = fleet.addresses[1]
    _reset(fleet, addr)
    before = fleet.state(addr).get('redirection_stats', {})
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'image': iso['path']}, check=True)
    media = run.task('Media', 'dev0')['result']
    assert media['changed'] is True and media['power_action']['name'] == 'on'
    assert media['boot_settings_changed'] == ['IDERBootDevice', 'UseIDER']
    state = fleet.state(addr)
    assert state.get('redirection_stats', {}) == before
    assert state['power_state'] == 8 and state['boot']['settings']['UseIDER'] is False


def test_wrong_password(fleet, iso):
    addr = fleet.addresses[1]
    _reset(fleet, addr)
    from ansible_collections.oob.amt.plugins.module_utils.redir.errors import RedirAuthError
    from ansible_collections.oob.amt.plugins.module_utils.redir.session import RedirSession
    s = RedirSession(addr, password='not-' + PASSWORD, ca_path=fleet.ca_path, timeout=5)
    with pytest.raises(RedirAuthError) as err:
        s.open('ider')
    assert 'digest authentication failed' in str(err.value) and PASSWORD not in str(err.value)
    assert fleet.state(addr)['redirection_stats']['auth_failed'] >= 1
    # through the module the same account fails first on WS-Man (shared credentials)
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]),
                       {'image': iso['path'], 'amt_password': 'wrong-' + PASSWORD})
    media = _failed(run, 'Media')
    assert 'password' in media['msg'].lower()
    assert PASSWORD not in run.stdout + run.stderr


def test_redirection_digest_refused(fleet, iso):
    """WS-Man accepts the account, the digest inside the redirection protocol does not (no redirection realm,
    or a lockout in between): a clear error, and nothing was changed on the device before the session opened."""
    addr = fleet.addresses[1]
    _reset(fleet, addr)
    fleet.faults(addr, redir_auth_fail=True)
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'image': iso['path'], 'duration': 3},
                       verbosity=4)
    fleet.faults(addr)
    for task in ('Media', 'Sol'):
        res = _failed(run, task)
        assert res['error'] == 'RedirAuthError', res
        assert 'digest authentication failed' in res['msg'] and 'locked' in res['msg']
    state = fleet.state(addr)
    assert state['boot']['settings']['UseIDER'] is False and state['power_state'] == 8
    assert PASSWORD not in run.stdout + run.stderr


def test_listener_disabled(fleet, iso):
    addr = fleet.addresses[1]
    _reset(fleet, addr, redirection_listener=False)
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'image': iso['path'], 'duration': 3})
    for res in (_failed(run, 'Media'), _failed(run, 'Sol')):
        assert 'listener is disabled' in res['msg'] and 'amt_redirection' in res['msg']
    # the port itself is closed too (a console that skips the WS-Man check)
    from ansible_collections.oob.amt.plugins.module_utils.redir.errors import RedirRefusedError
    from ansible_collections.oob.amt.plugins.module_utils.redir.session import RedirSession
    with pytest.raises(RedirRefusedError) as err:
        RedirSession(addr, password=PASSWORD, ca_path=fleet.ca_path, timeout=5).open('sol')
    assert 'listener' in str(err.value)
    # enable_redirection switches it on through AMT_RedirectionService (amt/redirection.py) and goes ahead
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'duration': 2, 'enable_redirection': True})
    sol = run.task('Sol', 'dev0')
    assert sol['status'] == 'ok', sol
    assert sol['result']['changed'] is True and sol['result']['redirection']['after']['listener'] is True
    assert fleet.state(addr)['redirection_listener'] is True


def test_feature_disabled(fleet, iso):
    addr = fleet.addresses[1]
    _reset(fleet, addr, redirection_state=32770)          # SOL only
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'image': iso['path']})
    media = _failed(run, 'Media')
    assert 'Storage redirection (IDE-R/USB-R) is disabled' in media['msg']
    from ansible_collections.oob.amt.plugins.module_utils.redir.errors import RedirRefusedError
    from ansible_collections.oob.amt.plugins.module_utils.redir.session import RedirSession
    with pytest.raises(RedirRefusedError) as err:
        RedirSession(addr, password=PASSWORD, ca_path=fleet.ca_path, timeout=5).open('ider')
    assert 'status 3' in str(err.value)


def test_session_limit(fleet, iso):
    from ansible_collections.oob.amt.plugins.module_utils.redir.session import RedirSession
    addr = fleet.addresses[1]
    _reset(fleet, addr)
    holder = RedirSession(addr, password=PASSWORD, ca_path=fleet.ca_path, timeout=5).open('ider')
    try:
        run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'image': iso['path']})
        media = _failed(run, 'Media')
        assert media['error'] == 'RedirBusyError'
        assert 'session limit' in media['msg'] and 'Another console holds the session' in media['msg']
        assert fleet.state(addr)['power_state'] == 8                   # nothing was powered
    finally:
        holder.close()


def test_dropped_session(fleet, iso):
    addr = fleet.addresses[1]
    _reset(fleet, addr)
    fleet.faults(addr, redir_drop_after=1.0)
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]),
                       {'image': iso['path'], 'serve_until': 'timeout', 'serve_timeout': 10})
    fleet.faults(addr)
    media = _failed(run, 'Media')
    assert media['error'] == 'RedirDroppedError', media
    assert 'closed the storage redirection session' in media['msg'] and 'run the task again' in media['msg']
    assert media['bytes_served'] == media['sectors_served'] * 2048


def test_sol_reset_bios_keys(fleet, tmp_path):
    addr = fleet.addresses[1]
    _reset(fleet, addr, power_state=2)
    dest = tmp_path / 'bios.log'
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]),
                       {'duration': 8, 'power': 'on_or_reset', 'bios_console': True, 'keys_after': 'Press <F2>',
                        'sol_keys': ['<F2>'], 'stop_on': 'Entering SETUP', 'dest': str(dest)})
    sol = run.task('Sol', 'dev0')['result']
    assert sol.get('failed') is not True, sol
    assert sol['power_action']['name'] == 'reset' and sol['stopped'] == 'stop_on' and sol['keys_sent'] == 1
    text = dest.read_text()
    assert 'Press <F2> to enter SETUP' in text and 'Entering SETUP' in text and 'Linux version' not in text
    state = fleet.state(addr)
    assert state['sol_entered_setup'] is True and '1b4f51' in state['sol_keys']
    assert state['boot']['last_boot_redirection']['sol'] is True
    if 'invocation' in sol:
        hidden = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
        assert sol['invocation']['module_args']['keys'] in (hidden, [hidden])


def test_sol_over_the_plain_port(fleet):
    """use_tls: false -> WS-Man on 16992 and the redirection session on 16994, with the plaintext warning."""
    addr = fleet.addresses[1]
    _reset(fleet, addr, power_state=2)
    before = fleet.state(addr).get('redirection_stats', {}).get('sessions_sol', 0)
    run = run_playbook('media_single.yml', inventory_for(fleet, [addr]), {'duration': 2, 'use_tls': False,
                                                                          'stop_on': 'login:'})
    sol = run.task('Sol', 'dev0')
    assert sol['status'] == 'ok', sol
    assert sol['result']['stopped'] == 'stop_on' and sol['result']['console_tail'][-1].rstrip().endswith('login:')
    assert any('plain text' in w for w in sol['result'].get('warnings', [])) or 'plain text' in run.stdout
    assert fleet.state(addr)['redirection_stats']['sessions_sol'] == before + 1

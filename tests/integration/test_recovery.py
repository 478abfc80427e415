"""Interrupted multi-step operations converge on a re-run (docs/provisioning.md, docs/reliability.md).

Each test cuts the connection in the middle of the operation with the simulator's fault injection (the
device has processed the request, the answer is lost), checks that the host fails with a clear message,
then re-runs the same task and checks that the device ends where it should and a third run changes nothing."""
import os

from ansible_collections.oob.amt.plugins.module_utils.zone_ca import run_mgmtcert
from tests.integration.runner import inventory_for, run_playbook

NEW = 'N3w-Admin!pw'


def _actions(sim, addr):
    return [(e['action'] or '').rsplit('/', 1)[-1] for e in sim.log_entries(addr)]


def _zone(directory, suffix):
    params = dict(state='present', ca='internal', path=directory, common_name='prov.' + suffix, dns_names=[],
                  country=None, state_or_province=None, locality=None, organization='Recovery', organizational_unit=[],
                  is_ca=False, key_type='rsa', key_size=2048, valid_days=30, ca_common_name='Recovery CA',
                  ca_key_size=2048, ca_valid_days=60, renew_before_days=1, force=False, force_ca=False,
                  seed_compatibility=False, certificate=None, ca_chain=None, remove_ca=False)
    return run_mgmtcert(params)['root_hash']['sha256']['hex']


def test_acm_activation_cut_between_certificates_converges(tmp_path):
    from tests.simulator.harness import Simulator
    with Simulator(devices=2, mode='pre') as sim:
        twin, addr = sim.addresses
        suffix = sim.state(addr)['pki_dns_suffix']
        root = _zone(str(tmp_path), suffix)
        for a in (twin, addr):
            sim.patch(a, hashes=sim.state(a)['hashes'] + [{'name': 'Z', 'algorithm': 2, 'hash': root, 'enabled': True,
                                                          'default': False, 'id': 'z'}])

        def acm(target):
            state = sim.state(target)
            run = run_playbook('provision.yml', inventory_for(sim, [target]), {
                'prov_password': NEW, 'prov_mode': 'acm', 'prov_local_user': state['local_username'],
                'prov_local_password': state['local_password'], 'prov_cert': os.path.join(str(tmp_path), 'mgmt-chain.pem'),
                'prov_key': os.path.join(str(tmp_path), 'mgmt.key')})
            entry = run.task('Provision', 'dev0')
            return dict(entry['result'], _status=entry['status'])

        sim.clear_log()
        assert acm(twin)['_status'] == 'ok'              # learn the exchange sequence on an identical device
        sequence = _actions(sim, twin)
        assert sequence.count('AddNextCertInChain') == 2
        sim.clear_log()
        sim.faults(addr, after=_position_in(sequence, 'AddNextCertInChain', 2), drop=True, count=50)
        cut = acm(addr)
        assert cut['_status'] == 'failed' and addr in cut['msg']
        assert sim.state(addr)['provisioning_state'] == 0     # the leaf went in, the root answer was lost
        sim.faults(addr)
        again = acm(addr)
        assert again['_status'] == 'ok' and again['changed'] and sim.state(addr)['control_mode'] == 2
        assert not acm(addr)['changed']


def _position_in(sequence, action, occurrence):
    seen = 0
    for i, name in enumerate(sequence):
        if name == action:
            seen += 1
            if seen == occurrence:
                return i
    raise AssertionError(action)


def test_boot_and_power_cut_before_the_power_answer_converges():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2, mode='ccm') as sim:
        twin, addr = sim.addresses
        for a in (twin, addr):
            sim.patch(a, power_state=8)

        def boot(target):
            run = run_playbook('boot_alarm.yml', inventory_for(sim, [target]),
                               {'boot_device': 'pxe', 'boot_power': True, 'tolerate_failure': True})
            entry = run.task('Boot', 'dev0')
            return dict(entry['result'], _status=entry['status'])

        sim.clear_log()
        assert boot(twin)['_status'] == 'ok'
        sequence = _actions(sim, twin)
        sim.faults(addr, after=_position_in(sequence, 'RequestPowerStateChange', 1), drop=True, count=50)
        cut = boot(addr)
        assert cut['_status'] == 'failed' and addr in cut['msg']
        state = sim.state(addr)
        assert state['power_state'] == 2 and state['boot']['last_boot']['source'] == 'Intel(r) AMT: Force PXE Boot'
        sim.faults(addr)
        # the power-on went through before the answer was lost: a re-run sets the one-time boot again and,
        # the device being on now, resets into it (what the user asked for: boot from PXE next)
        again = boot(addr)
        assert again['_status'] == 'ok' and again['power_action']['name'] == 'reset'
        assert sim.state(addr)['boot']['last_boot']['source'] == 'Intel(r) AMT: Force PXE Boot'


def test_unprovision_answer_lost_converges():
    from tests.simulator.harness import Simulator
    with Simulator(devices=1, mode='ccm') as sim:
        addr = sim.addresses[0]

        def unprovision():
            run = run_playbook('provision.yml', inventory_for(sim, [addr]), {
                'prov_state': 'absent', 'prov_password': sim.admin_password, 'prov_remote': True,
                'prov_local_user': 'unused', 'prov_local_password': 'unused'})
            entry = run.task('Provision', 'dev0')
            return dict(entry['result'], _status=entry['status'])

        sim.clear_log()
        # Get the setup service (after a challenge), then the Unprovision call whose answer is cut
        sim.faults(addr, after=2, drop=True, count=50)
        cut = unprovision()
        assert cut['_status'] == 'failed' and addr in cut['msg']
        assert 'Unprovision' in _actions(sim, addr) and sim.state(addr)['provisioning_state'] == 0
        sim.faults(addr)
        again = unprovision()
        assert again['_status'] == 'ok' and not again['changed']

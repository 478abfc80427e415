"""Reconciliation role against the simulator, with in-band facts from a fixture file."""
import json
import os
import tempfile
import uuid as uuidlib

from tests.integration.runner import REPO, inventory_for, run_playbook


def test_reconcile_report():
    from tests.simulator.harness import Simulator
    with Simulator(devices=4) as sim:
        states = [sim.state(a) for a in sim.addresses]
        dup = states[0]['uuid']
        sim.patch(sim.addresses[3], uuid=dup, platform_guid=uuidlib.UUID(dup).bytes_le.hex().upper())
        facts = {
            'dev0': {'name': 'dev0', 'uuid': states[0]['uuid'].upper(), 'serial': states[0]['hardware']['chassis']['SerialNumber'],
                     'hostname': states[0]['hostname'] + '.corp.example.com', 'macs': [states[0]['network']['mac']]},
            'dev1': {'name': 'dev1', 'uuid': states[1]['uuid'], 'serial': 'REPLACED-BOARD',
                     'hostname': states[1]['hostname'], 'macs': []},
            'orphan': {'name': 'orphan', 'uuid': str(uuidlib.uuid4()), 'serial': 'X', 'hostname': 'orphan', 'macs': []},
        }
        fixture = os.path.join(sim.state_dir, 'inband.json')
        with open(fixture, 'w') as fh:
            json.dump(facts, fh)
        out = tempfile.mkdtemp(dir=sim.state_dir)
        run = run_playbook(os.path.join(REPO, 'playbooks', 'reconcile.yml'), inventory_for(sim),
                           {'reconcile_targets': 'all', 'reconcile_inband_facts_file': fixture, 'reconcile_report_dir': out,
                            'reconcile_formats': ['json', 'yaml', 'markdown', 'html']})
        assert run.rc == 0, run.stdout[-4000:]
        report = json.load(open(os.path.join(out, 'reconcile.json')))
        rows = {(r['device'] or r['host'])['name']: r for r in report['devices']}
        assert rows['dev0']['status'] == 'mismatched' or rows['dev0']['status'] == 'matched'
        assert rows['dev1']['status'] == 'mismatched'
        assert rows['dev1']['differences'] == [{'field': 'serial', 'out_of_band': states[1]['hardware']['chassis']['SerialNumber'],
                                                'in_band': 'REPLACED-BOARD'}]
        assert rows['dev2']['status'] == 'out_of_band_only'
        assert rows['orphan']['status'] == 'in_band_only'
        assert report['duplicate_uuids'] == [dup]
        # dev0 shares its UUID with dev3, so it is matched by MAC instead
        assert rows['dev0']['matched_by'] == 'mac' and rows['dev0']['status'] == 'matched'
        assert report['fleet']['by_control_mode'] == {'ccm': 4}
        html = open(os.path.join(out, 'reconcile.html')).read()
        assert '<tr class="mismatched"><td>dev1</td>' in html and 'REPLACED-BOARD' in html
        assert '| dev2 | out of band only |' in open(os.path.join(out, 'reconcile.md')).read()
        assert os.path.exists(os.path.join(out, 'reconcile.yml'))
        again = run_playbook(os.path.join(REPO, 'playbooks', 'reconcile.yml'), inventory_for(sim),
                             {'reconcile_targets': 'all', 'reconcile_inband_facts_file': fixture, 'reconcile_report_dir': out})
        write = [r for r in again.results if r['task'].endswith('Write the report')][0]
        assert write['result']['changed'] is False


def test_reconcile_fleet_path_limit_partial_failure_threshold_and_per_host_equivalence():
    """The default fleet path reads within --limit; an unreadable device is a report row with its reason, the
    others are read; past reconcile_max_unreadable_percentage the play fails after writing the report; the
    per-host form (reconcile_fleet: false) writes the same rows."""
    from tests.simulator.harness import Simulator
    with Simulator(devices=4) as sim:
        inv = inventory_for(sim)
        playbook = os.path.join(REPO, 'playbooks', 'reconcile.yml')
        bad = sim.addresses[2]
        sim.faults(bad, lockout=True)
        out = tempfile.mkdtemp(dir=sim.state_dir)
        sim.clear_log()
        run = run_playbook(playbook, inv, {'reconcile_targets': 'all', 'reconcile_report_dir': out}, limit='dev0,dev1,dev2')
        assert run.rc == 0, run.stdout[-4000:]
        assert sorted({e['device'] for e in sim.log_entries()}) == sorted(sim.addresses[:3])     # dev3: not in the limit
        reads = [r for r in run.results if r['task'].endswith('Read every device out of band (oob.amt.amt_info, fleet path)')]
        assert len(reads) == 1 and reads[0]['result']['failed_devices'] == ['dev2']             # one task, all devices
        report = json.load(open(os.path.join(out, 'reconcile.json')))
        rows = {r['device']['name']: r for r in report['devices'] if r['device']}
        assert sorted(rows) == ['dev0', 'dev1', 'dev2']
        assert rows['dev2']['status'] == 'unreadable' and bad in rows['dev2']['reason'], rows['dev2']
        assert rows['dev0']['status'] == rows['dev1']['status'] == 'out_of_band_only'
        assert rows['dev0']['device']['uuid'] == sim.state(sim.addresses[0])['uuid'].lower()

        strict = tempfile.mkdtemp(dir=sim.state_dir)
        run = run_playbook(playbook, inv, {'reconcile_targets': 'all', 'reconcile_report_dir': strict,
                                           'reconcile_max_unreadable_percentage': 20})
        assert run.rc != 0 and '1 of 4 devices could not be read' in run.stdout and 'dev2' in run.stdout, run.stdout[-3000:]
        assert os.path.exists(os.path.join(strict, 'reconcile.json'))                            # written first

        per_host = tempfile.mkdtemp(dir=sim.state_dir)
        run = run_playbook(playbook, inv, {'reconcile_targets': 'all', 'reconcile_report_dir': per_host, 'reconcile_fleet': False})
        assert run.rc == 0, run.stdout[-3000:]

        def rows_of(directory):
            data = json.load(open(os.path.join(directory, 'reconcile.json')))
            return sorted((r['device']['name'], r['status'], r['device'].get('uuid'), r['device'].get('serial'),
                           tuple(r['device'].get('macs') or ())) for r in data['devices'] if r['device'])
        assert rows_of(per_host) == rows_of(strict)
        sim.faults(bad)


def test_reconcile_fleet_path_with_in_band_facts_from_os_hosts():
    """Devices that name a reconcile_os_host: the out-of-band read is still one fleet task, the in-band facts are
    gathered per host from each OS host (here the controller itself, over a local connection)."""
    from tests.simulator.harness import Simulator
    with Simulator(devices=2) as sim:
        inv = inventory_for(sim)
        with open(inv) as fh:
            text = fh.read()
        text = text.replace('      amt_host: %s\n' % sim.addresses[0],
                            '      amt_host: %s\n      reconcile_os_host: osbox\n' % sim.addresses[0])
        text += ('    osbox:\n      ansible_connection: local\n')
        with open(inv, 'w') as fh:
            fh.write(text)
        out = tempfile.mkdtemp(dir=sim.state_dir)
        run = run_playbook(os.path.join(REPO, 'playbooks', 'reconcile.yml'), inv,
                           {'reconcile_targets': 'dev0,dev1', 'reconcile_report_dir': out})
        assert run.rc == 0, run.stdout[-4000:]
        reads = [r for r in run.results if r['task'].endswith('Read every device out of band (oob.amt.amt_info, fleet path)')]
        assert len(reads) == 1 and sorted(reads[0]['result']['fleet']) == ['dev0', 'dev1']
        gathered = [r['host'] for r in run.results if r['task'].endswith('Gather in-band facts from the OS host behind the device')]
        assert gathered == ['dev0'], gathered
        report = json.load(open(os.path.join(out, 'reconcile.json')))
        names = sorted((r['host'] or {}).get('name') for r in report['devices'] if r['host'])
        assert names == ['dev0'], report['devices']

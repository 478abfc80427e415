"""The EXAMPLES of every module run: each module's examples become a play (paths and addresses pointed at a
temporary directory and a simulated device), run in check mode, and every task must succeed.

Left out, with the reason: examples that need a real host (activation reads /dev/mei0 and talks to the host's
own LMS) or a certificate signed by an outside CA."""
import ast
import os

import yaml

from ansible_collections.oob.amt.plugins.module_utils.zone_ca import run_mgmtcert
from ansible_collections.oob.amt.plugins.module_utils.formats.setupbin import build_file
from tests.integration.runner import REPO, run_playbook

NEEDS_REAL_HOST = {
    'Activate Client Control Mode on the host itself (SMB mode)',
    'Activate Admin Control Mode with the zone provisioning certificate',
    'Import what the CA signed (zman icmc -p)',
    "Trust the zone CA on the host's own pre-provisioned firmware, before ACM activation (run on the host)",
}


def examples(module):
    with open(os.path.join(REPO, 'plugins', 'modules', module + '.py')) as fh:
        for node in ast.parse(fh.read()).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == 'EXAMPLES':
                return node.value.value
    raise AssertionError('%s has no EXAMPLES' % module)


def test_every_module_example_runs(tmp_path):
    from tests.simulator.harness import Simulator
    zone = tmp_path / 'zone'
    srv = tmp_path / 'srv'
    srv.mkdir()
    for iso in ('rescue.iso', 'debian-12-netinst.iso'):      # amt_media examples (read only in check mode)
        (srv / iso).write_bytes(bytes(2048 * 20))
    params = dict(state='present', ca='internal', path=str(zone), common_name='prov.corp.example.com', dns_names=[],
                  country=None, state_or_province=None, locality=None, organization='Examples',
                  organizational_unit=[], is_ca=False, key_type='rsa', key_size=2048, valid_days=30,
                  ca_common_name='Examples CA', ca_key_size=2048, ca_valid_days=60, renew_before_days=1, force=False,
                  force_ca=False, seed_compatibility=False, certificate=None, ca_chain=None, remove_ca=False)
    run_mgmtcert(params)
    usb = tmp_path / 'usb'
    usb.mkdir()
    (usb / 'setup.bin').write_bytes(build_file([{'current_password': 'admin', 'new_password': 'Ex4mple-Mebx!'}]))
    modules = sorted(f[:-3] for f in os.listdir(os.path.join(REPO, 'plugins', 'modules')) if f.endswith('.py'))
    with Simulator(devices=1, mode='ccm') as sim:
        addr = sim.addresses[0]
        sim.patch(addr, hash_create_allowed=True)
        substitutions = {
            '10.0.0.21': addr, '/etc/pki/amt-ca.pem': sim.ca_path, '/etc/oob-amt/zone': str(zone),
            '/srv/amt': str(srv), '/var/lib/amt/reports': str(tmp_path / 'reports'),
            '/media/usb/setup.bin': str(usb / 'setup.bin'),
        }
        plays = []
        for module in modules:
            text = examples(module)
            for old, new in substitutions.items():
                text = text.replace(old, new)
            tasks = [t for t in yaml.safe_load(text) if t.get('name') not in NEEDS_REAL_HOST]
            plays.append({
                'name': 'Examples of %s' % module, 'hosts': 'dev0', 'gather_facts': False,
                'module_defaults': {'group/oob.amt.amt': {'ca_path': sim.ca_path, 'password': sim.admin_password}},
                'tasks': tasks,
            })
        book = tmp_path / 'examples.yml'
        book.write_text(yaml.safe_dump(plays, sort_keys=False))
        inv = tmp_path / 'inv.yml'
        inv.write_text(yaml.safe_dump({'all': {'hosts': {'dev0': {
            'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
            'amt_host': addr, 'amt_password': sim.admin_password, 'vault_amt_password': sim.admin_password,
            'vault_mebx_password': 'Ex4mple-Mebx!', 'vault_pfx_password': 'unused',
            'lab_devices': [{'mebx': {'current_password': 'admin', 'new_password': 'Ex4mple-Lab1!'}},
                            {'mebx': {'current_password': 'admin', 'new_password': 'Ex4mple-Lab2!'}}],
            'reconcile_oob': [{'name': 'pc-1', 'uuid': 'U1', 'serial': 'S1', 'hostname': 'pc-1', 'macs': []}],
            'reconcile_inband': [{'name': 'pc-1', 'uuid': 'u1', 'serial': 'S1', 'hostname': 'pc-1', 'macs': []}],
        }}}}))
        run = run_playbook(str(book), str(inv), check=True)
        ran = [r for r in run.results if r['status'] != 'skipped']
        failed = [(r['task'], r['result'].get('msg')) for r in ran if r['status'] == 'failed']
        assert failed == [], failed
        assert run.rc == 0, run.stdout[-3000:]
        assert len(ran) >= 25
        # every module's examples ran at least one task of that module
        names = set(r['task'] for r in ran)
        for module in modules:
            own = [t['name'] for t in yaml.safe_load(examples(module)) if t.get('name') not in NEEDS_REAL_HOST]
            assert names & set(own), module

"""The oob.amt.amt inventory plugin against a simulated /24 with closed, non-AMT, slow, silent and locked addresses."""
import json
import os
import tempfile

import pytest
import yaml

from tests.integration.runner import REPO, run_cli


@pytest.fixture(scope='module')
def net():
    from tests.simulator.harness import Simulator
    sim = Simulator(devices=1)       # pick a free /24 and build the spec around it
    base = sim.first_address.rsplit('.', 1)[0]
    spec = {'devices': {
        '%s.2' % base: {'power_state': 8},
        '%s.3' % base: {'provisioning_state': 2, 'provisioning_mode': 1, 'control_mode': 2},
        '%s.4' % base: {'faults': {'latency': 0.3}},
        '%s.5' % base: {'admin_password': 'Other-Pass1!'},
        '%s.6' % base: {'provisioning_state': 0, 'provisioning_mode': 1, 'control_mode': 0},
    }, 'non_amt_http': ['%s.200' % base], 'blackhole': ['%s.201' % base]}
    sim.devices = 6
    sim.fleet_spec = spec
    sim.start()
    sim.base = base
    yield sim
    sim.stop()


def write_config(sim, **options):
    cfg = {'plugin': 'oob.amt.amt', 'ranges': ['%s.0/24' % sim.base], 'timeout': 1.0, 'concurrency': 64,
           'ca_path': sim.ca_path}
    cfg.update(options)
    d = tempfile.mkdtemp(dir=sim.state_dir)
    path = os.path.join(d, 'lab.amt.yml')
    with open(path, 'w') as fh:
        yaml.safe_dump(cfg, fh)
    return path


def plain(value):
    """ansible-inventory marks device-provided strings unsafe ({'__ansible_unsafe': v}); unwrap for comparisons."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory(path, *args, password='P@ssw0rd'):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.collections'), ANSIBLE_INVENTORY_ENABLED='oob.amt.amt')
    env.pop('AMT_PASSWORD', None)
    if password:
        env['AMT_PASSWORD'] = password
    proc = run_cli([os.path.join(REPO, '.venv', 'bin', 'ansible-inventory'), '-i', path] + list(args), env, timeout=120)
    return proc


def test_graph_shows_exactly_the_amt_devices_in_their_groups(net):
    net.clear_log()
    proc = inventory(write_config(net), '--list')
    assert proc.returncode == 0, proc.stderr
    raw = json.loads(proc.stdout)
    assert raw['_meta']['hostvars'][next(iter(raw['_meta']['hostvars']))]['amt_server'].get('__ansible_unsafe')
    data = plain(raw)
    hosts = data['_meta']['hostvars']
    addresses = sorted(v['ansible_host'] for v in hosts.values())
    assert addresses == sorted(net.addresses)                  # not .200 (Apache), not .201 (black hole)
    by_addr = {v['ansible_host']: (k, v) for k, v in hosts.items()}
    name, dev2 = by_addr['%s.2' % net.base]
    assert name == net.state('%s.2' % net.base)['hostname']    # named by AMT's host name
    assert dev2['amt_power_state'] == 'off' and dev2['ansible_connection'] == 'local'
    assert dev2['amt_uuid'] == net.state('%s.2' % net.base)['uuid']
    groups = {g: set(v.get('hosts', [])) for g, v in data.items() if g != '_meta'}
    assert by_addr['%s.3' % net.base][0] in groups['amt_acm']
    assert by_addr['%s.6' % net.base][0] in groups['amt_unprovisioned']
    assert by_addr['%s.2' % net.base][0] in groups['amt_powered_off']
    assert by_addr['%s.1' % net.base][0] in groups['amt_v16']
    locked = by_addr['%s.5' % net.base][1]
    assert locked['amt_enriched'] is False and 'authentication failed' in locked['amt_enrich_error']
    assert 'amt_provisioned' in groups and 'amt_ccm' in groups
    # closed addresses cost no HTTP; each AMT device one unauthenticated exchange (+ enrichment)
    unauth = [e for e in net.log_entries() if e['action'] is None]
    assert sorted(e['device'] for e in unauth) == sorted(net.addresses)
    assert 'P@ssw0rd' not in proc.stdout


def test_unauthenticated_costs_one_exchange_per_device(net):
    net.clear_log()
    proc = inventory(write_config(net, enrich=False), '--graph', password=None)
    assert proc.returncode == 0, proc.stderr
    entries = net.log_entries()
    assert len(entries) == len(net.addresses)
    assert '@amt:' in proc.stdout


def test_cache_second_run_makes_no_connection_and_flush_rescans(net):
    cache_dir = tempfile.mkdtemp(dir=net.state_dir)
    path = write_config(net, cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=cache_dir)
    first = inventory(path, '--list')
    assert first.returncode == 0, first.stderr
    net.clear_log()
    second = inventory(path, '--list')
    assert second.returncode == 0
    assert json.loads(second.stdout)['_meta'] == json.loads(first.stdout)['_meta']
    assert net.log_entries() == []
    cached = ''.join(open(os.path.join(cache_dir, f)).read() for f in os.listdir(cache_dir))
    assert 'P@ssw0rd' not in cached
    # amt_provision forget_on_failure edits this very cache: the forgotten device is gone, still no network
    from ansible_collections.oob.amt.plugins.module_utils.inventory_cache import forget_device
    victim = sorted(h['ansible_host'] for h in plain(json.loads(first.stdout))['_meta']['hostvars'].values())[0]
    assert len(forget_device(cache_dir, victim)) == 1
    fourth = inventory(path, '--list')
    left = [h['ansible_host'] for h in plain(json.loads(fourth.stdout))['_meta']['hostvars'].values()]
    assert victim not in left and len(left) == len(json.loads(first.stdout)['_meta']['hostvars']) - 1
    assert net.log_entries() == []
    third = inventory(path, '--list', '--flush-cache')
    assert third.returncode == 0
    assert net.log_entries() != []


def test_compose_keyed_groups_and_address_names(net):
    path = write_config(net, hostname_source='address', keyed_groups=[{'key': 'amt_control_mode', 'prefix': 'mode'}],
                        compose={'ansible_connection': "'ssh'"}, groups={'is_off': "amt_power_state == 'off'"})
    data = plain(json.loads(inventory(path, '--list').stdout))
    assert '%s.2' % net.base in data['is_off']['hosts']
    assert '%s.3' % net.base in data['mode_acm']['hosts']
    assert data['_meta']['hostvars']['%s.1' % net.base]['ansible_connection'] == 'ssh'


@pytest.mark.parametrize('options,fragment', [({'ranges': ['10.0.0.0/33']}, 'option ranges'),
                                              ({'ranges': ['10.0.0.9-10.0.0.1']}, 'ends before'),
                                              ({'ports': [0]}, 'ports'), ({'concurrency': 0}, 'concurrency'),
                                              ({'concurrency': 100000}, 'concurrency'),
                                              ({'timeout': float('nan')}, 'option timeout must be a finite'),
                                              ({'timeout': float('inf')}, 'option timeout must be a finite'),
                                              ({'timeout': 1e12}, 'option timeout must be a finite'),
                                              ({'timeout': 0}, 'option timeout'),
                                              ({'rmcp_ping': True, 'rmcp_port': 70000}, 'rmcp_port')])
def test_bad_config_refused(net, options, fragment):
    net.clear_log()
    proc = inventory(write_config(net, **options), '--list')
    assert fragment in proc.stderr + proc.stdout
    assert net.log_entries() == []


# -- ASF/RMCP presence ping (rmcp_ping) ------------------------------------------------------------------

@pytest.fixture(scope='module')
def rmcp_net():
    """Three AMT devices answering pings on a high UDP port (.2 with its ping response disabled), an Apache
    neighbour and a black hole that stay silent, and a BMC-like address that answers RMCP but has no AMT."""
    from tests.simulator.harness import Simulator, free_port
    port = free_port()
    sim = Simulator(devices=1, extra_args=['--rmcp-port', str(port)])
    base = sim.first_address.rsplit('.', 1)[0]
    sim.devices = 3
    sim.fleet_spec = {'devices': {'%s.2' % base: {'rmcp_ping': False},
                                  '%s.3' % base: {'amt_version': '11.8.50.3425'}},
                      'non_amt_http': ['%s.200' % base], 'blackhole': ['%s.201' % base], 'rmcp_only': ['%s.210' % base]}
    sim.start()
    sim.base = base
    sim.rmcp_port = port
    yield sim
    sim.stop()


def test_rmcp_pong_recorded_on_amt_hosts_only(rmcp_net):
    sim = rmcp_net
    proc = inventory(write_config(sim, rmcp_ping=True, rmcp_port=sim.rmcp_port, hostname_source='address'), '--list')
    assert proc.returncode == 0, proc.stderr
    hosts = plain(json.loads(proc.stdout))['_meta']['hostvars']
    assert sorted(hosts) == sorted(sim.addresses)        # not .210 (RMCP only), .200 (Apache), .201 (black hole)
    first = hosts['%s.1' % sim.base]['amt_rmcp']
    assert first['iana'] == 343 and first['asf_version'] == '1.0' and first['ipmi'] is False and first['dash'] is True
    assert first['amt_port'] == 16993 and first['amt_provisioning_state'] == 'post'
    assert first['amt_version'] == '.'.join(sim.state('%s.1' % sim.base)['amt_version'].split('.')[:2])
    assert hosts['%s.3' % sim.base]['amt_rmcp']['amt_version'] == '11.8'
    assert 'amt_rmcp' not in hosts['%s.2' % sim.base]     # AMT with the ping response off: still a host
    assert '__ansible_unsafe' in json.dumps(json.loads(proc.stdout)['_meta']['hostvars']['%s.1' % sim.base]['amt_rmcp'])


def test_rmcp_only_address_reported_not_added(rmcp_net):
    sim = rmcp_net
    proc = inventory(write_config(sim, rmcp_ping=True, rmcp_port=sim.rmcp_port), '--graph', '-vvv')
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    assert 'did not identify as AMT (not added as hosts): %s.210' % sim.base in out
    assert '3 answered, 1 answered but are not AMT over HTTP' in out
    graph = proc.stdout[proc.stdout.index('@all:'):]
    assert '%s.210' % sim.base not in graph and '%s.200' % sim.base not in graph


def test_rmcp_off_by_default(rmcp_net):
    sim = rmcp_net
    proc = inventory(write_config(sim, hostname_source='address'), '--list')
    assert proc.returncode == 0, proc.stderr
    hosts = plain(json.loads(proc.stdout))['_meta']['hostvars']
    assert sorted(hosts) == sorted(sim.addresses)
    assert not any('amt_rmcp' in v for v in hosts.values())


def test_self_reported_names_never_take_another_hosts_name(net):
    """Two devices reporting one name, a device reporting another device's address: all named by their address,
    the clash reported; the others keep their AMT names (issue 13)."""
    b = net.base
    old = dict((a, net.state(a)['hostname']) for a in ('%s.3' % b, '%s.4' % b, '%s.6' % b))
    net.patch('%s.3' % b, hostname='dup-name')
    net.patch('%s.4' % b, hostname='dup-name')
    net.patch('%s.6' % b, hostname='%s.2' % b)
    try:
        proc = inventory(write_config(net, timeout=5.0), '--list')
        names = plain(json.loads(proc.stdout))['_meta']['hostvars']
    finally:
        for addr, name in old.items():
            net.patch(addr, hostname=name)
    for addr in ('%s.3' % b, '%s.4' % b, '%s.6' % b):
        assert addr in names and names[addr]['ansible_host'] == addr, (addr, sorted(names), proc.stderr)
    assert 'dup-name' not in names
    # the device whose address .6 claimed keeps its own AMT name, as does any unambiguous one
    assert names[net.state('%s.2' % b)['hostname']]['ansible_host'] == '%s.2' % b
    assert names[net.state('%s.1' % b)['hostname']]['ansible_host'] == '%s.1' % b
    assert 'dup-name is reported by' in proc.stderr and 'is the address of another device' in proc.stderr

"""Host-based activation as it runs on a real PC (issue 15): the local account read over MEI, TLS to the local
port when the firmware enforces it (CSME 19), WS-Man over APF through the MEI device when no LMS listens,
AMT enabled over MEI first when it is disabled. The simulator's MEI stand-in plays /dev/mei0.

For the first two the old path (plain HTTP to the LMS port, what amt_provision did before) is shown to fail.
"""
import pytest

from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanConnectionError
from tests.integration.runner import inventory_for, run_playbook

NEW = 'N3w-Admin!pw'
CSME19 = '19.0.5.1234'


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator, pick_first_address
    first = pick_first_address()
    base = first.rsplit('.', 1)[0]
    addr = ['%s.%d' % (base, i) for i in range(1, 7)]
    spec = {'devices': {
        addr[0]: {'amt_version': CSME19},                              # TLS enforced on local ports
        addr[1]: {'lms': False},                                       # no LMS: APF over MEI
        addr[2]: {'amt_enabled': False},                               # AMT disabled out of the box
        addr[3]: {'amt_version': CSME19, 'lms': False},                # both: TLS inside an APF channel
        addr[4]: {'network': {'dhcp_enabled': False}, 'host_network': {'dhcp_enabled': True}},
        addr[5]: {'amt_version': CSME19},                              # TLS enforced, but MEI not readable
    }}
    with Simulator(devices=6, mode='pre', first_address=first, fleet_spec=spec, extra_args=['--mei']) as sim:
        assert sim.addresses == addr
        yield sim


def activate(sim, addr, check=False, **extra):
    ev = {'prov_password': NEW, 'prov_mei_device': sim.mei_path(addr)}
    ev.update(extra)
    run = run_playbook('provision_local.yml', inventory_for(sim, [addr]), ev, check=check)
    entry = run.task('Provision', 'dev0')
    state = sim.state(addr)
    assert state['local_password'] not in run.stdout
    return dict(entry['result'], _status=entry['status'])


def old_path_client(sim, addr):
    """What amt_provision did before: plain HTTP to the LMS port with the local system account."""
    state = sim.state(addr)
    return WsmanClient(addr, port=16990, use_tls=False, username=state['local_username'],
                       password=state['local_password'], timeout=5, retries=0)


def admin_tls(sim, addr, password=NEW):
    return WsmanClient(addr, use_tls=True, ca_path=sim.ca_path, password=password, timeout=10)


def test_csme19_local_tls_enforced(fleet):
    addr = fleet.addresses[0]
    with pytest.raises(WsmanConnectionError):
        old_path_client(fleet, addr).get('AMT_GeneralSettings')        # CSME 19 refuses non-TLS locally
    r = activate(fleet, addr)
    assert r['_status'] == 'ok', r
    assert r['changed'] and r['after'] == {'provisioning_state': 'post', 'control_mode': 'ccm'}
    assert r['actions'][-1] == 'commit the activation (CommitChanges)'     # AMT 19: Setup alone stays "in"
    assert r['local_access']['tls'] is True and r['local_access']['path'] == 'lms'
    assert r['local_access']['tls_enforced_local'] is True and len(r['local_access']['certificate_sha256']) == 64
    s = fleet.state(addr)
    assert (s['provisioning_state'], s['control_mode']) == (2, 1)
    assert admin_tls(fleet, addr).get('AMT_GeneralSettings')
    again = activate(fleet, addr)                                       # re-run: reads with admin over TLS
    assert again['_status'] == 'ok' and again['changed'] is False, again


def test_no_lms_uses_apf_over_mei(fleet):
    addr = fleet.addresses[1]
    with pytest.raises(WsmanConnectionError) as err:
        old_path_client(fleet, addr).get('AMT_GeneralSettings')        # nothing listens on the LMS port
    assert err.value.details.get('refused')
    fleet.clear_log()
    r = activate(fleet, addr)
    assert r['_status'] == 'ok', r
    assert r['changed'] and r['local_access']['path'] == 'mei' and r['local_access']['tls'] is False
    assert fleet.state(addr)['control_mode'] == 1
    setup = [e for e in fleet.log_entries(addr) if (e['action'] or '').endswith('/Setup')]
    assert len(setup) == 1 and setup[0]['status'] == 200
    again = activate(fleet, addr)
    assert again['_status'] == 'ok' and again['changed'] is False, again


def test_amt_disabled_is_enabled_first(fleet):
    addr = fleet.addresses[2]
    with pytest.raises(WsmanConnectionError):
        old_path_client(fleet, addr).get('AMT_GeneralSettings')        # AMT off: nothing answers
    r = activate(fleet, addr, check=True)
    assert r['_status'] == 'ok', r
    assert r['changed'] and any('enable AMT' in a for a in r['actions'])
    assert fleet.state(addr)['amt_enabled'] is False                    # check mode changed nothing
    r = activate(fleet, addr)
    assert r['_status'] == 'ok', r
    assert r['changed'] and r['actions'][0].startswith('enable AMT') and 'activate CCM' in r['actions']
    assert r['local_access']['amt_enabled_before'] is False
    s = fleet.state(addr)
    assert s['amt_enabled'] is True and s['control_mode'] == 1
    again = activate(fleet, addr)
    assert again['_status'] == 'ok' and again['changed'] is False, again


def test_csme19_without_lms_tls_inside_apf(fleet):
    addr = fleet.addresses[3]
    r = activate(fleet, addr)
    assert r['_status'] == 'ok', r
    assert r['local_access']['path'] == 'mei' and r['local_access']['tls'] is True
    assert fleet.state(addr)['control_mode'] == 1


def test_fix_network_puts_the_whole_port_and_says_what_to_do(fleet):
    addr = fleet.addresses[4]
    r = activate(fleet, addr, prov_host_dhcp=True)
    assert r['_status'] == 'failed' and 'fix_network: true' in r['msg']
    r = activate(fleet, addr, prov_host_dhcp=False)                     # host static + AMT static: supported
    assert r['_status'] == 'ok' and r['changed'], r
    fleet.patch(addr, provisioning_state=0, control_mode=0,
                network=dict(fleet.state(addr)['network'], dhcp_enabled=True))
    r = activate(fleet, addr, prov_host_dhcp=False)                     # host static + AMT DHCP
    assert r['_status'] == 'failed' and 'fix_network' in r['msg'] and 'IP sync' in r['msg'], r
    r = activate(fleet, addr, prov_host_dhcp=False, prov_fix_network=True)
    assert r['_status'] == 'ok', r
    net = fleet.state(addr)['network']
    assert net['dhcp_enabled'] is False and net.get('ip_sync') is True and net.get('shared_static_ip') is True


def test_tls_enforced_without_mei_names_the_fix(fleet):
    addr = fleet.addresses[5]
    state = fleet.state(addr)
    creds = {'prov_local_user': state['local_username'], 'prov_local_password': state['local_password']}
    r = activate(fleet, addr, prov_mei_device='/nonexistent/mei0', **creds)
    assert r['_status'] == 'failed' and 'local_tls: always' in r['msg'], r
    r = activate(fleet, addr, prov_mei_device='/nonexistent/mei0', prov_local_tls='always', **creds)
    assert r['_status'] == 'ok' and r['changed'] and r['local_access']['tls'] is True, r
    assert r['local_access']['tls_enforced_local'] is None          # not known without MEI

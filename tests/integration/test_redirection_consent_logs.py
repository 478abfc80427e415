"""amt_redirection, amt_consent, amt_event_log, amt_audit_log and amt_alert_subscription as playbooks against
the simulator: convergence, check mode, diff, firmware rules, bad input refused before contact, secrets."""
import http.server
import json
import threading

import pytest

from tests.integration.runner import inventory_for, run_playbook

BOOK = 'redirection_consent_logs.yml'


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2, mode='ccm') as sim:
        ccm, acm = sim.addresses
        sim.patch(acm, control_mode=2, provisioning_mode=1)
        sim.ccm, sim.acm = ccm, acm
        sim.inventory = inventory_for(sim)
        yield sim


def run(fleet, step, host='dev0', check=False, diff=False, **extra):
    result = run_playbook(BOOK, fleet.inventory, dict(extra, step=step), check=check, diff=diff, limit=host)
    task = {'redirection': 'Redirection', 'consent': 'Consent', 'event_log': 'Event log', 'audit_log': 'Audit log',
            'subscription': 'Alert subscription'}[step]
    entry = result.task(task, host)
    return dict(entry['result'], _status=entry['status'], _stdout=result.stdout)


def device_exchanges(fleet, addr):
    return [e for e in fleet.log_entries(addr) if e['status'] == 200]


# -- redirection ------------------------------------------------------------------------------------

def test_redirection_converges_with_check_mode_and_diff(fleet):
    addr = fleet.ccm
    fleet.patch(addr, redirection_state=32768, redirection_listener=False, kvm_enabled=False)
    r = run(fleet, 'redirection', check=True, diff=True, sol=True, ider=True, kvm=True)
    assert r['changed'] is True and r['_status'] == 'ok'
    assert r['diff']['before'] == {'sol': False, 'ider': False, 'listener': False, 'kvm': False}
    assert r['diff']['after'] == {'sol': True, 'ider': True, 'listener': True, 'kvm': True}
    state = fleet.state(addr)
    assert (state['redirection_state'], state['redirection_listener'], state['kvm_enabled']) == (32768, False, False)

    r = run(fleet, 'redirection', sol=True, ider=True, kvm=True, kvm_session_timeout=15)
    assert r['changed'] is True
    assert [q.get('method') or q.get('operation') for q in r['requests']] == [
        'RequestStateChange', 'put', 'RequestStateChange', 'put']
    assert 'user consent' in r['msg']                        # KVM in CCM
    state = fleet.state(addr)
    assert (state['redirection_state'], state['redirection_listener'], state['kvm_enabled']) == (32771, True, True)
    assert state['kvm_settings']['session_timeout'] == 15

    fleet.clear_log()
    r = run(fleet, 'redirection', sol=True, ider=True, kvm=True, kvm_session_timeout=15)
    assert r['changed'] is False and r['requests'] == []
    # control mode, redirection service, KVM access point, KVM settings: one Get each, nothing written
    assert [e['resource'].rsplit('/', 1)[-1] for e in device_exchanges(fleet, addr)] == [
        'IPS_HostBasedSetupService', 'AMT_RedirectionService', 'CIM_KVMRedirectionSAP', 'IPS_KVMRedirectionSettingData']

    r = run(fleet, 'redirection', sol=False)
    assert r['changed'] is True and fleet.state(addr)['redirection_state'] == 32769


def test_port_5900_needs_acm_and_password_stays_secret(fleet):
    r = run(fleet, 'redirection', kvm_port_5900=True, kvm_password='Vnc!Pas1')
    assert r['_status'] == 'failed' and 'Admin Control Mode' in r['msg']
    assert fleet.state(fleet.ccm).get('kvm_settings', {}).get('port_5900') in (None, False)

    r = run(fleet, 'redirection', host='dev1', kvm=True, kvm_port_5900=True, kvm_password='Vnc!Pas1')
    assert r['changed'] is True and r['kvm_password_sent'] is True
    settings = fleet.state(fleet.acm)['kvm_settings']
    assert settings['port_5900'] is True and settings['rfb_password'] == 'Vnc!Pas1'
    assert 'Vnc!Pas1' not in json.dumps(r)
    r = run(fleet, 'redirection', host='dev1', kvm=True, kvm_port_5900=True, kvm_password='Vnc!Pas1')
    assert r['changed'] is False and r['kvm_password_sent'] is False


@pytest.mark.parametrize('options,match', [
    ({'kvm_password': 'short1!A'[:6], 'kvm_port_5900': True}, 'exactly 8 characters'),
    ({'kvm_session_timeout': -1}, 'kvm_session_timeout'),
    ({'kvm': False, 'kvm_port_5900': True}, 'contradict'),
])
def test_redirection_bad_input_before_contact(fleet, options, match):
    fleet.clear_log()
    r = run(fleet, 'redirection', **options)
    assert r['_status'] == 'failed' and match in r['msg']
    assert fleet.log_entries(fleet.ccm) == []


# -- consent ----------------------------------------------------------------------------------------

def test_consent_flow_in_ccm(fleet):
    addr = fleet.ccm
    fleet.patch(addr, opt_in={'required': 4294967295, 'display_timeout': 300, 'state': 0, 'code': None,
                              'expires': 0, 'attempts': 0})
    r = run(fleet, 'consent', policy='none')
    assert r['_status'] == 'failed' and 'Admin Control Mode' in r['msg']

    r = run(fleet, 'consent', check=True, consent_state='requested')
    assert r['changed'] is True and fleet.state(addr)['opt_in']['state'] == 0
    r = run(fleet, 'consent', consent_state='granted', code='123456')
    assert r['_status'] == 'failed' and 'state=requested first' in r['msg']

    r = run(fleet, 'consent', diff=True, consent_state='requested')
    assert r['changed'] is True and r['consent']['state'] == 'displayed'
    assert r['diff']['before']['state'] == 'not_started' and r['diff']['after']['state'] == 'displayed'
    code = fleet.state(addr)['opt_in']['code']
    assert len(code) == 6
    r = run(fleet, 'consent', consent_state='requested')
    assert r['changed'] is False                                  # already displayed

    wrong = '%06d' % ((int(code) + 1) % 10 ** 6)
    r = run(fleet, 'consent', consent_state='granted', code=wrong)
    assert r['_status'] == 'failed' and r['return_value'] == 2066 and 'wrong code' in r['msg']
    assert wrong not in r['_stdout']

    r = run(fleet, 'consent', consent_state='granted', code=code)
    assert r['changed'] is True and r['consent']['state'] == 'received'
    assert code not in json.dumps(r)
    r = run(fleet, 'consent', consent_state='granted', code=code)
    assert r['changed'] is False

    r = run(fleet, 'consent', consent_state='cancelled')
    assert r['changed'] is True and r['consent']['state'] == 'not_started'
    r = run(fleet, 'consent', consent_state='cancelled')
    assert r['changed'] is False


def test_three_wrong_codes_cancel_the_request(fleet):
    addr = fleet.ccm
    run(fleet, 'consent', consent_state='requested')
    code = fleet.state(addr)['opt_in']['code']
    wrong = '%06d' % ((int(code) + 7) % 10 ** 6)
    for _i in range(3):
        assert run(fleet, 'consent', consent_state='granted', code=wrong)['_status'] == 'failed'
    assert fleet.state(addr)['opt_in']['state'] == 0
    r = run(fleet, 'audit_log', categories=['consent'])
    assert r['records'][-1]['event'] == 'Send Consent Code Event' and r['records'][-1]['details'] == 'Failed 3 times'


def test_consent_policy_in_acm(fleet):
    r = run(fleet, 'consent', host='dev1', check=True, diff=True, policy='kvm', display_timeout=120)
    assert r['changed'] is True and r['diff']['after'] == {'policy': 'kvm', 'display_timeout': 120,
                                                           'state': 'not_started'}
    assert fleet.state(fleet.acm).get('opt_in', {}).get('required', 4294967295) == 4294967295
    r = run(fleet, 'consent', host='dev1', policy='kvm', display_timeout=120)
    assert r['changed'] is True and r['consent']['policy'] == 'kvm'
    assert fleet.state(fleet.acm)['opt_in']['required'] == 1
    r = run(fleet, 'consent', host='dev1', policy='kvm', display_timeout=120)
    assert r['changed'] is False
    r = run(fleet, 'audit_log', host='dev1', categories=['consent'])
    assert r['records'][-1]['details'] == 'from All to KVM'


@pytest.mark.parametrize('options,match', [
    ({'consent_state': 'granted'}, 'needs code'),
    ({'consent_state': 'granted', 'code': '12ab56'}, '6 digits'),
    ({'display_timeout': 5}, 'display_timeout'),
    ({'consent_state': 'requested', 'policy': 'kvm'}, 'belong to state=present'),
])
def test_consent_bad_input_before_contact(fleet, options, match):
    fleet.clear_log()
    r = run(fleet, 'consent', **options)
    assert r['_status'] == 'failed' and match in r['msg']
    assert fleet.log_entries(fleet.ccm) == []


# -- event log and audit log ------------------------------------------------------------------------

def test_event_log_read_filter_and_clear(fleet):
    addr = fleet.ccm
    fleet._control('POST', '/devices/%s/events' % addr, {'kind': 'fan_failure'})
    fleet._control('POST', '/devices/%s/events' % addr, {'kind': 'boot_failure'})
    r = run(fleet, 'event_log', since='1h', min_severity='critical')
    assert r['changed'] is False and r['returned'] == 2
    assert [x['description'] for x in r['records']] == ['System boot failure',
                                                        'Fan speed lower critical going low (fan failure)']
    assert r['total_records'] > 2
    r = run(fleet, 'event_log', sensor_types=['fan'])
    assert [x['entity'] for x in r['records']] == ['Fan cooling']

    total = len(fleet.state(addr)['message_log'])
    r = run(fleet, 'event_log', check=True, diff=True, log_state='cleared')
    assert r['changed'] is True and r['diff'] == {'before': {'records': total}, 'after': {'records': 0}}
    assert len(fleet.state(addr)['message_log']) == total
    r = run(fleet, 'event_log', log_state='cleared')
    assert r['changed'] is True and fleet.state(addr)['message_log'] == []
    r = run(fleet, 'event_log', log_state='cleared')
    assert r['changed'] is False
    r = run(fleet, 'audit_log', categories=['events'], initiator='admin')
    assert r['records'][-1]['event'] == 'Event Log Cleared' and r['records'][-1]['net_address']


def test_audit_log_reads_every_page(fleet):
    addr = fleet.ccm
    from ansible_collections.oob.amt.plugins.module_utils.amt.redirection import OPERATION
    from ansible_collections.oob.amt.plugins.module_utils.device import CONNECTION_ARGSPEC, execute
    params = dict((k, v.get('default')) for k, v in CONNECTION_ARGSPEC.items())
    params.update((k, v.get('default')) for k, v in OPERATION.options.items())
    params.update(host=addr, password=fleet.admin_password, ca_path=fleet.ca_path)
    sol_now = bool((fleet.state(addr).get('redirection_state', 32771) - 32768) & 2)
    for i in range(12):                                           # more than one ReadRecords page (10)
        assert execute(OPERATION, dict(params, sol=(i % 2 == 0) != sol_now))[0]['changed'] is True
    r = run(fleet, 'audit_log')
    state = fleet.state(addr)
    assert r['total_records'] == len(state['audit_log']) == r['returned'] > 10
    assert r['records'][0]['event'] == 'Provisioning Started'
    reads = [e for e in fleet.log_entries(addr) if (e['action'] or '').endswith('/ReadRecords')]
    assert len(reads) >= 2


def test_log_bad_input_before_contact(fleet):
    fleet.clear_log()
    r = run(fleet, 'event_log', since='last tuesday')
    assert r['_status'] == 'failed' and 'option since' in r['msg']
    r = run(fleet, 'audit_log', since='later')
    assert r['_status'] == 'failed' and 'option since' in r['msg']
    assert fleet.log_entries(fleet.ccm) == []


# -- alert subscriptions ----------------------------------------------------------------------------

class _Sink(http.server.BaseHTTPRequestHandler):
    bodies = []

    def do_POST(self):
        _Sink.bodies.append(self.rfile.read(int(self.headers.get('Content-Length') or 0)))
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


def test_alert_subscription_lifecycle_and_push(fleet):
    server = http.server.HTTPServer(('127.0.0.1', 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = 'http://127.0.0.1:%d/amt' % server.server_address[1]
    try:
        r = run(fleet, 'subscription', check=True, diff=True, listener_url=url, argument='lab',
                listener_username='alerts', listener_password='Sink-Pass1')
        assert r['changed'] is True and r['added'] == ['Intel(r) AMT:All']
        assert fleet.state(fleet.ccm).get('subscriptions', []) == []
        r = run(fleet, 'subscription', listener_url=url, argument='lab', listener_username='alerts',
                listener_password='Sink-Pass1')
        assert r['changed'] is True
        assert r['subscriptions'] == [{'filter': 'Intel(r) AMT:All', 'url': url, 'delivery': 'push',
                                       'argument': None}]
        assert 'Sink-Pass1' not in r['_stdout'] and 'Sink-Pass1' not in json.dumps(r)
        assert fleet.state(fleet.ccm)['subscriptions'][0]['username'] == 'alerts'
        r = run(fleet, 'subscription', listener_url=url, argument='lab', listener_username='alerts',
                listener_password='Sink-Pass1')
        assert r['changed'] is False

        fleet._control('POST', '/devices/%s/events' % fleet.ccm, {'kind': 'temperature_critical'})
        for _i in range(50):
            if _Sink.bodies:
                break
            threading.Event().wait(0.1)
        body = _Sink.bodies[0]
        assert b'CIM_AlertIndication' in body and b'<m:arg xmlns:m="http://x.com">lab</m:arg>' in body

        r = run(fleet, 'subscription', diff=True, listener_url=url, delivery='push_with_ack',
                filters=['All', 'Features'])
        assert r['changed'] is True and sorted(r['added']) == ['Intel(r) AMT:All', 'Intel(r) AMT:Features']
        assert r['removed'] == ['Intel(r) AMT:All']
        assert {s['delivery'] for s in r['subscriptions']} == {'push_with_ack'}

        r = run(fleet, 'subscription', listener_url=url, filters=['Hardware'])
        assert r['_status'] == 'failed' and 'no filter collection Intel(r) AMT:Hardware' in r['msg']

        r = run(fleet, 'subscription', listener_url=url, sub_state='absent')
        assert r['changed'] is True and fleet.state(fleet.ccm)['subscriptions'] == []
        r = run(fleet, 'subscription', listener_url=url, sub_state='absent')
        assert r['changed'] is False
        audit = run(fleet, 'audit_log', categories=['events'])
        assert [x['event'] for x in audit['records']][-2:] == ['Alert Unsubscribed', 'Alert Unsubscribed']
    finally:
        server.shutdown()


@pytest.mark.parametrize('options,match', [
    ({'listener_url': 'https://10.0.0.5/amt'}, 'http:// URL'),
    ({'listener_url': 'http://10.0.0.5/amt', 'listener_username': 'x'}, 'given together'),
    ({'listener_url': 'http://10.0.0.5/amt', 'listener_username': 'x', 'listener_password': 'p' * 40},
     'at most 32'),
])
def test_subscription_bad_input_before_contact(fleet, options, match):
    fleet.clear_log()
    r = run(fleet, 'subscription', **options)
    assert r['_status'] == 'failed' and match in r['msg']
    assert fleet.log_entries(fleet.ccm) == []
    assert 'p' * 40 not in r['_stdout']


def test_ensure_listeners_entry_for_the_redirection_protocol(fleet):
    """The small public function the media/SOL code calls before opening a session."""
    from ansible_collections.oob.amt.plugins.module_utils.amt.redirection import RedirectionError, ensure_listeners
    from ansible_collections.oob.amt.plugins.module_utils.device import CONNECTION_ARGSPEC, client_from_params
    addr = fleet.ccm
    params = dict((k, v.get('default')) for k, v in CONNECTION_ARGSPEC.items())
    params.update(host=addr, password=fleet.admin_password, ca_path=fleet.ca_path)
    fleet.patch(addr, redirection_state=32768, redirection_listener=False, kvm_present=False)
    try:
        with client_from_params(params) as client:
            planned = ensure_listeners(client, sol=True, check_mode=True)
            assert planned['changed'] and planned['after'] == {'sol': True, 'ider': False, 'listener': True,
                                                               'kvm': None}
            assert fleet.state(addr)['redirection_state'] == 32768
            done = ensure_listeners(client, sol=True, ider=True)
            assert done['before']['kvm'] is None and done['after']['listener'] is True
            assert [r.get('method') or r.get('operation') for r in done['requests']] == ['RequestStateChange', 'put']
            assert ensure_listeners(client, sol=True, ider=True)['changed'] is False
            with pytest.raises(RedirectionError, match='no KVM'):
                ensure_listeners(client, kvm=True)
        state = fleet.state(addr)
        assert (state['redirection_state'], state['redirection_listener']) == (32771, True)
    finally:
        fleet.patch(addr, kvm_present=True)

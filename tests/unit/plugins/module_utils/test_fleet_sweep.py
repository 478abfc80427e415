"""The fleet executor (module_utils/fleet.py, through device.execute) and the connect pass (host/sweep.py)."""
import json
import os
import socket
import threading
import time

import pytest

from ansible_collections.oob.amt.plugins.module_utils import fleet
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.device import argument_spec, execute
from ansible_collections.oob.amt.plugins.module_utils.host.sweep import connect_sweep

BASE = {'host': None, 'port': None, 'use_tls': True, 'username': 'admin', 'password': 'S3cret-pw!', 'validate_certs': True,
        'ca_path': None, 'client_cert': None, 'client_key': None, 'ciphers': None, 'min_tls_version': None,
        'cert_fingerprint': None, 'timeout': 30, 'what': 'thing', 'targets': None, 'fleet_workers': 4,
        'max_fail_percentage': 0}


def _op(run):
    return Operation({'what': dict(type='str')}, run, name=lambda p: 'frobnicate %s' % p['what'], fleet=True)


def _devices(n):
    return [{'name': 'pc%d' % i, 'host': '192.0.2.%d' % (i + 1)} for i in range(n)]


def test_fleet_options_only_for_fleet_operations():
    assert 'devices' in argument_spec(_op(None)) and 'max_fail_percentage' in argument_spec(_op(None))
    plain = Operation({}, None, name=lambda p: 'x')
    assert 'devices' not in argument_spec(plain)


def test_every_device_runs_concurrently_bounded_and_failures_do_not_stop_others():
    lock = threading.Lock()
    state = {'now': 0, 'peak': 0, 'seen': []}

    def run(client, params, check_mode=False, diff=False):
        with lock:
            state['now'] += 1
            state['peak'] = max(state['peak'], state['now'])
            state['seen'].append(client.host)
        time.sleep(0.02)
        with lock:
            state['now'] -= 1
        if client.host.endswith('.3'):
            raise AmtError('the device refused')
        if client.host.endswith('.5'):
            raise RuntimeError('a bug')
        return {'changed': True, 'diff': {'before': {'x': 1}, 'after': {'x': 2}}}
    result, _warnings = execute(_op(run), dict(BASE, devices=_devices(10)), check_mode=False, diff=True)
    assert sorted(state['seen']) == sorted(d['host'] for d in _devices(10))
    assert state['peak'] <= 4
    assert result['failed'] is True and result['failed_devices'] == ['pc2', 'pc4']
    assert 'pc2: AMT device 192.0.2.3: frobnicate thing: the device refused' in result['msg']
    assert 'unexpected error RuntimeError: a bug' in result['fleet']['pc4']['msg']
    assert result['fleet']['pc0']['before'] == {'x': 1} and result['fleet']['pc0']['after'] == {'x': 2}
    assert len(result['diff']) == 8 and result['diff'][0]['before_header'] == 'pc0'
    assert result['fleet_summary']['changed'] == 8 and result['fleet_summary']['failed_percentage'] == 20.0
    assert 'S3cret-pw!' not in json.dumps(result)


@pytest.mark.parametrize('threshold,failed', [(0, True), (19.9, True), (20, False), (50, False)])
def test_threshold(threshold, failed):
    def run(client, params, check_mode=False, diff=False):
        if client.host.endswith(('.1', '.2')):
            raise AmtError('no')
        return {'changed': False}
    result, warnings = execute(_op(run), dict(BASE, devices=_devices(10), max_fail_percentage=threshold))
    assert bool(result.get('failed')) is failed
    assert result['failed_devices'] == ['pc0', 'pc1']
    assert bool(warnings) is not failed     # within the threshold: a warning names them


def test_check_mode_reaches_every_device_and_per_device_password():
    seen = []

    def run(client, params, check_mode=False, diff=False):
        seen.append((client.host, check_mode, params['password']))
        return {'changed': True}
    devices = [{'host': '192.0.2.1', 'password': 'Other-pw1!'}, {'host': '192.0.2.2'}]
    result, _w = execute(_op(run), dict(BASE, devices=devices), check_mode=True)
    assert sorted(seen) == [('192.0.2.1', True, 'Other-pw1!'), ('192.0.2.2', True, 'S3cret-pw!')]
    assert '(check mode)' in result['msg'] and sorted(result['fleet']) == ['192.0.2.1', '192.0.2.2']
    assert 'Other-pw1!' not in json.dumps(result) and 'S3cret-pw!' not in json.dumps(result)


def test_large_fleet_is_split_over_processes_each_device_once(monkeypatch):
    monkeypatch.setattr(fleet.os, 'cpu_count', lambda: 2)
    parent = os.getpid()

    def run(client, params, check_mode=False, diff=False):
        return {'changed': check_mode, 'pid': os.getpid(), 'seen_host': client.host}
    devices = _devices(150)
    result, _w = execute(_op(run), dict(BASE, devices=devices, fleet_workers=8), check_mode=True)
    assert list(result['fleet']) == [d['name'] for d in devices]           # every device, once, in order
    assert all(e['seen_host'] == e['host'] for e in result['fleet'].values())
    pids = set(e['pid'] for e in result['fleet'].values())
    assert parent in pids and len(pids) == 2                                   # this process and one child
    assert result['fleet_summary']['changed'] == 150 and not result.get('failed')


def test_a_child_that_dies_fails_its_devices_with_the_outcome_unknown(monkeypatch):
    monkeypatch.setattr(fleet.os, 'cpu_count', lambda: 2)
    parent = os.getpid()

    def run(client, params, check_mode=False, diff=False):
        if client.host == '192.0.2.2' and os.getpid() != parent:   # device index 1: the child's share
            os._exit(3)
        return {'changed': False}
    devices = _devices(120)
    result, _w = execute(_op(run), dict(BASE, devices=devices, fleet_workers=2))
    assert list(result['fleet']) == [d['name'] for d in devices]
    failed = set(result['failed_devices'])
    assert 'pc1' in failed and 'pc0' not in failed and result['failed']
    assert 'ended unexpectedly' in result['fleet']['pc1']['msg'] and 'outcome is unknown' in result['fleet']['pc1']['msg']
    # the child had 60 devices and 1 worker: the ones after pc1 never ran and are failed too, none is lost
    assert failed <= set('pc%d' % i for i in range(1, 120, 2))


def test_small_fleet_stays_in_this_process(monkeypatch):
    monkeypatch.setattr(fleet.os, 'cpu_count', lambda: 8)
    assert fleet._processes(99, 50) == 1 and fleet._processes(100, 50) == 2 and fleet._processes(5000, 50) == 4
    assert fleet._processes(5000, 1) == 1                                      # never more processes than workers


def test_bad_fleet_input_refused_before_contact():
    def run(client, params, check_mode=False, diff=False):
        raise AssertionError('contacted')
    result, _w = execute(_op(run), dict(BASE, devices=[{'host': 'a'}, {'host': 'a'}]))
    assert result['failed'] and 'listed twice' in result['msg']
    result, _w = execute(_op(run), dict(BASE, devices=[{'host': 'a'}], fleet_workers=0))
    assert result['failed'] and 'fleet_workers' in result['msg']
    result, _w = execute(_op(run), dict(BASE, devices=None, targets='amt'))
    assert result['failed'] and 'targets' in result['msg']
    result, _w = execute(_op(run), dict(BASE, devices=[]))
    assert not result.get('failed') and result['fleet'] == {} and 'no devices' in result['msg']


def test_sweep_open_closed_and_names():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(16)
    port = srv.getsockname()[1]
    try:
        stats = {}
        out = dict((a, s) for a, s, _r in connect_sweep(['127.0.0.1', '127.0.0.2', 'some-name'], [port],
                                                        timeout=1.0, in_flight=8, stats=stats))
    finally:
        srv.close()
    assert out == {'127.0.0.1': 'open', '127.0.0.2': 'closed', 'some-name': 'open'}
    assert stats['swept'] == 3 and stats['closed'] == 1


def test_sweep_bounded_and_lazy():
    stats = {}
    addresses = ('127.0.%d.%d' % (i // 250, i % 250 + 1) for i in range(3000))
    count = sum(1 for _item in connect_sweep(addresses, [1, 2], timeout=1.0, in_flight=64, stats=stats))
    assert count == 3000 and stats['closed'] == 3000 - stats['open'] and stats['peak_sockets'] <= 64

"""50 forks against the simulator's per-device connection cap (AMT firmware serves only a few connections at once).

What the client does (plugins/module_utils/wsman/client.py): a device at its cap resets new connections; reads are
idempotent, so the client retries them twice with backoff (0.2 s, then 0.4 s) and then fails naming the device,
the operation, the reset and the number of attempts. Writes are never repeated once sent."""
import socket
import time

import pytest

from tests.integration.runner import inventory_for, run_playbook

FORKS = 50
CAP = 3                  # firmware-like: a few connections at once
RETRY_MESSAGE = ('cannot connect to port 16993', 'Connection reset by peer', '(after 3 attempts)')
pytestmark = pytest.mark.serial   # 50 forks with time limits: run alone (make integration), not beside other tests


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=FORKS) as sim:
        yield sim


@pytest.fixture(autouse=True)
def clean_faults(fleet):
    yield
    for addr in fleet.addresses:
        fleet.faults(addr)


class HeldSlots:
    """Open TCP connections that never start TLS: each holds one of the device's connection slots."""

    def __init__(self, addr, count):
        self.socks = [socket.create_connection((addr, 16993), timeout=5) for _index in range(count)]
        time.sleep(0.3)          # let the simulator accept them (the slot is taken at accept)

    def close(self):
        for sock in self.socks:
            sock.close()
        time.sleep(0.3)


def power_status(fleet, addresses):
    inv = inventory_for(fleet, addresses)
    fleet.clear_log()
    started = time.monotonic()
    run = run_playbook('load_power.yml', inv, forks=FORKS)
    return run, time.monotonic() - started


def outcome(run):
    results = run.task('Power status')
    assert len(results) == len({r['host'] for r in results})
    return dict((r['host'], r) for r in results)


def assert_clear_retry_failure(result, addr):
    msg = result['result']['msg']
    assert result['status'] == 'failed'
    assert msg.startswith('AMT device %s: ' % addr), msg
    assert 'enumerate' in msg, msg                      # the operation that ran out of retries
    for fragment in RETRY_MESSAGE:
        assert fragment in msg, msg
    assert result['result'].get('error') == 'WsmanConnectionError'


def test_cap_is_enforced_and_a_read_gives_up_after_its_retries(fleet):
    """The fault really refuses once the cap is reached, and the client's retries are bounded (< 2 s)."""
    from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
    from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanConnectionError
    addr = fleet.addresses[0]
    fleet.faults(addr, max_connections=CAP)
    held = HeldSlots(addr, CAP)
    try:
        client = WsmanClient(**fleet.connection(addr))
        started = time.monotonic()
        with pytest.raises(WsmanConnectionError) as exc:
            client.get('AMT_GeneralSettings')
        assert time.monotonic() - started < 2
        for fragment in RETRY_MESSAGE:
            assert fragment in str(exc.value)
    finally:
        held.close()
    with WsmanClient(**fleet.connection(addr)) as client:
        assert client.get('AMT_GeneralSettings')          # a slot freed: works again


def test_fifty_forks_one_device_all_succeed_within_the_cap(fleet):
    """50 hosts, one device with a cap of 3: the backoff absorbs the refusals, nobody fails."""
    addr = fleet.addresses[0]
    fleet.faults(addr, max_connections=CAP)
    run, elapsed = power_status(fleet, [addr] * FORKS)
    results = outcome(run)
    assert len(results) == FORKS
    failed = dict((h, r['result'].get('msg')) for h, r in results.items() if r['status'] != 'ok')
    assert failed == {}
    assert all(r['result']['power_state']['before']['name'] == 'on' for r in results.values())
    enumerations = [e for e in fleet.log_entries(addr) if e['status'] == 200]
    assert len(enumerations) == FORKS
    assert elapsed < 60


def test_fifty_forks_one_slow_device_with_one_slot_fail_only_clearly(fleet):
    """A slow device with a single slot cannot serve 50 hosts within the retry budget: those it refuses fail with
    the retries message (device, operation, reset, attempts); no other kind of failure, no hang."""
    addr = fleet.addresses[1]
    fleet.faults(addr, max_connections=1, latency=0.2)
    run, elapsed = power_status(fleet, [addr] * FORKS)
    results = outcome(run)
    assert len(results) == FORKS
    ok = [h for h, r in results.items() if r['status'] == 'ok']
    failed = [r for r in results.values() if r['status'] != 'ok']
    assert ok, 'the first host to connect must be served'
    assert failed, 'one slot and 0.2 s per request: the cap must force refusals beyond the retries'
    for result in failed:
        assert_clear_retry_failure(result, addr)
    # every success is one answered Enumerate; no host reports success without it
    assert len([e for e in fleet.log_entries(addr) if e['status'] == 200]) == len(ok)
    assert elapsed < 90


def test_fifty_forks_fifty_devices_all_succeed(fleet):
    for addr in fleet.addresses:
        fleet.faults(addr, max_connections=CAP)
    run, elapsed = power_status(fleet, fleet.addresses)
    results = outcome(run)
    assert len(results) == FORKS
    assert [h for h, r in results.items() if r['status'] != 'ok'] == []
    served = set(e['device'] for e in fleet.log_entries() if e['status'] == 200)
    assert served == set(fleet.addresses)
    assert elapsed < 60


def test_device_that_always_refuses_fails_clearly_others_succeed(fleet):
    """A device whose every slot is taken refuses all connections: that host fails after its retries with a clear
    message, the 49 others are unaffected."""
    bad = fleet.addresses[-1]
    for addr in fleet.addresses:
        fleet.faults(addr, max_connections=CAP)
    fleet.faults(bad, max_connections=1)
    held = HeldSlots(bad, 1)
    try:
        run, elapsed = power_status(fleet, fleet.addresses)
    finally:
        held.close()
    results = outcome(run)
    bad_host = 'dev%d' % (FORKS - 1)
    assert_clear_retry_failure(results[bad_host], bad)
    assert [h for h, r in results.items() if r['status'] != 'ok'] == [bad_host]
    assert run.failed_hosts == [bad_host]
    assert fleet.log_entries(bad) == []
    assert elapsed < 60

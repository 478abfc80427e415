"""Discovery's retry and timeouts: a probe that connected but answered late is probed again after the scan's
threads have joined, on a few threads, with twice the timeout; a connect that timed out is not retried;
enrichment has its own timeout, max(timeout, ENRICH_MIN_TIMEOUT)."""
import threading

from ansible_collections.oob.amt.plugins.module_utils.amt import discovery as d
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanTimeoutError


def _fake_probe(monkeypatch, behaviour, calls):
    """WsmanClient.probe answers per address: 'late' (connected, answers only with the longer timeout),
    'hole' (no connection), 'amt' (answers)."""
    lock = threading.Lock()

    def probe(self):
        kind = behaviour[self.host]
        with lock:
            calls.append((self.host, threading.current_thread().name))
        if kind == 'hole':
            raise WsmanTimeoutError('no connection within 1s to port 16993', host=self.host, sent=False)
        if kind == 'late' and not threading.current_thread().name.startswith('amt-discovery-retry'):
            raise WsmanTimeoutError('no complete answer within the 1s deadline for the whole exchange',
                                    host=self.host, sent=True)
        return {'is_amt': True, 'amt_version': '16.1.25', 'realm': 'Digest:X', 'server': 'Intel(R) AMT'}
    monkeypatch.setattr(WsmanClient, 'probe', probe)


def test_late_probe_retried_after_the_scan_black_hole_not(monkeypatch):
    behaviour = {'192.0.2.%d' % i: 'hole' for i in range(1, 11)}
    behaviour.update({'192.0.2.%d' % i: 'late' for i in range(11, 21)})
    behaviour.update({'192.0.2.%d' % i: 'amt' for i in range(21, 31)})
    calls = []
    _fake_probe(monkeypatch, behaviour, calls)
    stats = {}
    settings = d.DiscoverySettings(ports=[16993], timeout=1.0, concurrency=16, connect_pass=False, enrich=False)
    found = d.discover(sorted(behaviour), settings=settings, stats=stats)
    addresses = set(x['address'] for x in found)
    assert addresses == set(a for a, k in behaviour.items() if k != 'hole')
    per_address = {}
    for host, thread in calls:
        per_address.setdefault(host, []).append(thread)
    for address, kind in behaviour.items():
        threads = per_address[address]
        if kind == 'late':
            assert len(threads) == 2 and threads[1].startswith('amt-discovery-retry-'), threads
        else:
            assert len(threads) == 1 and not threads[0].startswith('amt-discovery-retry-'), threads
    retry_threads = set(t for ts in per_address.values() for t in ts if t.startswith('amt-discovery-retry-'))
    assert len(retry_threads) <= d.RETRY_WORKERS
    assert stats['retried'] == 10 and stats['probed'] == 30 and stats['found'] == 20
    assert stats['unreachable'] == 10
    assert all('no connection' in reason for _a, reason in stats['unreachable_addresses'])


def test_late_twice_is_unreachable_with_both_timeouts(monkeypatch):
    def probe(self):
        raise WsmanTimeoutError('no complete answer within the deadline', host=self.host, sent=True)
    monkeypatch.setattr(WsmanClient, 'probe', probe)
    stats = {}
    settings = d.DiscoverySettings(ports=[16993], timeout=0.5, concurrency=4, connect_pass=False, enrich=False)
    assert d.discover(['192.0.2.1'], settings=settings, stats=stats) == []
    assert stats['unreachable_addresses'] == [['192.0.2.1', 'no answer on port 16993 within 1s (and 0.5s before)']]
    assert stats['probed'] == 1 and stats['retried'] == 1


def test_standalone_probe_still_retries_a_late_answer(monkeypatch):
    seen = []

    def probe(self):
        seen.append(1)
        raise WsmanTimeoutError('no complete answer within the deadline', host=self.host, sent=True)
    monkeypatch.setattr(WsmanClient, 'probe', probe)
    result = d.probe('192.0.2.1', d.DiscoverySettings(ports=[16993], timeout=0.5))
    assert result.status == 'unreachable' and len(seen) == 2


def test_enrichment_has_its_own_timeout():
    assert d.DiscoverySettings(timeout=0.3).enrich_options()['timeout'] == d.ENRICH_MIN_TIMEOUT
    assert d.DiscoverySettings(timeout=30).enrich_options()['timeout'] == 30

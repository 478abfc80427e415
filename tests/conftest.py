"""Shared pytest setup: the collection importable as ansible_collections.oob.amt, simulator fixtures."""
import importlib
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, 'tests', 'fixtures')   # every file a test reads; origins in SOURCES.md there
_link = os.path.join(REPO, '.collections', 'ansible_collections', 'oob', 'amt')
if not os.path.exists(_link):
    os.makedirs(os.path.dirname(_link), exist_ok=True)
    os.symlink(REPO, _link)
    # pytest put .collections on sys.path before it existed (fresh clone, no make links): forget that miss
    sys.path_importer_cache.pop(os.path.join(REPO, '.collections'), None)
    importlib.invalidate_caches()
for path in (os.path.join(REPO, '.collections'), REPO):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture
def simulator_factory():
    from tests.simulator.harness import Simulator
    started = []

    def make(**kwargs):
        sim = Simulator(**kwargs).start()
        started.append(sim)
        return sim
    yield make
    for sim in started:
        sim.stop()


@pytest.fixture(scope='module')
def simulator():
    from tests.simulator.harness import Simulator
    with Simulator(devices=3) as sim:
        yield sim


@pytest.fixture(scope='session')
def fixtures_dir():
    return FIXTURES

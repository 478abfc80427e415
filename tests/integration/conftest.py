"""How the integration tests are spread over pytest-xdist workers (make integration: --dist loadgroup).

A test that uses a module-scoped (or class/package-scoped) fixture shares state with the other tests of its file
(one simulator, one playbook run read by many cases): those tests stay together on one worker, in file order, as
--dist loadfile kept them. A test whose fixtures are all function- or session-scoped starts what it needs itself,
so it is a work unit of its own and any worker may take it: the long self-contained tests (twenty-device zone
changes, the secrets check in three modes, every module example) no longer queue behind each other on one worker.

Work units are handed out longest first (durations.json: seconds per test on an idle 2-core machine, measured;
a test not listed counts as the median), so the last unit to finish is a short one. Every worker picks its own
loopback addresses (tests/simulator/harness.py, pick_first_address), so the same module fixture may run on two
workers at once without a clash. This only orders and groups tests: what each test runs and asserts is unchanged.
"""
import json
import os

import pytest

_DURATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'durations.json')
_SHARED_SCOPES = {'module', 'class', 'package'}


def _load_durations():
    try:
        with open(_DURATIONS) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def _shares_state(item):
    info = getattr(item, '_fixtureinfo', None)
    if info is None:
        return True
    for defs in info.name2fixturedefs.values():
        for fixturedef in defs:
            if fixturedef.scope in _SHARED_SCOPES:
                return True
    return False


@pytest.hookimpl(tryfirst=True)   # before xdist turns the xdist_group marks into @group node ids
def pytest_collection_modifyitems(config, items):
    durations = _load_durations()
    known = sorted(durations.values())
    default = known[len(known) // 2] if known else 1.0
    units, unit_of = {}, {}
    for index, item in enumerate(items):
        path = item.nodeid.split('::', 1)[0]
        marker = item.get_closest_marker('xdist_group')
        if marker:
            unit = marker.args[0] if marker.args else marker.kwargs.get('name', path)
        elif _shares_state(item):
            item.add_marker(pytest.mark.xdist_group(name=path))
            unit = path
        else:
            unit = item.nodeid
        unit_of[item.nodeid] = unit
        cost = durations.get(item.nodeid.split('tests/integration/', 1)[-1], default)
        total, first = units.get(unit, (0.0, index))
        units[unit] = (total + cost, first)
    # longest unit first; within a unit, file order; ties in collection order
    position = {item.nodeid: i for i, item in enumerate(items)}
    items.sort(key=lambda it: (-units[unit_of[it.nodeid]][0], units[unit_of[it.nodeid]][1], position[it.nodeid]))

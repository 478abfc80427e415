"""How the integration tests are spread over pytest-xdist workers (make integration: --dist loadgroup).

A test that uses a module-scoped (or class/package-scoped) fixture shares state with the other tests of its file
(one simulator, one playbook run read by many cases): those tests stay together on one worker, in file order, as
--dist loadfile kept them. A test whose fixtures are all function- or session-scoped starts what it needs itself,
so it is a work unit of its own and any worker may take it: the long self-contained tests (twenty-device zone
changes, the secrets check in three modes, every module example) no longer queue behind each other on one worker.

Work units are handed out longest first (durations.json: seconds per test, setup to teardown, from pytest
--durations=0 of a 2-worker run on an idle 2-core machine, 2026-11-29; a test not listed counts as the median),
so the last unit to finish is a short one. Every worker picks its own loopback addresses
(tests/simulator/harness.py, pick_first_address), so the same module fixture may run on two workers at once
without a clash. This only orders and groups tests: what each test runs and asserts
is unchanged.

How: the workers collect; each writes the unit of every test (its file, or the test itself) to a file the
controller named (OOB_AMT_XDIST_UNITS), and the controller's scheduler (pytest_xdist_make_scheduler, a
LoadScopeScheduling whose scope is that unit) reads it once every worker has collected. xdist's own xdist_group
marks are not used: with pytest 9 xdist 3.8 renames item._nodeid, which pytest no longer reads, so loadgroup
silently degrades to per-test distribution.
"""
import json
import os
import shutil
import tempfile

_DURATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'durations.json')
_SHARED_SCOPES = {'module', 'class', 'package'}
_UNITS_ENV = 'OOB_AMT_XDIST_UNITS'


def pytest_configure(config):
    """Controller of a distributed run: name the file the workers write the work units to."""
    if hasattr(config, 'workerinput') or getattr(config.option, 'dist', 'no') != 'loadgroup':
        return
    directory = tempfile.mkdtemp(prefix='oob-amt-xdist-')
    os.environ[_UNITS_ENV] = os.path.join(directory, 'units.json')
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))


def pytest_xdist_make_scheduler(config, log):
    if getattr(config.option, 'dist', 'no') != 'loadgroup' or not os.environ.get(_UNITS_ENV):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        """--dist loadscope with the work units the workers computed (a file, or one self-contained test)."""
        _units = None

        def _split_scope(self, nodeid):
            if self._units is None:
                try:
                    with open(os.environ[_UNITS_ENV]) as fh:
                        self._units = json.load(fh)
                except (OSError, ValueError):
                    self._units = {}        # not written: whole files, as --dist loadfile
            return self._units.get(nodeid) or nodeid.split('::', 1)[0]

    return UnitScheduling(config, log)


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


def pytest_collection_modifyitems(config, items):
    durations = _load_durations()
    known = sorted(durations.values())
    default = known[len(known) // 2] if known else 1.0
    units, unit_of = {}, {}
    for index, item in enumerate(items):
        path = item.nodeid.split('::', 1)[0]
        unit = path if _shares_state(item) else item.nodeid
        unit_of[item.nodeid] = unit
        cost = durations.get(item.nodeid.split('tests/integration/', 1)[-1], default)
        total, first = units.get(unit, (0.0, index))
        units[unit] = (total + cost, first)
    # longest unit first; within a unit, file order; ties in collection order
    position = {item.nodeid: i for i, item in enumerate(items)}
    items.sort(key=lambda it: (-units[unit_of[it.nodeid]][0], units[unit_of[it.nodeid]][1], position[it.nodeid]))
    target = os.environ.get(_UNITS_ENV)
    if target and hasattr(config, 'workerinput'):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target))
        with os.fdopen(fd, 'w') as fh:
            json.dump(unit_of, fh)
        os.replace(tmp, target)      # every worker writes the same map: the last complete one stays

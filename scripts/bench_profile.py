"""Client CPU per device, in-process, for the fleet path's own code and the two baselines (a profiling aid).

    .venv/bin/python scripts/bench_profile.py [--devices 200] [--workers 50] [--rounds 2] [--profile fleet]
        [--methods fleet,script,floor] [--top 40]

Starts a simulated fleet (TLS, certificates warm, half the devices off before each run), then runs each method
in this process and reports the CPU this process used (user+system, all threads; the simulator is another
process) per device, the wall time and how many devices were handled. The methods:

  fleet   module_utils/fleet.py run_fleet with the amt_power operation (what the action plugin runs for
          `targets`), the same per-device options the playbook passes
  script  scripts/bench_clients.py run_script (threads + requests)
  floor   scripts/bench_clients.py run_floor (asyncio, protocol minimum)

--profile NAME runs that method once more under cProfile, sequentially (one worker: cProfile sees one thread),
and prints the top functions by own time and by cumulative time. Nothing here asserts on time.
"""
import argparse
import cProfile
import io
import os
import pstats
import resource
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, '.collections'), REPO, os.path.join(REPO, 'scripts')]

from tests.simulator.harness import Simulator  # noqa: E402
import bench_clients  # noqa: E402
from bench import _prepare, _handled  # noqa: E402


def _cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run_fleet_path(sim, workers):
    from ansible_collections.oob.amt.plugins.module_utils.amt.power import OPERATION
    from ansible_collections.oob.amt.plugins.module_utils.device import execute
    params = dict(state='on', wait=False, wait_timeout=120, devices=[
        {'name': 'dev%d' % i, 'host': a, 'password': sim.admin_password, 'ca_path': sim.ca_path}
        for i, a in enumerate(sim.addresses)], targets=None, fleet_workers=workers, max_fail_percentage=0,
        host=None, port=None, use_tls=True, username='admin', password=None, validate_certs=True, ca_path=None,
        client_cert=None, client_key=None, ciphers=None, min_tls_version=None, cert_fingerprint=None, timeout=30.0,
        legacy_tls_ciphers=False, allow_legacy_digest=False)
    result, _warnings = execute(OPERATION, params)
    if result.get('failed'):
        print('  fleet failed: %s' % result.get('msg', '')[:300])
    return result


def method(name, sim, workers):
    if name == 'fleet':
        return lambda: run_fleet_path(sim, workers)
    runner = bench_clients.run_script if name == 'script' else bench_clients.run_floor
    return lambda: runner(sim.addresses, sim.admin_password, sim.ca_path, workers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--devices', type=int, default=200)
    ap.add_argument('--workers', type=int, default=50)
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--methods', default='fleet,script,floor')
    ap.add_argument('--profile', default='')
    ap.add_argument('--top', type=int, default=40)
    args = ap.parse_args()
    n = args.devices
    off = set(range(1, n, 2))
    with Simulator(devices=n, ready_timeout=600, extra_args=['--local-tls-port', '0', '--rmcp-port', '0'],
                   warm_tls=True) as sim:
        print('load %s' % ' '.join('%.2f' % x for x in os.getloadavg()))
        names = [m for m in args.methods.split(',') if m]
        for name in names:      # warm-up: imports, first contexts
            _prepare(sim, off)
            method(name, sim, args.workers)()
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                _prepare(sim, off)
                c, t = _cpu(), time.monotonic()
                method(name, sim, args.workers)()
                cpu, wall = _cpu() - c, time.monotonic() - t
                print('round %d %-7s cpu %6.2f s = %5.2f ms/device  wall %5.2f s  handled %d/%d' % (
                    r + 1, name, cpu, 1000.0 * cpu / n, wall, _handled(sim, off), n), flush=True)
        if args.profile:
            _prepare(sim, off)
            prof = cProfile.Profile(time.process_time)   # CPU, not the wait for the simulator
            run = method(args.profile, sim, 1)
            c = _cpu()
            prof.enable()
            run()
            prof.disable()
            print('profiled %s sequentially: cpu %.2f s (%.2f ms/device with the profiler), handled %d/%d'
                  % (args.profile, _cpu() - c, 1000.0 * (_cpu() - c) / n, _handled(sim, off), n))
            for key in ('tottime', 'cumulative'):
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
                print(out.getvalue())
        print('load %s' % ' '.join('%.2f' % x for x in os.getloadavg()))


if __name__ == '__main__':
    main()

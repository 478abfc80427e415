"""Transport figures against the simulator: exchanges, TCP connections, TLS handshakes (full/resumed), wall time
and CPU for one power-status read per device (Get + Enumerate, as amt_power state=status does).

  .venv/bin/python scripts/measure_transport.py [--devices 100] [--workers 20] [--rounds 3] [--tree PATH]

--tree runs another checkout's module_utils (e.g. the previous transport, for before/after figures): PATH must
contain .collections/ansible_collections/oob/amt. Figures are written to docs/dev/transport.md by hand.
"""
import argparse
import os
import resource
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--devices', type=int, default=100)
    parser.add_argument('--workers', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--tree', default=REPO)
    args = parser.parse_args()
    sys.path[:0] = [os.path.join(args.tree, '.collections'), REPO]
    from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
    from tests.simulator.harness import Simulator

    sim = Simulator(devices=args.devices)
    sim.start()
    try:
        rows = []
        for _round in range(args.rounds):
            totals = {'exchanges': 0, 'connections': 0, 'resumed': 0}
            lock = threading.Lock()

            def one(addr):
                c = WsmanClient(**sim.connection(addr))
                try:
                    c.get('AMT_GeneralSettings')
                    c.enumerate('CIM_ServiceAvailableToElement')
                finally:
                    c.close()
                with lock:
                    totals['exchanges'] += c.exchanges
                    totals['connections'] += c.transport.connections
                    totals['resumed'] += getattr(c.transport, 'tls_resumed', 0)

            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.monotonic()
            with ThreadPoolExecutor(args.workers) as pool:
                list(pool.map(one, sim.addresses))
            wall = time.monotonic() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            rows.append((wall, cpu, totals))
        walls = [r[0] for r in rows]
        cpus = [r[1] for r in rows]
        t = rows[-1][2]
        print('tree=%s devices=%d workers=%d rounds=%d' % (args.tree, args.devices, args.workers, args.rounds))
        print('per device: %.2f exchanges, %.2f TCP/TLS connections, %.2f resumed TLS sessions'
              % (t['exchanges'] / args.devices, t['connections'] / args.devices, t['resumed'] / args.devices))
        print('wall median %.2f s (min %.2f, max %.2f); client CPU median %.1f ms per device'
              % (statistics.median(walls), min(walls), max(walls), 1000 * statistics.median(cpus) / args.devices))
    finally:
        sim.stop()


if __name__ == '__main__':
    main()

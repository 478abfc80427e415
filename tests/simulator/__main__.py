"""Command line: python -m tests.simulator --devices N --first-address 127.20.0.1 --state-dir DIR ...

Contract (relied on by benchmarks and outside checks): prints ``READY N`` once every device
listens; exits cleanly on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import os
import resource
import signal
import sys

from tests.simulator.server import Fleet


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='python -m tests.simulator', description='Simulated fleet of Intel AMT devices')
    p.add_argument('--devices', type=int, required=True, help='number of devices (consecutive loopback addresses)')
    p.add_argument('--first-address', default='127.20.0.1', help='address of the first device')
    p.add_argument('--state-dir', required=True, help='directory for device state (one JSON per device) and the CA')
    p.add_argument('--admin-password', default='P@ssw0rd', help='admin password of new devices')
    p.add_argument('--mode', choices=['pre', 'ccm', 'acm'], default='ccm', help='provisioning of new devices')
    p.add_argument('--request-log', help='append one JSON line per HTTP exchange to this file')
    p.add_argument('--control-port', type=int, help='JSON control API on 127.0.0.1:PORT (tests only)')
    p.add_argument('--fleet-spec', help='JSON file with per-device overrides, non_amt_http and blackhole addresses')
    p.add_argument('--local-port', type=int, default=16990, help='port of the host-local (LMS) interface')
    p.add_argument('--local-tls-port', type=int, default=16991,
                   help='TLS port of the host-local (LMS) interface (LMS 16993 on a real host; 0: none)')
    p.add_argument('--mei', action='store_true',
                   help='MEI stand-in per device: Unix socket <state-dir>/mei/<address>.sock (tests/simulator/mei_standin.py)')
    p.add_argument('--http-only', action='store_true', help='serve only plain HTTP on 16992')
    p.add_argument('--no-tls', action='store_true', help='no TLS listeners and no CA (fastest start)')
    p.add_argument('--seed', default='', help='seed for the generated device data')
    p.add_argument('--rmcp-port', type=int, default=623,
                   help='UDP port of the ASF/RMCP presence pong on every device address (0: none; if binding fails, '
                        'RMCP is skipped with a warning)')
    p.add_argument('--redirection', choices=['auto', 'on', 'off'], default='auto',
                   help='redirection listeners (SOL, IDE-R/USB-R) on 16994/16995 per device (auto: fleets up to 256)')
    return p.parse_args(argv)


async def main(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fleet = Fleet(args)
    await fleet.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write('READY %d\n' % len(fleet.devices))
    sys.stdout.flush()
    # AMTSIM_PROFILE=FILE (environment, not a flag): cProfile (CPU time) of the serving time written to FILE at
    # exit; SIGUSR1 writes what was profiled so far to FILE.<n> and starts afresh (profile one window of a run)
    profile_path = os.environ.get('AMTSIM_PROFILE')
    prof = [None, 0]
    if profile_path:
        import cProfile
        import time

        def restart():
            if prof[0] is not None:
                prof[0].disable()
                prof[1] += 1
                prof[0].dump_stats('%s.%d' % (profile_path, prof[1]))
            prof[0] = cProfile.Profile(time.process_time)
            prof[0].enable()
        restart()
        loop.add_signal_handler(signal.SIGUSR1, restart)
    await stop.wait()
    if prof[0] is not None:
        prof[0].disable()
        prof[0].dump_stats(profile_path)
    await fleet.stop()


if __name__ == '__main__':
    asyncio.run(main(parse_args()))

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet path: one task runs a device operation on many devices over a bounded thread pool.

Ansible's per-host task costs a worker process per host-task (fork, page faults, result queue) before any
of our code runs; a fleet task runs the same runner (device.execute) once per device inside one process,
with at most `fleet_workers` devices in flight. Each device gets its own client, its own result and its
own error; a failure is recorded and the others go on. The task fails only when the share of failed
devices is above `max_fail_percentage` (default 0: any failure fails the task, after every device ran).

Used by run_device_module (module process, `devices` list) and by the controller-side action plugin
(plugins/plugin_utils/amt_action.py), which also resolves an inventory pattern (`targets`) into devices.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import pickle

try:
    from concurrent.futures import ThreadPoolExecutor
except ImportError:     # pragma: no cover - Python 2 only
    ThreadPoolExecutor = None

# Per-device keys a `devices` entry may set; everything else comes from the task's own options.
DEVICE_KEYS = ('name', 'host', 'port', 'use_tls', 'username', 'password', 'ca_path', 'cert_fingerprint',
               'validate_certs', 'last')

FLEET_ARGSPEC = dict(
    devices=dict(type='list', elements='dict', options=dict(
        name=dict(type='str'),
        host=dict(type='str', required=True),
        port=dict(type='int'),
        use_tls=dict(type='bool'),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        ca_path=dict(type='path'),
        cert_fingerprint=dict(type='str'),
        validate_certs=dict(type='bool'),
        last=dict(type='bool', default=False),
    )),
    targets=dict(type='str'),
    fleet_workers=dict(type='int', default=50),
    max_fail_percentage=dict(type='float', default=0),
)
FLEET_KEYS = tuple(FLEET_ARGSPEC)

# failures named in the task's msg (all of them are in failed_devices and fleet)
MSG_LIMIT = 20

# From this many devices the fleet is split over processes (fork), one per core (at most 4): the client code of
# one Python process runs on one core at a time (the GIL), and `make bench` showed the fleet path CPU-bound there
# (about 10 ms of CPU per device, wall time = CPU time) while the other core idled.
SPLIT_MIN_DEVICES = 100
MAX_PROCESSES = 4


class FleetInputError(ValueError):
    pass


def is_fleet(params):
    return params.get('devices') is not None or bool(params.get('targets'))


def normalise_devices(devices):
    """[{'name':, 'host':, ...}] from a list of host strings and/or dicts; names unique."""
    out, seen = [], set()
    for index, entry in enumerate(devices or []):
        if isinstance(entry, str):
            entry = {'host': entry}
        if not isinstance(entry, dict):
            raise FleetInputError('option devices: entry %d must be a host name/address or a dict with host, got %r'
                                  % (index + 1, type(entry).__name__))
        unknown = sorted(set(entry) - set(DEVICE_KEYS))
        if unknown:
            raise FleetInputError('option devices: entry %d has unknown keys %s (allowed: %s)'
                                  % (index + 1, ', '.join(unknown), ', '.join(DEVICE_KEYS)))
        if not entry.get('host'):
            raise FleetInputError('option devices: entry %d has no host' % (index + 1))
        device = dict((k, v) for k, v in entry.items() if v is not None)
        device.setdefault('name', str(device['host']))
        if device['name'] in seen:
            raise FleetInputError('option devices: %s is listed twice' % device['name'])
        seen.add(device['name'])
        out.append(device)
    return out


def check_fleet_params(params):
    workers = params.get('fleet_workers')
    if workers is not None and not 1 <= int(workers) <= 1024:
        raise FleetInputError('option fleet_workers must be between 1 and 1024, got %s' % workers)
    pct = params.get('max_fail_percentage')
    if pct is not None and not 0 <= float(pct) <= 100:
        raise FleetInputError('option max_fail_percentage must be between 0 and 100, got %s' % pct)


def _device_params(params, device):
    merged = dict((k, v) for k, v in params.items() if k not in FLEET_KEYS)
    for key in DEVICE_KEYS:
        if key not in ('name', 'last') and key in device:
            merged[key] = device[key]
    return merged


def _entry(device, result):
    """One device's entry in the fleet result: what the operation returned, plus before/after from its diff."""
    entry = dict(result)
    entry.pop('invocation', None)
    entry['host'] = device['host']
    entry['changed'] = bool(result.get('changed'))
    entry['failed'] = bool(result.get('failed'))
    delta = entry.pop('diff', None)
    if isinstance(delta, dict) and 'before' in delta:
        entry['before'], entry['after'] = delta.get('before'), delta.get('after')
    return entry, delta


def _run_threads(group, workers, one):
    if workers <= 1 or ThreadPoolExecutor is None or len(group) <= 1:
        return [one(device) for device in group]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [future.result() for future in [pool.submit(one, device) for device in group]]


def _processes(count, workers):
    if not hasattr(os, 'fork') or count < SPLIT_MIN_DEVICES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES, workers, count // (SPLIT_MIN_DEVICES // 2)))


def _run_group(group, workers, one, op_name):
    """Records of every device of the group: over threads in this process, or over forked processes (each with
    its share of the workers, so at most `workers` devices are in flight) when the group is large."""
    processes = _processes(len(group), workers)
    if processes <= 1:
        return _run_threads(group, workers, one)
    share = max(1, workers // processes)
    chunks = [group[i::processes] for i in range(processes)]
    children = []
    for chunk in chunks[1:]:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:                                   # child: run its chunk, send the records, leave at once
            code = 1
            try:
                os.close(read_fd)
                with os.fdopen(write_fd, 'wb') as out:
                    pickle.dump(_run_threads(chunk, share, one), out, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)                         # no atexit, no flush of the parent's buffers
        os.close(write_fd)
        children.append((pid, read_fd, chunk))
    records = _run_threads(chunks[0], share, one)
    for pid, read_fd, chunk in children:
        with os.fdopen(read_fd, 'rb') as inp:
            data = inp.read()
        status = os.waitpid(pid, 0)[1]
        try:
            got = pickle.loads(data) if data else []
        except Exception:    # a child that died mid-write: its devices are reported below
            got = []
        records.extend(got)
        done = set(record[0] for record in got)
        for device in chunk:
            if device['name'] not in done:
                entry, delta = _entry(device, {'failed': True, 'msg': (
                    'AMT device %s: %s: the worker process that ran this device ended unexpectedly (wait status %s); '
                    'the outcome is unknown: run the task again to converge' % (device['host'], op_name, status))})
                records.append((device['name'], entry, delta, []))
    return records


def run_fleet(operation, params, devices, execute, check_mode=False, diff=False):
    """Run `operation` on every device: (result, warnings). `execute` is device.execute (injected: no cycle)."""
    check_fleet_params(params)
    devices = normalise_devices(devices)
    workers = min(int(params.get('fleet_workers') or 50), max(len(devices), 1))
    entries, diffs, warnings = {}, {}, []
    try:
        op_name = operation.name(params)
    except Exception:   # the name needs an option the device entry sets: name the module's operation generically
        op_name = 'operation'

    def one(device):
        """(name, entry, diff, warnings) of one device."""
        try:
            result, device_warnings = execute(operation, _device_params(params, device), check_mode=check_mode,
                                              diff=True)
        except Exception as exc:    # a bug in one device's path must not cost the others their results
            result, device_warnings = {'failed': True, 'msg': 'AMT device %s: %s: unexpected error %s: %s' % (
                device['host'], op_name, type(exc).__name__, exc)}, []
        entry, delta = _entry(device, result)
        return device['name'], entry, delta, device_warnings

    def keep(record):
        name, entry, delta, device_warnings = record
        entries[name] = entry
        if delta:
            diffs[name] = delta
        for warning in device_warnings:
            if warning not in warnings:
                warnings.append(warning)

    # devices marked last (the controller's own device) start only when every other device has finished
    for group in ([d for d in devices if not d.get('last')], [d for d in devices if d.get('last')]):
        for record in _run_group(group, workers, one, op_name):
            keep(record)
    ordered = dict((d['name'], entries[d['name']]) for d in devices)
    failed = [name for name, e in ordered.items() if e['failed']]
    changed = [name for name, e in ordered.items() if e['changed']]
    total = len(ordered)
    pct = 100.0 * len(failed) / total if total else 0.0
    threshold = float(params.get('max_fail_percentage') or 0)
    result = {
        'changed': bool(changed),
        'fleet': ordered,
        'fleet_summary': {'total': total, 'ok': total - len(failed), 'failed': len(failed), 'changed': len(changed),
                          'failed_percentage': round(pct, 2), 'max_fail_percentage': threshold,
                          'workers': workers},
        'failed_devices': failed,
        'changed_devices': changed,
    }
    if diff:
        result['diff'] = [dict(before_header=name, after_header=name, before=d.get('before'), after=d.get('after'))
                          for name, d in ((n, diffs.get(n)) for n in ordered) if isinstance(d, dict)]
    listing = '; '.join('%s: %s' % (name, ordered[name].get('msg', 'failed')) for name in failed[:MSG_LIMIT])
    if len(failed) > MSG_LIMIT:
        listing += '; ... and %d more (see failed_devices)' % (len(failed) - MSG_LIMIT)
    if not total:
        result['msg'] = 'no devices to act on (devices empty, or targets matched no host within the limit)'
    elif failed and pct > threshold:
        result['failed'] = True
        result['msg'] = ('%d of %d devices failed (%.1f%% > max_fail_percentage %g); the others ran: %s'
                         % (len(failed), total, pct, threshold, listing))
    elif failed:
        result['msg'] = ('%d of %d devices ok, %d failed (%.1f%%, within max_fail_percentage %g): %s'
                         % (total - len(failed), total, len(failed), pct, threshold, listing))
        warnings.append(result['msg'])
    else:
        result['msg'] = '%d devices ok, %d changed%s' % (total, len(changed), ' (check mode)' if check_mode else '')
    return result, warnings


__all__ = ['FLEET_ARGSPEC', 'FLEET_KEYS', 'DEVICE_KEYS', 'FleetInputError', 'is_fleet', 'normalise_devices',
           'run_fleet', 'check_fleet_params']

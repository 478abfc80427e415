# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capture the host's serial console over Serial-over-LAN for a bounded time, optionally typing keys.

Free of AnsibleModule. The session runs in the process that runs the module: on a local connection that
is the controller, where ``dest`` is written.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import tempfile
import time

from ansible_collections.oob.amt.plugins.module_utils.amt.boot import set_redirection_boot
from ansible_collections.oob.amt.plugins.module_utils.amt.media import (
    MediaError, check_redirection, plan_power, session_from_params)
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import Operation
from ansible_collections.oob.amt.plugins.module_utils.amt.power import request_power
from ansible_collections.oob.amt.plugins.module_utils.redir.errors import RedirError
from ansible_collections.oob.amt.plugins.module_utils.redir.sol import SolConsole, encode_keys

OPTIONS = dict(
    duration=dict(type='float', default=60),
    dest=dict(type='path'),
    append=dict(type='bool', default=False),
    stop_on=dict(type='str'),
    keys=dict(type='list', elements='str', no_log=True),
    keys_after=dict(type='str', no_log=False),
    keys_delay=dict(type='float', default=0.5, no_log=False),
    power=dict(type='str', default='none', choices=['none', 'on_or_reset']),
    bios_console=dict(type='bool', default=False),
    tail_lines=dict(type='int', default=20),
    redirection_port=dict(type='int'),
    enable_redirection=dict(type='bool', default=False),
)

_ANSI = re.compile(r'\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_]|O.)')


class SolError(MediaError):
    """A refusal or failure the user can act on."""


def prepare(params):
    if params.get('duration') is None or params['duration'] <= 0:
        raise SolError('option duration must be a positive number of seconds')
    if params.get('keys_delay') is not None and params['keys_delay'] < 0:
        raise SolError('option keys_delay must not be negative')
    if params.get('tail_lines') is not None and params['tail_lines'] < 0:
        raise SolError('option tail_lines must not be negative')
    if params.get('bios_console') and params.get('power') == 'none':
        raise SolError('option bios_console needs power=on_or_reset: the setting applies to the next boot only')
    port = params.get('redirection_port')
    if port is not None and not 1 <= port <= 65535:
        raise SolError('option redirection_port must be between 1 and 65535')
    dest = params.get('dest')
    if dest:
        parent = os.path.dirname(os.path.abspath(dest)) or '.'
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            raise SolError('option dest: cannot write in the directory %s on the controller' % parent)
    params = dict(params)
    try:
        params['_key_bytes'] = [encode_keys(k) for k in (params.get('keys') or [])]
    except ValueError as exc:
        raise SolError('option keys: %s' % exc)
    return params


def console_text(data):
    """Printable text of console bytes: ANSI/VT100 control sequences removed, CR LF -> LF."""
    text = data.decode('utf-8', 'replace')
    text = _ANSI.sub('', text).replace('\r\n', '\n').replace('\r', '\n')
    return ''.join(c for c in text if c == '\n' or c == '\t' or ord(c) >= 32)


def _write_dest(path, data, append):
    """Write the capture; returns True when the file changed."""
    if append:
        if not data:
            return False
        with open(path, 'ab') as fh:
            fh.write(data)
        return True
    if os.path.exists(path):
        with open(path, 'rb') as fh:
            if fh.read() == data:
                return False
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix='.amt_sol.')
    with os.fdopen(fd, 'wb') as fh:
        fh.write(data)
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)
    return True


def run_sol(client, params, check_mode=False, diff=False):
    params = prepare(params)
    result = {'changed': False, 'bytes_captured': 0, 'keys_sent': 0, 'power_action': None, 'stopped': None,
              'dest': params.get('dest'), 'console_tail': []}
    result['redirection'] = check_redirection(client, 'sol', params['enable_redirection'], check_mode)
    power = None
    if params['power'] != 'none':
        power = plan_power(client)
        result['power_action'] = dict((k, v) for k, v in power.items() if not k.startswith('_'))
    if check_mode:
        result['changed'] = bool(power or params['_key_bytes'] or params.get('dest')
                                 or result['redirection']['changed'])
        result['exchanges'] = client.exchanges
        return result
    session = session_from_params(params)
    console = None
    captured = bytearray()
    pending_keys = list(params['_key_bytes'])
    keys_after = params.get('keys_after')
    stop_on = params.get('stop_on')
    started = time.monotonic()
    try:
        session.open('sol', operation='open the Serial-over-LAN session')
        console = SolConsole(session)
        console.open()
        if power is not None:
            if params['bios_console']:
                set_redirection_boot(client, None, use_sol=True)
            request_power(client, power['value'], power['_state'])
        session.operation = 'capture the Serial-over-LAN console'
        deadline = time.monotonic() + params['duration']
        next_key_at = time.monotonic()
        keys_armed = not keys_after
        result['stopped'] = 'duration'
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            if pending_keys and not keys_armed and keys_after in console_text(bytes(captured)):
                keys_armed = True
                next_key_at = now
            if pending_keys and keys_armed and now >= next_key_at:
                console.write(pending_keys.pop(0))
                result['keys_sent'] += 1
                next_key_at = now + params['keys_delay']
            wait = min(deadline - now, 0.2 if pending_keys else 1.0)
            data = console.read(wait)
            if data:
                captured.extend(data)
                if stop_on and stop_on in console_text(bytes(captured)) and not pending_keys:
                    result['stopped'] = 'stop_on'
                    break
            if console.closed_by_device:
                result['stopped'] = 'closed_by_device'
                break
    except RedirError as err:
        err.details.update({'bytes_captured': len(captured), 'keys_sent': result['keys_sent']})
        if params.get('dest') and captured:
            _write_dest(params['dest'], bytes(captured), params['append'])
            err.details['dest'] = params['dest']
        raise
    finally:
        if console is not None:
            console.close()
        else:
            session.close(graceful=False)
    data = bytes(captured)
    result['bytes_captured'] = len(data)
    result['captured_seconds'] = round(time.monotonic() - started, 3)
    lines = console_text(data).split('\n')
    while lines and not lines[-1].strip():
        lines.pop()
    result['console_tail'] = lines[-params['tail_lines']:] if params['tail_lines'] else []
    changed_file = False
    if params.get('dest'):
        changed_file = _write_dest(params['dest'], data, params['append'])
    result['changed'] = bool(power or result['keys_sent'] or changed_file or result['redirection']['changed'])
    if pending_keys:
        result['warnings'] = ['%d of %d key sequences were not sent: %s' % (
            len(pending_keys), len(params['_key_bytes']),
            'the text in keys_after never appeared' if keys_after and not result['keys_sent']
            else 'the capture ended first')]
    result['exchanges'] = client.exchanges
    return result


OPERATION = Operation(OPTIONS, run_sol, name=lambda params: 'Serial-over-LAN capture', prepare=prepare)

__all__ = ['OPERATION', 'OPTIONS', 'prepare', 'run_sol', 'SolError', 'console_text']

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Boot a device from an image on the controller: storage redirection (IDE-R / USB-R) + one-time boot + power.

Order, as Intel's consoles do it (MeshCommander: open IDE-R, then "Reset to IDE-R CD"): check that the
listener and the feature are on (WS-Man), open the storage redirection session and arm the virtual drive,
set the one-time boot to it (amt/boot.py), power on or reset (amt/power.py), answer the device's reads
until it goes quiet or the time is up, close the session. Free of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

from ansible_collections.oob.amt.plugins.module_utils.amt.boot import set_redirection_boot
from ansible_collections.oob.amt.plugins.module_utils.amt.constants import power_state_name
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.amt.power import read_power, request_power
from ansible_collections.oob.amt.plugins.module_utils.amt.redirection import ensure_listeners, read_listeners
from ansible_collections.oob.amt.plugins.module_utils.redir.errors import ENABLE_HINT, RedirError
from ansible_collections.oob.amt.plugins.module_utils.redir.ider import START_MODES, IderServer, Media
from ansible_collections.oob.amt.plugins.module_utils.redir.session import RedirSession, storage_protocol_name

SESSION_KEYS = ('host', 'username', 'password', 'use_tls', 'validate_certs', 'ca_path', 'client_cert', 'client_key',
                'ciphers', 'min_tls_version', 'cert_fingerprint', 'timeout')

OPTIONS = dict(
    image=dict(type='path', required=True),
    media=dict(type='str', choices=['cdrom', 'floppy']),
    boot=dict(type='bool', default=True),
    power=dict(type='str', default='on_or_reset', choices=['on_or_reset', 'none']),
    attach=dict(type='str', default='on_reboot', choices=list(START_MODES)),
    use_sol=dict(type='bool', default=False),
    serve_until=dict(type='str', default='idle', choices=['idle', 'timeout']),
    serve_timeout=dict(type='int', default=300),
    idle_timeout=dict(type='float', default=10),
    require_read=dict(type='bool', default=True),
    redirection_port=dict(type='int'),
    enable_redirection=dict(type='bool', default=False),
)


class MediaError(AmtError):
    """A refusal or failure the user can act on (message says what and why)."""


def prepare(params):
    image = params['image']
    if not os.path.isfile(image) or not os.access(image, os.R_OK):
        raise MediaError('option image: cannot read the file %s on the controller' % image)
    kind = params.get('media') or ('cdrom' if image.lower().endswith('.iso') else 'floppy')
    block = 2048 if kind == 'cdrom' else 512
    size = os.path.getsize(image)
    if size < block:
        raise MediaError('option image: %s holds %d bytes, less than one %d-byte %s block'
                         % (image, size, block, 'CD' if kind == 'cdrom' else 'disk'))
    if size % block:
        raise MediaError('option image: the size of %s (%d bytes) is not a multiple of %d bytes; a %s image must be'
                         % (image, size, block, 'CD' if kind == 'cdrom' else 'floppy/USB'))
    for opt in ('serve_timeout', 'idle_timeout'):
        if params.get(opt) is not None and params[opt] <= 0:
            raise MediaError('option %s must be a positive number of seconds' % opt)
    port = params.get('redirection_port')
    if port is not None and not 1 <= port <= 65535:
        raise MediaError('option redirection_port must be between 1 and 65535')
    params = dict(params)
    params['media'] = kind
    return params


def check_redirection(client, feature, enable=False, check_mode=False):
    """Fail before opening a session when WS-Man already says the device would refuse it, or (enable) switch the
    listener and the feature on (amt/redirection.py, the module oob.amt.amt_redirection uses the same code).
    Returns {'changed', 'before', 'after'} of the redirection switches."""
    if enable:
        change = ensure_listeners(client, check_mode=check_mode, **{feature: True})
        return {'changed': change['changed'], 'before': change['before'], 'after': change['after']}
    current = read_listeners(client)
    public = dict((k, v) for k, v in current.items() if not k.startswith('_'))
    if not current['listener']:
        raise MediaError('the redirection listener is disabled (AMT_RedirectionService.ListenerEnabled is false), so '
                         'ports 16994/16995 are closed. %s, or set enable_redirection: true' % ENABLE_HINT,
                         redirection=public)
    if not current[feature]:
        what = 'Storage redirection (IDE-R/USB-R)' if feature == 'ider' else 'Serial-over-LAN'
        raise MediaError('%s is disabled on the device (AMT_RedirectionService.EnabledState). %s, or set '
                         'enable_redirection: true' % (what, ENABLE_HINT), redirection=public)
    return {'changed': False, 'before': public, 'after': public}


def session_from_params(params):
    kwargs = dict((k, params.get(k)) for k in SESSION_KEYS)
    kwargs['port'] = params.get('redirection_port')
    if kwargs.get('timeout') is None:
        kwargs['timeout'] = 30
    return RedirSession(**kwargs)


def plan_power(client):
    state, available = read_power(client)
    value = 2 if state != 2 else 10
    if value not in available:
        raise MediaError('cannot %s the host: the device offers %s now'
                         % ('power on' if value == 2 else 'reset', ', '.join(power_state_name(v) for v in available)))
    return {'name': 'on' if value == 2 else 'reset', 'value': value, 'power_state_before': power_state_name(state),
            '_state': state}


def _public_stats(stats, started):
    first = stats['first_read']
    return {'bytes_served': stats['bytes_served'], 'sectors_served': stats['sectors_served'],
            'read_commands': stats['read_commands'], 'commands': dict(stats['commands']),
            'first_read_after': round(first - started, 3) if first else None, 'resets': stats['resets'],
            'refused_writes': stats['refused_writes'], 'reads': stats['reads'][:50]}


def run_media(client, params, check_mode=False, diff=False):
    params = prepare(params)
    kind = params['media']
    size = os.path.getsize(params['image'])
    result = {'changed': True, 'media': {'path': params['image'], 'kind': kind, 'size': size,
                                         'blocks': size // (2048 if kind == 'cdrom' else 512)},
              'redirection_type': storage_protocol_name(client.amt_version), 'boot_settings_changed': [],
              'power_action': None, 'bytes_served': 0, 'stopped': None}
    result['redirection'] = check_redirection(client, 'ider', params['enable_redirection'], check_mode)
    result['redirection_type'] = storage_protocol_name(client.amt_version)
    power = None
    if params['power'] != 'none':
        power = plan_power(client)
        result['power_action'] = dict((k, v) for k, v in power.items() if not k.startswith('_'))
    if params['boot']:
        result['boot_settings_changed'] = sorted(set_redirection_boot(client, kind, params['use_sol'], check_mode=True))
    if diff:
        result['diff'] = {'before': {'attached': None, 'next_boot': 'unchanged'},
                          'after': {'attached': '%s (%s)' % (params['image'], kind),
                                    'next_boot': ('redirected %s' % kind) if params['boot'] else 'unchanged'}}
    if check_mode:
        result['exchanges'] = client.exchanges
        return result

    session = session_from_params(params)
    server = None
    started = time.monotonic()
    try:
        session.open('ider', operation='open the storage redirection session')
        server = IderServer(session, **{kind: Media(params['image'], kind)})
        result['session'] = server.open()
        result['session']['port'] = session.port
        result['session']['tls'] = session.use_tls
        if params['boot']:
            set_redirection_boot(client, kind, params['use_sol'])
        if power is not None:
            request_power(client, power['value'], power['_state'])
        started = time.monotonic()
        idle = float(params['idle_timeout'])

        def stop(stats):
            if params['serve_until'] == 'idle' and stats['first_read'] is not None \
                    and time.monotonic() - (stats['last_command'] or 0) >= idle:
                return 'idle'
            return None
        session.operation = 'serve %s to the device' % params['image']
        result['stopped'] = server.serve(started + params['serve_timeout'], stop)
    except RedirError as err:
        if server is not None:
            err.details.update(_public_stats(server.stats, started))
        raise
    finally:
        if server is not None:
            server.close()
        else:
            session.close(graceful=False)
    result.update(_public_stats(server.stats, started))
    result['served_seconds'] = round(time.monotonic() - started, 3)
    result['session']['closed_cleanly'] = server.closed
    result['exchanges'] = client.exchanges
    if params['require_read'] and not server.stats['read_commands']:
        raise MediaError('the device did not read from the %s image within %ss of the %s (it may boot from another '
                         'device: check that the BIOS allows boot from the redirected drive, that user consent is not '
                         'pending in Client Control Mode, or raise serve_timeout)'
                         % (kind, params['serve_timeout'], result['power_action']['name'] if power else 'attach'),
                         **dict((k, v) for k, v in result.items() if k in ('bytes_served', 'commands', 'stopped',
                                                                           'power_action', 'boot_settings_changed')))
    return result


# Runs as a plain module: the session lasts seconds to minutes, so the controller-side action path (which saves
# a module process per quick WS-Man task) buys nothing; with a local connection the module runs on the controller
# anyway, where the image is.
OPERATION = Operation(OPTIONS, run_media, prepare=prepare,
                      name=lambda params: 'boot from %s over storage redirection' % params['image'])

__all__ = ['OPERATION', 'OPTIONS', 'prepare', 'run_media', 'MediaError', 'check_redirection']

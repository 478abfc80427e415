# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconciling the out-of-band inventory (what AMT reports) with the in-band one (what the OS reports)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import html
import json
import os

from ansible_collections.oob.amt.plugins.module_utils.amt.constants import BOGUS_UUIDS
from ansible_collections.oob.amt.plugins.module_utils.file_operation import FileOperation, failed
from ansible_collections.oob.amt.plugins.module_utils.formats.files import read_bytes, write_if_changed

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

FIELDS = ('uuid', 'serial', 'hostname', 'macs')


def _norm_mac(mac):
    return (mac or '').replace('-', ':').lower()


def normalise_oob(record):
    return {'name': record.get('name'), 'address': record.get('address'),
            'uuid': (record.get('uuid') or '').lower() or None,
            'serial': record.get('serial') or None,
            'hostname': (record.get('hostname') or '').lower() or None,
            'macs': sorted(set(_norm_mac(m) for m in record.get('macs') or [] if m)),
            'version': record.get('version'), 'control_mode': record.get('control_mode'),
            'power_state': record.get('power_state'), 'unreadable': record.get('unreadable') or None}


def oob_records(fleet, addresses=None):
    """Out-of-band records from the per-device results of an amt_info fleet read (gather general, power, hardware,
    network): {name: entry} -> [record], in the same order; a device that could not be read becomes a record with
    its reason in `unreadable`. addresses: {name: address} for the report (default each entry's host)."""
    out = []
    for name, entry in (fleet or {}).items():
        address = (addresses or {}).get(name) or entry.get('host')
        info = entry.get('amt_info') if not entry.get('failed') else None
        if not isinstance(info, dict):
            out.append({'name': name, 'address': address, 'unreadable': entry.get('msg') or 'failed'})
            continue
        general, hardware = info.get('general') or {}, info.get('hardware') or {}
        out.append({'name': name, 'address': address, 'uuid': general.get('uuid'),
                    'serial': (hardware.get('chassis') or {}).get('serial'), 'hostname': general.get('hostname'),
                    'macs': [i.get('mac') for i in (info.get('network') or {}).get('interfaces') or [] if i.get('mac')],
                    'version': general.get('amt_version'), 'control_mode': general.get('control_mode'),
                    'power_state': (info.get('power') or {}).get('state')})
    return out


def normalise_inband(record):
    return {'name': record.get('name'), 'uuid': (record.get('uuid') or '').lower() or None,
            'serial': record.get('serial') or None,
            'hostname': (record.get('hostname') or '').lower().split('.')[0] or None,
            'macs': sorted(set(_norm_mac(m) for m in record.get('macs') or [] if m))}


def reconcile(oob_records, inband_records):
    """Report dict: matched, mismatched (with fields), in-band only, out-of-band only, duplicate UUIDs."""
    oob = [normalise_oob(r) for r in oob_records]
    inband = [normalise_inband(r) for r in inband_records]
    uuid_counts = collections.Counter(r['uuid'] for r in oob if r['uuid'])
    duplicates = sorted(u for u, n in uuid_counts.items() if n > 1 or u in BOGUS_UUIDS)
    used = set()
    rows = []
    for dev in oob:
        if dev['unreadable']:
            # could not be read out of band: listed with the reason, never silently dropped
            rows.append({'status': 'unreadable', 'device': dev, 'host': None, 'matched_by': None, 'differences': [],
                         'reason': dev['unreadable']})
            continue
        match, how = None, None
        unique_uuid = dev['uuid'] and dev['uuid'] not in duplicates
        for i, host in enumerate(inband):
            if i in used:
                continue
            if unique_uuid and host['uuid'] == dev['uuid']:
                match, how = i, 'uuid'
                break
        if match is None and dev['macs']:
            for i, host in enumerate(inband):
                if i not in used and set(dev['macs']) & set(host['macs']):
                    match, how = i, 'mac'
                    break
        if match is None and dev['hostname']:
            for i, host in enumerate(inband):
                if i not in used and host['hostname'] == dev['hostname']:
                    match, how = i, 'hostname'
                    break
        if match is None:
            rows.append({'status': 'out_of_band_only', 'device': dev, 'host': None, 'matched_by': None,
                         'differences': []})
            continue
        used.add(match)
        host = inband[match]
        diffs = []
        for field in FIELDS:
            a, b = dev.get(field), host.get(field)
            if field == 'macs':
                if a and b and not set(a) & set(b):
                    diffs.append({'field': field, 'out_of_band': a, 'in_band': b})
            elif a and b and a != b:
                diffs.append({'field': field, 'out_of_band': a, 'in_band': b})
        rows.append({'status': 'mismatched' if diffs else 'matched', 'device': dev, 'host': host, 'matched_by': how,
                     'differences': diffs})
    for i, host in enumerate(inband):
        if i not in used:
            rows.append({'status': 'in_band_only', 'device': None, 'host': host, 'matched_by': None, 'differences': []})
    summary = collections.Counter(r['status'] for r in rows)
    statuses = ('matched', 'mismatched', 'in_band_only', 'out_of_band_only') + (('unreadable',) if summary['unreadable'] else ())
    return {'summary': dict((k, summary.get(k, 0)) for k in statuses),
            'duplicate_uuids': duplicates, 'devices': rows,
            'fleet': {'by_control_mode': dict(collections.Counter(d['control_mode'] or 'unknown' for d in oob)),
                      'by_version': dict(collections.Counter((d['version'] or 'unknown').split('.')[0] for d in oob)),
                      'by_power_state': dict(collections.Counter(d['power_state'] or 'unknown' for d in oob))}}


def _name(row):
    return (row['device'] or {}).get('name') or (row['host'] or {}).get('name')


_MD_SPECIAL = '\\`*_{}[]()#+!|~'


def md_text(value):
    """Text as it must go into a Markdown table cell: what devices and inventories report (host names, serials,
    reasons) is data, never table structure, emphasis, links or HTML. Line breaks become spaces, Markdown's special
    characters are backslash-escaped, and <, >, & become entities."""
    text = ' '.join(str(value).splitlines())
    text = html.escape(text, quote=False)
    return ''.join('\\' + ch if ch in _MD_SPECIAL else ch for ch in text)


def to_markdown(report, title='AMT reconciliation'):
    e = md_text
    lines = ['# %s' % e(title), '', '| status | count |', '|---|---|']
    lines += ['| %s | %d |' % (e(k.replace('_', ' ')), v) for k, v in report['summary'].items()]
    if report['duplicate_uuids']:
        lines += ['', '**Duplicate or bogus UUIDs:** ' + ', '.join(e(u) for u in report['duplicate_uuids'])]
    lines += ['', '| device | status | matched by | differences |', '|---|---|---|---|']
    for row in report['devices']:
        diffs = '; '.join('%s: AMT %s / OS %s' % (e(d['field']), e(d['out_of_band']), e(d['in_band']))
                          for d in row['differences'])
        lines.append('| %s | %s | %s | %s |' % (e(_name(row)), e(row['status'].replace('_', ' ')),
                                                e(row['matched_by'] or '-'), diffs or e(row.get('reason') or '-')))
    return '\n'.join(lines) + '\n'


_CSS = ('body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}'
        'td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f0f0f0}'
        'tr.mismatched td{background:#fde2e2}tr.out_of_band_only td,tr.in_band_only td{background:#fff4d6}'
        'tr.unreadable td{background:#e8e8e8}'
        '.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}'
        '.bar{display:inline-block;height:.8em;background:#4a7bd0;margin-right:.4em;vertical-align:middle}')


def _bars(counts):
    total = max(sum(counts.values()), 1)
    return ''.join('<div><span class="bar" style="width:%dpx"></span>%s: %d</div>'
                   % (int(200 * v / total), html.escape(str(k)), v) for k, v in sorted(counts.items()))


def to_html(report, title='AMT reconciliation'):
    e = html.escape
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head><body>'
             % (e(title), _CSS), '<h1>%s</h1>' % e(title), '<div class="cards">']
    parts += ['<div class="card" id="count-%s"><b>%d</b> %s</div>' % (k, v, e(k.replace('_', ' ')))
              for k, v in report['summary'].items()]
    parts.append('</div><h2>Fleet</h2><div class="cards">')
    for label, key in (('By control mode', 'by_control_mode'), ('By AMT major version', 'by_version'),
                       ('By power state', 'by_power_state')):
        parts.append('<div class="card"><h3>%s</h3>%s</div>' % (label, _bars(report['fleet'][key])))
    parts.append('</div>')
    if report['duplicate_uuids']:
        parts.append('<p class="dup"><b>Duplicate or bogus UUIDs:</b> %s</p>' % e(', '.join(report['duplicate_uuids'])))
    parts.append('<h2>Devices</h2><table id="devices"><tr><th>device</th><th>status</th><th>matched by</th>'
                 '<th>differences</th></tr>')
    for row in report['devices']:
        diffs = '<br>'.join('%s: AMT <code>%s</code> / OS <code>%s</code>'
                            % (e(d['field']), e(str(d['out_of_band'])), e(str(d['in_band'])))
                            for d in row['differences'])
        parts.append('<tr class="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>'
                     % (row['status'], e(str(_name(row))), e(row['status'].replace('_', ' ')),
                        e(row['matched_by'] or '-'), diffs or e(row.get('reason') or '-')))
    parts.append('</table></body></html>')
    return ''.join(parts)


# amt_reconcile's argument spec (the module and its action plugin use it)
OPTIONS = dict(
    out_of_band=dict(type='list', elements='dict', required=True),
    in_band=dict(type='list', elements='dict', default=[]),
    dest=dict(type='path'),
    formats=dict(type='list', elements='str', default=['json', 'markdown', 'html'],
                 choices=['json', 'yaml', 'markdown', 'html']),
    title=dict(type='str', default='AMT reconciliation'),
)

STRING_FIELDS = ('name', 'uuid', 'serial', 'hostname')


def check_records(option, records):
    """Refuse records the matcher cannot use; the message names the option, the entry and the field."""
    for i, record in enumerate(records or []):
        for field in STRING_FIELDS:
            value = record.get(field)
            allowed = (str,) if field in ('uuid', 'hostname') else (str, int)     # uuid and hostname are lower-cased
            if value is not None and (isinstance(value, bool) or not isinstance(value, allowed)):
                return 'option %s[%d].%s must be a string, got %s' % (option, i, field, type(value).__name__)
        macs = record.get('macs')
        if macs is not None and (not isinstance(macs, list) or any(m is not None and not isinstance(m, str) for m in macs)):
            return 'option %s[%d].macs must be a list of MAC address strings' % (option, i)
    return None


def run_reconcile(params, check_mode=False, diff=False):
    """amt_reconcile: the report, and its files in dest written only when they change: (result, warnings)."""
    p = params
    problem = check_records('out_of_band', p['out_of_band']) or check_records('in_band', p['in_band'])
    if problem:
        return failed(problem), []
    if p['dest'] and os.path.exists(p['dest']) and not os.path.isdir(p['dest']):
        return failed('option dest: %s exists and is not a directory' % p['dest']), []
    report = reconcile(p['out_of_band'], p['in_band'])
    renderers = {'json': ('reconcile.json', lambda: json.dumps(report, indent=2, sort_keys=True) + '\n'),
                 'markdown': ('reconcile.md', lambda: to_markdown(report, p['title'])),
                 'html': ('reconcile.html', lambda: to_html(report, p['title']))}
    if HAS_YAML:
        renderers['yaml'] = ('reconcile.yml', lambda: yaml.safe_dump(report, sort_keys=True))
    elif 'yaml' in p['formats']:
        return failed('formats: yaml needs the PyYAML library on the host that runs the module'), []
    files = []
    changed = False
    if p['dest']:
        if not check_mode:
            os.makedirs(p['dest'], exist_ok=True)
        for fmt in p['formats']:
            name, render = renderers[fmt]
            path = os.path.join(p['dest'], name)
            files.append(path)
            if check_mode:
                # the run would write it when it is missing or holds something else: predict exactly that
                changed = changed or read_bytes(path) != render().encode('utf-8')
            else:
                changed = write_if_changed(path, render().encode('utf-8'), 0o644) or changed
    return dict(changed=changed, report=report, files=files), []


OPERATION = FileOperation(OPTIONS, run_reconcile)

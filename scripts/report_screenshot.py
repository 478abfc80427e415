#!/usr/bin/env python
"""Render the reconciliation report of a sample fleet in headless Chromium: DOM probe + PNG screenshot.

Used by tests/integration/test_report_browser.py and to refresh docs/images/reconcile-report.png:
    .venv/bin/python scripts/report_screenshot.py docs/images/reconcile-report.png
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, '.collections'), ROOT]

from ansible_collections.oob.amt.plugins.module_utils.reconcile import reconcile, to_html  # noqa: E402

# Reads the computed style of every table row and writes it into the page, so --dump-dom shows what the
# browser actually painted (the report itself carries no script).
PROBE = ('<pre id="probe"></pre><script>'
         'var rows=[].slice.call(document.querySelectorAll("#devices tr")).slice(1).map(function(r){'
         'return {cls:r.className, bg:getComputedStyle(r.cells[0]).backgroundColor, h:r.getBoundingClientRect().height};});'
         'document.getElementById("probe").textContent=JSON.stringify({rows:rows,'
         'bars:document.querySelectorAll(".bar").length, width:document.body.scrollWidth});</script>')


def sample_fleet():
    oob, inband = [], []
    modes = ['acm', 'ccm', 'ccm', 'none']
    for i in range(12):
        oob.append({'name': 'pc-%02d' % i, 'address': '10.0.0.%d' % (10 + i), 'uuid': 'UUID-%02d' % i,
                    'serial': 'SN%02d' % i, 'hostname': 'pc-%02d' % i, 'macs': ['00:11:22:33:44:%02x' % i],
                    'control_mode': modes[i % 4], 'version': ['16.1.25', '12.0.45', '11.8.50'][i % 3],
                    'power_state': 'off' if i % 5 == 0 else 'on'})
        if i < 10:
            inband.append({'name': 'pc-%02d' % i, 'uuid': 'uuid-%02d' % i,
                           'serial': 'SN%02d' % i if i % 4 else 'OTHER%d' % i,
                           'hostname': 'pc-%02d.corp.example.com' % i, 'macs': ['00-11-22-33-44-%02x' % i]})
    inband.append({'name': 'laptop-99', 'uuid': 'uuid-99', 'serial': 'SN99', 'hostname': 'laptop-99', 'macs': []})
    return reconcile(oob, inband)


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(png_path, browser=None):
    browser = browser or chromium()
    work = tempfile.mkdtemp(prefix='report-')
    try:
        report = sample_fleet()
        page = os.path.join(work, 'report.html')
        with open(page, 'w') as fh:
            fh.write(to_html(report, 'AMT reconciliation (sample fleet)'))
        probe_page = os.path.join(work, 'probe.html')
        with open(probe_page, 'w') as fh:
            fh.write(to_html(report).replace('</body>', PROBE + '</body>'))
        flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--disable-dev-shm-usage',
                 '--user-data-dir=' + os.path.join(work, 'profile')]
        dom = subprocess.run([browser] + flags + ['--dump-dom', 'file://' + probe_page], capture_output=True,
                             text=True, timeout=120, check=True).stdout
        start = dom.index('<pre id="probe">') + len('<pre id="probe">')
        probe = json.loads(dom[start:dom.index('</pre>', start)].replace('&quot;', '"'))
        subprocess.run([browser] + flags + ['--window-size=1100,1000', '--screenshot=' + os.path.abspath(png_path),
                                            'file://' + page], capture_output=True, timeout=120, check=True)
        return report, probe
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'docs', 'images', 'reconcile-report.png')
    _report, result = render(out)
    print('%s written; %d rows painted' % (out, len(result['rows'])))

"""The reconciliation report in a real headless browser (Debian's Chromium): rows painted with the right
highlight, the fleet bars present, a screenshot that is a real image."""
import shutil
import struct

import pytest

from scripts import report_screenshot


def test_report_renders_in_chromium(tmp_path):
    browser = report_screenshot.chromium()
    if browser is None:
        pytest.fail('this test renders the report in a real browser: install Chromium (make browser, or '
                    'apt-get install chromium)')
    png = tmp_path / 'report.png'
    report, probe = report_screenshot.render(str(png), browser)
    assert len(probe['rows']) == len(report['devices'])
    colours = dict((row['cls'], row['bg']) for row in probe['rows'])
    assert colours['mismatched'] == 'rgb(253, 226, 226)'
    assert colours['out_of_band_only'] == colours['in_band_only'] == 'rgb(255, 244, 214)'
    assert colours['matched'] in ('rgba(0, 0, 0, 0)', 'transparent')
    assert probe['bars'] >= 6 and all(row['h'] > 10 for row in probe['rows'])
    data = png.read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    width, height = struct.unpack('>II', data[16:24])
    assert (width, height) == (1100, 1000) and len(data) > 20000
    assert shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')

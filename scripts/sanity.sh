#!/usr/bin/env bash
# ansible-test sanity without docker: a real ansible_collections/oob/amt copy, --python set,
# and a local stand-in for ansible-test's pip bootstrap (its download site is unreachable here).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for ver in 24_2 25_2 25_0 24_0; do
  cat > "$cache/get_pip_${ver}.py" <<'PY'
# Stand-in for get-pip.py: bootstrap pip from the interpreter's own ensurepip, then install
# what ansible-test asked for. ensurepip runs in a child process so it cannot hide pip's config.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
PY
done
dest="$root/build/sanity/ansible_collections/oob/amt"
rm -rf "$root/build/sanity"
mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard | while read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done \
  | tar -cf - -T - | tar -xf - -C "$dest"
cd "$dest"
# The copy lives under build/ (ignored by our own repository): give it a repository of its own so
# ansible-test lists exactly these files.
git init -q .
git add -A .
git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
skip=()
command -v shellcheck >/dev/null || skip+=(--skip-test shellcheck)
PATH="$venv/bin:$PATH" ansible-test sanity --python 3.11 --color no "${skip[@]}" "$@"

#!/usr/bin/env bash
# ansible-test sanity without docker: a real ansible_collections/oob/amt copy, --python set,
# and a local stand-in for ansible-test's pip bootstrap (its download site is unreachable here).
#
# Every run works in its own directory (mktemp), so concurrent runs cannot clobber each other:
# the collection copy lives there, and so does HOME, because ansible-test keeps its pip bootstrap
# and its per-test virtual environments under ~/.ansible/test. The shared ~/.ansible/test/venv and
# the venv cache (${OOB_AMT_CACHE:-~/.cache/oob-amt}/ansible-test/venv) are only read at the start:
# they seed the run's copy (hard links when possible); a run that finds a venv missing or half built
# (no marker.txt) builds it in its own copy. At the end, each venv the run built is published to the
# cache by one rename of a complete copy, so the next run (another checkout too) skips the build:
# cold, building them takes minutes. Concurrent runs never see a half-copied venv; the first wins.
# Set SANITY_KEEP=1 to keep the run directory (printed at the end) for inspection.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
real_home=$HOME
run=$(mktemp -d "${TMPDIR:-/tmp}/oob-sanity.XXXXXX")
cleanup() {
  [ "$(type -t publish_venvs)" = function ] && publish_venvs
  if [ "${SANITY_KEEP:-0}" = 1 ]; then echo "sanity run directory kept: $run" >&2; else rm -rf "$run"; fi
}
trap cleanup EXIT
home="$run/home"
cache="$home/.ansible/test/cache"
mkdir -p "$cache"
venv_cache="${OOB_AMT_CACHE:-$real_home/.cache/oob-amt}/ansible-test/venv"
# seed: every complete venv (marker.txt) of the shared directory and of the cache, as <test>/<python>/<hash>
for src in "$real_home/.ansible/test/venv" "$venv_cache"; do
  for v in "$src"/*/*/*/marker.txt; do
    [ -e "$v" ] || continue
    v=$(dirname "$v")
    rel=${v#"$src"/}
    to="$home/.ansible/test/venv/$rel"
    [ -e "$to" ] && continue
    mkdir -p "$(dirname "$to")"
    cp -al "$v" "$to" 2>/dev/null || { rm -rf "$to"; cp -a "$v" "$to"; }
  done
done
publish_venvs() {
  for v in "$home"/.ansible/test/venv/*/*/*/marker.txt; do
    [ -e "$v" ] || continue
    v=$(dirname "$v")
    rel=${v#"$home/.ansible/test/venv/"}
    [ -e "$real_home/.ansible/test/venv/$rel" ] || [ -e "$venv_cache/$rel" ] && continue
    mkdir -p "$venv_cache/$(dirname "$rel")" || return 0
    tmp=$(mktemp -d "$venv_cache/$(dirname "$rel")/.new.XXXXXX") || return 0
    if cp -a "$v/." "$tmp/" && mv -T "$tmp" "$venv_cache/$rel" 2>/dev/null; then
      echo "sanity: cached the $rel venv in $venv_cache" >&2
    else
      rm -rf "$tmp"
    fi
  done
}
# pip's configuration (proxy CA) and download cache stay the user's own.
for d in .config .cache; do
  [ -e "$real_home/$d" ] && ln -s "$real_home/$d" "$home/$d"
done
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
dest="$run/ansible_collections/oob/amt"
mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard | while read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done \
  | tar -cf - -T - | tar -xf - -C "$dest"
cd "$dest"
# The copy gets a repository of its own so ansible-test lists exactly these files.
git init -q .
git add -A .
git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
skip=()
command -v shellcheck >/dev/null || skip+=(--skip-test shellcheck)
HOME="$home" PATH="$venv/bin:$PATH" ansible-test sanity --python 3.11 --color no "${skip[@]}" "$@"

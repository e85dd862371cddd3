#!/usr/bin/env bash
# Builds the students' My course JupyterLab extension (hub_config/labextension) into
# hub_config/labextension/lab/ (package.json + static/), the folder that is installed as
# share/jupyter/labextensions/@medai/my-course. Safe to run again: nothing is done while the stamp
# (sha256 of package.json, package-lock.json, tsconfig.json, src/**, style/**) matches lab/.medai-stamp.
#
#   scripts/build-labextension.sh [VENV]    VENV: the environment with JupyterLab and jupyter_builder
#                                           (default ${MEDAI_PREFIX:-/opt/medai}/venv)
#
# Needs node >= 20.19 and npm; the node packages come from package-lock.json (npm ci), nothing else.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ext=$here/hub_config/labextension
venv=${1:-${MEDAI_PREFIX:-/opt/medai}/venv}
log() { printf '[build-labextension] %s\n' "$*" >&2; }
die() { printf '[build-labextension] ERROR: %s\n' "$*" >&2; exit 1; }

[ -f "$ext/package.json" ] && [ -f "$ext/package-lock.json" ] || die "no package.json/package-lock.json in $ext"
[ -x "$venv/bin/jupyter-labextension" ] && [ -x "$venv/bin/jupyter-builder" ] ||
  die "$venv has no jupyter-labextension/jupyter-builder: install medai's dependencies into it first (scripts/install.sh)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed (Debian: apt-get install nodejs npm)"

stamp() {
  (cd "$ext" && {
    sha256sum package.json package-lock.json tsconfig.json
    find src style -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1)
}

want=$(stamp)
if [ -f "$ext/lab/package.json" ] && [ "$(cat "$ext/lab/.medai-stamp" 2>/dev/null)" = "$want" ]; then
  log "up to date: $ext/lab"
  exit 0
fi

cd "$ext"
start=$SECONDS
log "npm ci (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error ||
  die "npm ci failed in $ext: is the npm registry reachable, and package-lock.json in sync with package.json?"
rm -rf lib lab
log "tsc + jupyter labextension build"
PATH="$venv/bin:$PATH" npm run --silent build || die "the build failed in $ext (see the TypeScript or rspack errors above)"
compgen -G "lab/static/remoteEntry.*.js" >/dev/null && [ -f lab/package.json ] ||
  die "the build wrote no lab/package.json and lab/static/remoteEntry.*.js"
echo "$want" >lab/.medai-stamp
log "built $ext/lab in $((SECONDS - start)) s"

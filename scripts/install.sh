#!/usr/bin/env bash
# Installs everything medai needs on a fresh Debian machine; safe to run again (each step checks first).
#
#   MEDAI_PREFIX   where the runtime lives (default /opt/medai): a venv built from the system's
#                  /usr/bin/python3, so that every user's server (own Unix account) can execute it,
#                  and configurable-http-proxy from npm.
#   MEDAI_EXTRAS   pip extras to install with medai (default "test").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${MEDAI_PREFIX:-/opt/medai}
venv=$prefix/venv
extras=${MEDAI_EXTRAS:-test}
chp_version=5.3.0
log() { printf '[install] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: the system Python with venv, node + npm for the proxy, and what tests need.
# scripts/debian-packages.txt: one package a line (# comments allowed); -test.txt too when testing
lists=("$here/scripts/debian-packages.txt")
[[ ",$extras," == *,test,* ]] && lists+=("$here/scripts/debian-packages-test.txt")
mapfile -t debs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${lists[@]}")
missing=()
for p in "${debs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
# node: any nodejs that brings npm will do (Debian's nodejs + npm, or a vendor build that bundles npm)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

as_root mkdir -p "$prefix"
as_root chmod 755 "$prefix"

# 2. configurable-http-proxy from npm, into the prefix (not system-wide).
chp=$prefix/node/node_modules/.bin/configurable-http-proxy
if ! [ -x "$chp" ] || ! grep -q "\"version\": \"$chp_version\"" "$prefix/node/node_modules/configurable-http-proxy/package.json" 2>/dev/null; then
  log "npm install configurable-http-proxy@$chp_version"
  as_root mkdir -p "$prefix/node"
  as_root npm install --silent --no-audit --no-fund --prefix "$prefix/node" "configurable-http-proxy@$chp_version" >/dev/null
fi

# 3. The Python environment, from /usr/bin/python3 (pyenv's Python under /root is not executable by users).
if ! [ -x "$venv/bin/python" ]; then
  log "creating $venv from /usr/bin/python3"
  as_root /usr/bin/python3 -m venv "$venv"
  as_root "$venv/bin/python" -m pip install -q --upgrade "pip>=25"
fi
pip=("$venv/bin/python" -m pip install -q)
[ -d /opt/wheels ] && pip+=(--find-links /opt/wheels)

# Dependencies: re-resolved only when pyproject.toml changes (stamp = its hash + the extras).
stamp=$venv/.medai-deps
want="$(sha256sum "$here/pyproject.toml" | cut -d' ' -f1) $extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # torch first and pinned, so nothing after it can pull a multi-GB CUDA build
  log "pip install torch==2.13.0 (local CPU wheel)"
  as_root "${pip[@]}" "torch==2.13.0"
  # the requirements themselves (not "$here[$extras]": building medai needs the lab extension, built below)
  mapfile -t reqs < <("$venv/bin/python" - "$here/pyproject.toml" "$extras" <<'PY'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
reqs = list(project["dependencies"])
for extra in filter(None, sys.argv[2].split(",")):
    reqs += project["optional-dependencies"][extra]
print("\n".join(reqs))
PY
  )
  log "pip install medai[$extras] dependencies (${#reqs[@]})"
  as_root "${pip[@]}" "${reqs[@]}"
  # rfc3987-syntax compiles lark grammars at import (~3 s in every process that imports jsonschema:
  # each user server, nbgrader, monai). jsonschema then only skips IRI format checks; nothing we use needs them.
  as_root "$venv/bin/python" -m pip uninstall -q -y rfc3987-syntax 2>/dev/null || true
  echo "$want" | as_root tee "$stamp" >/dev/null
fi

# The students' My course panel: a JupyterLab extension built from its committed sources with the JupyterLab
# builder from npm (package-lock.json); skipped while its sources are unchanged. medai's install ships it.
as_root bash "$here/scripts/build-labextension.sh" "$venv"

# medai itself, always (cheap): a regular install, so users' servers never read from this checkout.
log "pip install medai (no deps) from $here"
# setuptools reuses an in-tree build/ folder: stale copies of moved or deleted modules would be installed too
as_root rm -rf "$here/build"
as_root "${pip[@]}" --no-deps --force-reinstall "$here"
as_root chmod -R a+rX "$prefix"
log "ready: $venv/bin/medai"

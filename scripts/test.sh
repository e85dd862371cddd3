#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what it needs first (idempotent), then pytest.
#   bash scripts/test.sh            everything (servers, kernels, nbgrader), 2 workers
#   bash scripts/test.sh -m "not slow"   only the fast unit tests
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/scripts/install.sh"
venv=${MEDAI_PREFIX:-/opt/medai}/venv
export PATH="$venv/bin:$PATH"
cd "$here"
exec "$venv/bin/python" -m pytest -n 2 --dist loadfile -p no:cacheprovider "$@"

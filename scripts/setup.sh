#!/usr/bin/env bash
# Install what newscrawl needs on a fresh Debian machine.
#   bash scripts/setup.sh         Python packages for crawling (and the offline demo)
#   bash scripts/setup.sh --dev   plus test and benchmark packages, and the Debian packages
#                                 the test suite uses (PostgreSQL, Chromium, Redis)
set -euo pipefail
cd "$(dirname "$0")/.."
# pip 23 (the image default) trips over trafilatura's lxml[html_clean] extra; newer pip resolves it.
python3 -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25"
python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
missing=()
# LightGBM (the opt-in block model, -s EXTRACTION_BLOCK_MODEL=true) loads OpenMP's runtime.
if ! python3 -c "import ctypes.util, sys; sys.exit(not ctypes.util.find_library('gomp'))"; then
  missing+=(libgomp1)
fi
if [ "${1:-}" = "--dev" ]; then
  python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  for pair in pg_ctl:postgresql chromium:chromium redis-server:redis-server; do
    tool=${pair%%:*}; package=${pair#*:}
    if ! command -v "$tool" >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/"$tool" >/dev/null 2>&1; then
      missing+=("$package")
    fi
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

#!/usr/bin/env bash
# Installs whatever is missing, idempotently (fast when nothing changed):
#   1. Debian packages listed in scripts/apt-packages.txt (and Node.js/npm when `node` is absent);
#   2. node_modules (npm install; patch-package applies patches/*.patch; REDISMS_DISABLE_POSTINSTALL=1
#      stops redis-memory-server downloading Redis sources: the system redis-server is used);
#   3. python_modules via scripts/postinstall.mjs: `motia install` (requirements.txt), then
#      `pip install --no-deps -r requirements-nodeps.txt` and `pip install --no-deps -e .` (compat mode), and the .pth fix.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_missing=()
want=$(grep -v '^\s*#' scripts/apt-packages.txt 2>/dev/null | tr -s ' \t' '\n' | sort -u || true)
command -v node >/dev/null 2>&1 || want+=$'\nnodejs\nnpm'
# python_modules is created with `python3 -m venv` (motia install): needs python3 with venv + ensurepip
if [ ! -x python_modules/bin/python ]; then
  command -v python3 >/dev/null 2>&1 || want+=$'\npython3'
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || want+=$'\npython3-venv'
fi
for pkg in $want; do
  dpkg -s "$pkg" >/dev/null 2>&1 || apt_missing+=("$pkg")
done
if ((${#apt_missing[@]})); then
  echo "[install] apt packages missing: ${apt_missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

export REDISMS_DISABLE_POSTINSTALL=1 MOTIA_ANALYTICS_DISABLED=true
stamp=node_modules/.pte-npm-stamp
sum=$(cat package.json package-lock.json patches/*.patch 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -x node_modules/.bin/motia ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  echo "[install] npm install"
  npm install --no-audit --no-fund   # postinstall: patch-package && node scripts/postinstall.mjs
  echo "$sum" > "$stamp"
else
  node scripts/postinstall.mjs       # python_modules (skipped when requirements are unchanged) + .pth
fi

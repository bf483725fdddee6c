#!/usr/bin/env bash
# Things the test suite needs beyond the Python lock (requirements/dev.txt), installed only
# when missing:
# Debian's chromium renders the HTML reports and drives the admin browser test.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian chromium for the browser tests…"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

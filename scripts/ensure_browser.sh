#!/usr/bin/env bash
# Make Debian's Chromium available for the headless-browser tests.
# Installs it with apt-get when it is missing and we can (root or passwordless sudo);
# otherwise says why, and the browser tests skip (except in CI, where they fail).
set -uo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "==> chromium present"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "==> chromium missing and apt-get needs root: browser tests will be skipped"
  exit 0
fi
echo "==> installing chromium with apt-get (one time, about a minute)"
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; then
  echo "==> chromium installed: $(chromium --version 2>/dev/null)"
else
  echo "==> could not install chromium: browser tests will be skipped"
fi
exit 0

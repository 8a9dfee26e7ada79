#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright; install it if it is missing.
set -euo pipefail
if [ -x "${LISTINGGUARD_CHROMIUM:-/usr/bin/chromium}" ]; then
  exit 0
fi
if command -v apt-get >/dev/null && [ "$(id -u)" = "0" ]; then
  echo "installing Debian's chromium for the browser tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Chromium not found; install the 'chromium' package (browser tests will be skipped)" >&2
fi

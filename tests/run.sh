#!/usr/bin/env bash
# The test command (README): provisions what the test suite needs on a fresh Debian machine,
# then runs every test. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
# A real browser for the console test (tests/console_browser.rs).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The browser driver for the console test.
if ! python3 -c 'import selenium' >/dev/null 2>&1; then
  echo "tests/run.sh: installing selenium"
  python3 -m pip install -q selenium
fi
# A real SMTP server for the alert tests.
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "tests/run.sh: installing aiosmtpd"
  python3 -m pip install -q aiosmtpd
fi

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# Benches are checked by clippy above and run by hand (README, "Benchmarks").
cargo test "$@"

# The Debian package: built (release) and its contents checked (set IJGATE_SKIP_DEB=1 to skip
# locally; CI always builds it).
if [ "${IJGATE_SKIP_DEB:-}" != 1 ]; then
  packaging/build-deb.sh
fi

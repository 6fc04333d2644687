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
command -v /usr/sbin/sshd >/dev/null 2>&1 || missing+=(openssh-server)
# A real browser for the console test (tests/console_browser.rs).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# Client certificates in that browser: an NSS database (certutil, pk12util) fed a PKCS#12.
command -v pk12util >/dev/null 2>&1 || missing+=(libnss3-tools)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# A real PostgreSQL for the HA journal tests (tests/postgres.rs starts its own cluster on a
# temporary folder with initdb/pg_ctl; as root, through runuser as the postgres user).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
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
# The OpenAPI contract test (tests/api_contract.rs): a real OpenAPI validator and a
# property-based client, both from PyPI.
if ! command -v schemathesis >/dev/null 2>&1 || ! python3 -c 'import openapi_spec_validator' >/dev/null 2>&1; then
  echo "tests/run.sh: installing schemathesis and openapi-spec-validator"
  python3 -m pip install -q schemathesis openapi-spec-validator
fi
# A real HTTP(S) proxy for the net-entreprises proxy tests (tests/netent_site.rs).
if ! python3 -c 'import proxy' >/dev/null 2>&1; then
  echo "tests/run.sh: installing proxy.py"
  python3 -m pip install -q proxy.py
fi
# A real SMTP server for the alert tests.
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "tests/run.sh: installing aiosmtpd"
  python3 -m pip install -q aiosmtpd
fi

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# Benches are checked by clippy above and run by hand (README, "Benchmarks").
# --no-fail-fast: one failing test binary must not hide the others' results.
cargo test --no-fail-fast "$@"

# Fuzzing (issue 17): replays the committed corpus, then 60 s per target; a crash fails the
# run. fuzz/run.sh installs cargo-fuzz when missing. IJGATE_SKIP_FUZZ=1 skips it locally.
if [ "${IJGATE_SKIP_FUZZ:-}" != 1 ]; then
  fuzz/run.sh 60
fi

# The Debian package: built (release) and its contents checked (set IJGATE_SKIP_DEB=1 to skip
# locally; CI always builds it).
if [ "${IJGATE_SKIP_DEB:-}" != 1 ]; then
  packaging/build-deb.sh
fi

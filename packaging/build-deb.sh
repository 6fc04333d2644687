#!/usr/bin/env bash
# Builds the Debian package (release build: a few minutes) and checks what it contains:
# the binary, the configuration as a conffile, the systemd unit (enabled by postinst, and
# `systemd-analyze verify` clean), the maintainer scripts, and lintian when installed.
#
#   packaging/build-deb.sh            build and check
#   packaging/build-deb.sh --no-build check the .deb from the last build
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "build-deb: FAILED: $*" >&2; exit 1; }

if ! command -v cargo-deb >/dev/null 2>&1; then
  echo "build-deb: installing cargo-deb"
  cargo install --locked cargo-deb
fi

deb=$(cargo deb "$@" | tail -n 1)
[ -f "$deb" ] || fail "cargo deb did not report a .deb (got: $deb)"
echo "build-deb: checking $deb"

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/ijgate ./etc/ijgate/ijgate.toml ./usr/share/doc/ijgate/README.md; do
  grep -q " $f\$" <<<"$contents" || fail "$f missing from the package"
done
unit_path=$(grep -oE '\./(usr/)?lib/systemd/system/ijgate\.service$' <<<"$contents") \
  || fail "systemd unit missing from the package"
grep -E " \./usr/bin/ijgate\$" <<<"$contents" | grep -q '^-rwxr-xr-x' || fail "binary not 0755"
# The sandbox peer is a development tool: never shipped, so no packaged daemon can fake
# "accepted" returns.
if grep -q 'ijgate-sandbox' <<<"$contents"; then fail "the package ships ijgate-sandbox"; fi

info=$(dpkg-deb -I "$deb")
grep -q '^ Package: ijgate$' <<<"$info" || fail "package name"
grep -q '^ Depends:.*adduser' <<<"$info" || fail "Depends lacks adduser"
conffiles=$(dpkg-deb -I "$deb" conffiles)
grep -qx '/etc/ijgate/ijgate.toml' <<<"$conffiles" || fail "/etc/ijgate/ijgate.toml is not a conffile"
postinst=$(dpkg-deb -I "$deb" postinst)
grep -q 'adduser --system' <<<"$postinst" || fail "postinst does not create the ijgate user"
grep -q 'deb-systemd-helper enable' <<<"$postinst" || fail "postinst does not enable the unit"
grep -q -- '-m 2770' <<<"$postinst" || fail "postinst does not create setgid spool folders"
postrm=$(dpkg-deb -I "$deb" postrm)
grep -q '"\$1" = "purge"' <<<"$postrm" || fail "postrm has no purge branch"

# The packaged unit and binary, as installed.
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
dpkg-deb -x "$deb" "$x"
"$x/usr/bin/ijgate" --version
# Sandbox mode on the packaged binary is refused, naming the missing peer.
printf '[netent]\nmode = "sandbox"\n' > "$x/sandbox.toml"
if out=$("$x/usr/bin/ijgate" --config "$x/sandbox.toml" check-config 2>&1); then
  fail "packaged ijgate accepts sandbox mode"
fi
grep -q 'the sandbox peer .*ijgate-sandbox is missing' <<<"$out" \
  || fail "packaged ijgate in sandbox mode: unexpected error: $out"
if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s#/usr/bin/ijgate#$x/usr/bin/ijgate#g" "$x/$unit_path" > "$x/ijgate.service"
  out=$(systemd-analyze verify "$x/ijgate.service" 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
  systemd-analyze security --offline=yes --no-pager "$x/ijgate.service" | tail -n 1
else
  echo "build-deb: systemd-analyze not installed: unit not verified"
fi
# The packaged configuration parses; its only problems are the site-specific parts.
problems=$("$x/usr/bin/ijgate" --config "$x/etc/ijgate/ijgate.toml" check-config 2>&1 || true)
grep -q 'employers: at least one employer must be configured' <<<"$problems" \
  || fail "packaged ijgate.toml: unexpected check-config output: $problems"
if grep -q 'unknown field\|TOML parse' <<<"$problems"; then fail "packaged ijgate.toml: $problems"; fi

if command -v lintian >/dev/null 2>&1; then
  # Errors fail the build; warnings are printed (expected: no-manual-page, and
  # non-standard-file-perm for the 0640 configuration, which postinst gives to group ijgate).
  lint=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v 'running with root privileges' || true)
  [ -z "$lint" ] || echo "$lint"
  if grep -q '^E:' <<<"$lint"; then fail "lintian reported errors"; fi
  grep -qE '^[EW]: ijgate' <<<"$lint" || [ -z "$lint" ] || fail "lintian did not run: $lint"
else
  echo "build-deb: SKIPPED lintian: not installed (apt-get install lintian)"
fi
echo "build-deb: OK $deb"

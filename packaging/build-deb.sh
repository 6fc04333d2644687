#!/usr/bin/env bash
# Builds the Debian package (release build: a few minutes) and checks what it contains:
# the binary, the configuration as a conffile, the systemd unit (enabled by postinst, and
# `systemd-analyze verify` clean), the maintainer scripts (postrm purge run on a fake root),
# the contracts (openapi.json, the insurer XSD), the production README, the man pages and
# the shell completions, and lintian when installed.
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

# The binary first, then what is generated from it (man pages from clap with clap_mangen,
# completions with clap_complete: `ijgate generate`, hidden), then the package from both.
if [ "${1:-}" != "--no-build" ]; then
  cargo build --release --locked --bin ijgate
fi
rm -rf target/assets
target/release/ijgate generate man target/assets/man >/dev/null
gzip -9n target/assets/man/*.1
target/release/ijgate generate completions target/assets/completions >/dev/null
deb=$(cargo deb --no-build | tail -n 1)
[ -f "$deb" ] || fail "cargo deb did not report a .deb (got: $deb)"
echo "build-deb: checking $deb"

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/ijgate ./etc/ijgate/ijgate.toml ./usr/share/doc/ijgate/README.Debian \
         ./usr/share/ijgate/openapi.json ./usr/share/ijgate/ijgate-insurer-v1.xsd \
         ./usr/share/man/man1/ijgate.1.gz ./usr/share/man/man1/ijgate-purge.1.gz \
         ./usr/share/bash-completion/completions/ijgate \
         ./usr/share/zsh/vendor-completions/_ijgate \
         ./usr/share/fish/vendor_completions.d/ijgate.fish; do
  grep -q " $f\$" <<<"$contents" || fail "$f missing from the package"
done
# The hidden packaging command has no page.
if grep -q 'ijgate-generate' <<<"$contents"; then fail "man page of the hidden generate command"; fi
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
if grep -q 'deluser' <<<"$postrm"; then fail "postrm purge deletes the system user"; fi

# The packaged unit and binary, as installed.
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
dpkg-deb -x "$deb" "$x"
"$x/usr/bin/ijgate" --version
# The contracts as shipped: the OpenAPI document is JSON, the XSD a schema, the production
# README points at neither the sources nor cargo.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "openapi" in d' \
  "$x/usr/share/ijgate/openapi.json" || fail "openapi.json is not an OpenAPI document"
grep -q 'xs:schema' "$x/usr/share/ijgate/ijgate-insurer-v1.xsd" || fail "the XSD is not a schema"
if grep -nE 'src/|cargo (run|build)' "$x/usr/share/doc/ijgate/README.Debian"; then
  fail "README.Debian points at the sources or cargo"
fi
grep -q 'systemctl edit ijgate' "$x/usr/share/doc/ijgate/README.Debian" \
  || fail "README.Debian does not document extra writable paths"
zcat "$x/usr/share/man/man1/ijgate.1.gz" | grep -q '^\.TH' || fail "ijgate.1 is not a man page"
grep -q 'check-config' "$x/usr/share/bash-completion/completions/ijgate" \
  || fail "bash completion lacks the commands"
# postrm purge, run on a fake root: keeps unprocessed inbound files, removes handled ones.
fake=$(mktemp -d)
mkdir -p "$fake/var/spool/ijgate/inbound" "$fake/var/spool/ijgate/archive" "$fake/var/lib/ijgate"
touch "$fake/var/spool/ijgate/inbound/rh_unread.csv" "$fake/var/spool/ijgate/archive/old.csv"
# (The source script: the packaged one adds debhelper's systemd lines, not to be run here.)
grep -q 'still holds unprocessed files' <<<"$postrm" || fail "packaged postrm lacks the inbound guard"
sed -e "s#/var/#$fake/var/#g" -e "s#/etc/ijgate#$fake/etc/ijgate#g" packaging/postrm > "$fake/postrm"
sh "$fake/postrm" purge 2>/dev/null
[ -f "$fake/var/spool/ijgate/inbound/rh_unread.csv" ] || fail "postrm purge deleted an unprocessed inbound file"
[ ! -e "$fake/var/spool/ijgate/archive" ] || fail "postrm purge kept archive/"
[ ! -e "$fake/var/lib/ijgate" ] || fail "postrm purge kept the journal"
rm -f "$fake/var/spool/ijgate/inbound/rh_unread.csv"
sh "$fake/postrm" purge
[ ! -e "$fake/var/spool/ijgate" ] || fail "postrm purge kept an empty spool"
rm -rf "$fake"
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
grep -q 'netent.nom: "NOM" is the example' <<<"$problems" \
  || fail "packaged ijgate.toml: the placeholder nom is accepted: $problems"
if grep -q 'unknown field\|TOML parse' <<<"$problems"; then fail "packaged ijgate.toml: $problems"; fi

if command -v lintian >/dev/null 2>&1; then
  # Errors fail the build; warnings are printed (expected: non-standard-file-perm for the
  # 0640 configuration, which postinst gives to group ijgate).
  lint=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v 'running with root privileges' || true)
  [ -z "$lint" ] || echo "$lint"
  if grep -q '^E:' <<<"$lint"; then fail "lintian reported errors"; fi
  grep -qE '^[EW]: ijgate' <<<"$lint" || [ -z "$lint" ] || fail "lintian did not run: $lint"
else
  echo "build-deb: SKIPPED lintian: not installed (apt-get install lintian)"
fi
echo "build-deb: OK $deb"

#!/usr/bin/env bash
# Fuzzing that runs (issue 17): replays the committed corpus of every target, then fuzzes each
# for SECONDS (default 60). Fails on any crash, panic or failed assertion; the crashing input
# is left in fuzz/artifacts/<target>/. Runs on stable Rust through RUSTC_BOOTSTRAP=1.
#
# usage: fuzz/run.sh [SECONDS]      e.g. fuzz/run.sh 600 for a long local run
#
# New inputs found go to a scratch folder, not to the committed corpus (which stays small and
# reviewed); add interesting ones by hand. The parsers are safe Rust: we look for panics and
# broken invariants, so no sanitizer (-s none) keeps the build cheap on CI.
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
targets=(neodes_reader hr_csv hr_json bpij_xml rapport_xml)
cargo fuzz build -s none
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "$scratch/$t"
  echo "fuzz/run.sh: $t for ${secs}s"
  # Exit status is non-zero on a crash: set -e fails the run.
  cargo fuzz run -s none "$t" "$scratch/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
    2>&1 | tee "$scratch/$t.log" | grep -E "^(stat::number_of_executed_units|#[0-9]+[[:space:]]+DONE|INFO: seed corpus|==[0-9]+==|SUMMARY|thread .|Done)" || true
  if grep -qE "^(==[0-9]+== ERROR|SUMMARY: libFuzzer|thread '.*' panicked)" "$scratch/$t.log" \
     || [ -n "$(ls -A "fuzz/artifacts/$t" 2>/dev/null)" ]; then
    echo "fuzz/run.sh: $t FAILED (see fuzz/artifacts/$t)"
    exit 1
  fi
done
echo "fuzz/run.sh: all targets ran ${secs}s without a crash"

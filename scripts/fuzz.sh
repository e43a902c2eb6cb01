#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300) and prints, per target, the executions
# and what was found. Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# The working corpus grows in fuzz/corpus/TARGET (not committed), seeded from fuzz/seeds/TARGET;
# a crash leaves its input in fuzz/artifacts/TARGET and makes the script exit non-zero.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(records normalize callback answers packed)

cargo +nightly fuzz build -s none >/dev/null || exit 1
failed=0
printf '%-10s %14s %10s %8s\n' target executions "execs/s" crashes
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  log=$(mktemp)
  # Records of a few hundred bytes reach every path of the reader (its line bound is made
  # small by the target's first byte) at ten times the speed of 4 KiB ones.
  extra=()
  [ "$target" = records ] && extra=(-max_len=512)
  cargo +nightly fuzz run -s none "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 "${extra[@]}" >"$log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(ls "artifacts/$target" 2>/dev/null | wc -l)
  rate=$(( ${execs:-0} / seconds ))
  printf '%-10s %14s %10s %8s\n' "$target" "${execs:-?}" "$rate" "$crashes"
  if [ "$status" -ne 0 ]; then
    failed=1
    grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5
  fi
  rm -f "$log"
done
exit $failed

#!/usr/bin/env bash
# Fuzzes every parser crisync feeds with input it does not control (libFuzzer + AddressSanitizer),
# each for a bounded time, starting from the committed corpus (fuzz/corpus/<target>/).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      default: 20 s, every target
#   scripts/fuzz.sh 0                                      build the harness only (what make test checks)
#
# `make test` (scripts/test.sh) builds the harness (0 s per target) unless CRISYNC_FUZZ_SECONDS asks
# for more; run it longer by hand, e.g. `scripts/fuzz.sh 600`. Inputs that reach new code go to a scratch corpus
# (.build-fuzz/corpus/<target>/), not the repository; copy the interesting ones into fuzz/corpus.
# A crash, hang or broken invariant stops that target, keeps the input in
# .build-fuzz/findings/<target>/, prints how to replay it, and makes the script exit 1.
# Build and harness: fuzz/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${1:-20}"
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, got \"$seconds\"" >&2; exit 2; }
shift || true
all_targets=(proc-stat proc-cgroup cgroup-files cri-info kubelet-podlist web-config http-headers http-server)
targets=("$@")
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")

scripts/deps.sh build

scratch="$root/.build-fuzz"
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
started=$SECONDS
# -enable-testing: the harness reaches the parsers' internal entry points (@testable import).
# lld: gold crashes on this link (an internal error in its DWARF reader).
if ! swift build --package-path fuzz --scratch-path "$scratch" -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >"$build_log" 2>&1; then
  grep -E "error" "$build_log" | head -40
  echo "fuzz.sh: the fuzz build failed" >&2
  exit 1
fi
echo "fuzz.sh: built in $((SECONDS - started)) s" >&2
binary="$scratch/release/crisync-fuzz"
if ((seconds == 0)); then
  exit 0
fi

# Let libFuzzer, not Swift's backtracer, catch a crash, so the input is saved.
export SWIFT_BACKTRACE=enable=no
failed=()
printf '%-16s %10s %9s %8s %6s  %s\n' target runs exec/s new-cov rss result
for target in "${targets[@]}"; do
  [[ -d fuzz/corpus/$target ]] || { echo "fuzz.sh: unknown target $target (${all_targets[*]})" >&2; exit 2; }
  mkdir -p "$scratch/corpus/$target" "$scratch/findings/$target"
  log="$scratch/findings/$target/last-run.log"
  status=0
  "$binary" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$scratch/findings/$target/" "$scratch/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  if ((status == 0)); then
    result=ok
  else
    result="FAILED (exit $status)"
    failed+=("$target")
  fi
  printf '%-16s %10s %9s %8s %6s  %s\n' "$target" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
    "$(stat new_units_added)" "$(stat peak_rss_mb)M" "$result"
  if ((status != 0)); then
    grep -E "ERROR|invariant broken|Fatal error|runtime failure" "$log" | head -5 | sed 's/^/    /'
    for artifact in "$scratch/findings/$target"/{crash,timeout,oom,leak}-*; do
      [[ -e $artifact ]] && echo "    replay: $binary $target $artifact"
    done
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: findings in ${failed[*]} (logs in $scratch/findings/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds} s each, no findings ($((SECONDS - started)) s in all)" >&2

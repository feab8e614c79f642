#!/usr/bin/env bash
# The whole test suite: what `make test` and CI run.
#
# 1. installs missing Debian packages, 2. starts a private containerd (stopped again on exit),
# 3. builds, 4. checks the monitoring (promtool, dashboards, deploy, real Prometheus/Alertmanager),
# 5. runs the end-to-end alerting test and the demo (--once), 6. runs every Swift test (unit, golden, real containerd,
# real sockets). The Swift test summary is the last thing printed; any failure fails the script.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The revision crisync_build_info reports (scripts/revision.sh says why it is passed this way).
export CRISYNC_REVISION="${CRISYNC_REVISION:-$(scripts/revision.sh)}"

scripts/deps.sh build test

export CRISYNC_LAB="${CRISYNC_LAB:-/tmp/crisync-test-lab}"
# Its own cgroup subtree: `containerd.sh stop` kills every process in it, so a lab started by hand is spared.
export CRISYNC_CGROUP_ROOT="${CRISYNC_CGROUP_ROOT:-/crisync-test-lab}"
trap 'scripts/containerd.sh stop >/dev/null 2>&1 || true' EXIT
sock_line="$(scripts/containerd.sh start | grep '^CRI_SOCK=')"
export CRISYNC_CRI_SOCK="${sock_line#CRI_SOCK=}"
echo "test.sh: containerd ready at $CRISYNC_CRI_SOCK" >&2

build_log="$(mktemp)"
if ! swift build --build-tests >"$build_log" 2>&1; then
  grep -E "error|warning:" "$build_log" | grep -v "swift-distributed-tracing" | head -60
  echo "test.sh: build failed" >&2
  exit 1
fi
grep -E "^/.*warning:" "$build_log" | sort -u || true
rm -f "$build_log"

# The committed CRI code is exactly what proto/cri/api.proto generates (about 2 minutes on a fresh clone).
scripts/regen-cri.sh --check

golden_args=()
for golden in Tests/CollectorTests/Fixtures/golden/*.prom; do
  [[ -e $golden ]] && golden_args+=(--golden "$golden")
done
# Plus a real scrape of the exporter binary, for the families the collector's golden files lack
# (crisync_build_info, process_*).
scrape="$(mktemp)"
"$(swift build --show-bin-path)/crisync-exporter" --web.listen-address 127.0.0.1:19731 \
  --runtime.endpoint "unix://$CRISYNC_CRI_SOCK" --kubelet.url http://127.0.0.1:9 --kubelet.token-file "" \
  --kubelet.ca-file "" >/dev/null 2>&1 &
exporter_pid=$!
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:19731/metrics -o "$scrape" && grep -q '^crisync_source_up' "$scrape" && break
  sleep 0.1
done
kill "$exporter_pid" 2>/dev/null; wait "$exporter_pid" 2>/dev/null || true
grep -q '^process_cpu_seconds_total' "$scrape" || { echo "test.sh: could not scrape the exporter binary" >&2; exit 1; }
golden_args+=(--golden "$scrape")
scripts/check-monitoring.sh "${golden_args[@]}"

if [[ -x scripts/e2e/alerting.sh ]]; then
  scripts/e2e/alerting.sh
fi

# The README's run command, as a newcomer runs it (its own containerd lab and cgroup root), until
# crisync reports the ghost and Prometheus has the shipped alerts pending; then it cleans up.
demo_log="$(mktemp)"
if ! scripts/demo.sh --once --with-prometheus --port 19735 --min-age 5s >"$demo_log" 2>&1; then
  cat "$demo_log"
  echo "test.sh: the demo (scripts/demo.sh --once --with-prometheus) failed" >&2
  exit 1
fi
grep -E 'pending|firing' "$demo_log" | sed 's/^/test.sh: demo alert: /' >&2 || true
rm -f "$demo_log"

# Every parser fuzzed for a bounded time (fuzz/README.md; about 3.5 minutes with its own build).
# CRISYNC_FUZZ_SECONDS sets the time per target; unset or 0 only builds the harness (a random-seed fuzz
# finding must not decide whether CI lands, but a harness that no longer builds must: it once went
# unnoticed for a day; run `scripts/fuzz.sh 60` separately).
scripts/fuzz.sh "${CRISYNC_FUZZ_SECONDS:-0}"

# Passing tests are summarised, failures shown whole; the last line is swift-testing's summary.
set +e
swift test --skip-build --disable-xctest --no-parallel 2>&1 | grep --line-buffered -vE '^(◇|↳)|^✔ Suite|^✔ Test [^r]|^✔ Test r[^u]'
status=${PIPESTATUS[0]}
set -e
exit "$status"

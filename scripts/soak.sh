#!/usr/bin/env bash
# Soak: the real crisync-exporter against a private containerd with churn, scraped and refreshed
# until both counts are reached; prints resident memory and descriptor growth after warm-up.
#
#   scripts/soak.sh [SCRAPES] [REFRESHES]      (default 100000 scrapes, 10000 refreshes)
#
# A private containerd (scripts/containerd.sh, its own lab and cgroup root) holds SOAK_CONTAINERS
# busybox sleepers in pods of two; `crisync-bench churn` replaces one pod every few seconds for the
# whole run and `crisync-bench kubelet` mirrors the runtime as the kubelet would. The exporter
# (release, --static-swift-stdlib, as deploy/Containerfile builds it) refreshes every
# --collector.interval (default 100ms, the smallest the flag accepts) while 4 keep-alive clients
# scrape /metrics, paced so that the scrapes spread over the whole run. Refreshes are counted as
# the distinct crisync_refresh_timestamp_seconds values the scrapes saw (a lower bound: there are
# about ten scrapes per refresh). Memory and descriptors are sampled every 2 s; the baseline is taken
# once 10% of both counts is done (warm-up: allocator arenas, connection pools, caches).
#
# Targets (issue 7): RSS growth after warm-up < 1 MiB, descriptor growth 0. Exits 1 when missed.
# Not run by CI: about 17 minutes at the defaults, plus the build. Needs root. Everything started here is stopped on exit.
#
# Environment:
#   SOAK_DIR         work directory: logs and the summary (default /tmp/crisync-soak)
#   SOAK_INTERVAL    --collector.interval of the exporter (default 100ms)
#   SOAK_CONTAINERS  sleepers in the lab (default 20)
#   SOAK_BUILD       release (default) or debug
#   CRISYNC_LAB      the soak's containerd lab (default /tmp/crisync-soak-lab)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The revision crisync_build_info reports (scripts/revision.sh says why it is passed this way).
export CRISYNC_REVISION="${CRISYNC_REVISION:-$(scripts/revision.sh)}"

SCRAPES="${1:-100000}"
REFRESHES="${2:-10000}"
SOAK_DIR="${SOAK_DIR:-/tmp/crisync-soak}"
INTERVAL="${SOAK_INTERVAL:-100ms}"
CONTAINERS="${SOAK_CONTAINERS:-20}"
BUILD="${SOAK_BUILD:-release}"
export CRISYNC_LAB="${CRISYNC_LAB:-/tmp/crisync-soak-lab}"
export CRISYNC_CGROUP_ROOT="${CRISYNC_CGROUP_ROOT:-/crisync-soak}"

log() { echo "[soak.sh] $*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "needs root (containerd lab, cgroups)"; exit 1; }
[[ $SCRAPES =~ ^[0-9]+$ && $REFRESHES =~ ^[0-9]+$ ]] || { sed -n '2,24p' "$0" >&2; exit 2; }
case $BUILD in release | debug) ;; *) log "SOAK_BUILD must be release or debug"; exit 2 ;; esac

# PIDs of the processes started here, stopped by PID on exit (never by name).
started=()
alive() {
  [[ -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
# shellcheck disable=SC2317  # reached through the trap
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${lab_started:-0} == 1 ]]; then
    CTR_TIMEOUT=60 scripts/containerd.sh stop >/dev/null 2>&1 || log "containerd.sh stop failed: run CRISYNC_LAB=$CRISYNC_LAB scripts/containerd.sh stop"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_background() {  # start_background NAME COMMAND...: output to $SOAK_DIR/NAME.log, sets $last_pid
  local name=$1
  shift
  "$@" >"$SOAK_DIR/$name.log" 2>&1 &
  last_pid=$!
  started+=("$last_pid")
}

# Reads "listening on HOST:PORT" (crisync-bench) or "port=N" (crisync-exporter) from a log.
listening_port() {
  local line
  for _ in $(seq 300); do
    line="$(grep -m1 -oE '^listening on .*:[0-9]+$|msg=listening .*port=[0-9]+' "$SOAK_DIR/$1.log" 2>/dev/null || true)"
    if [[ -n $line ]]; then
      line="${line##*:}"
      echo "${line##*port=}" | grep -oE '^[0-9]+'
      return 0
    fi
    sleep 0.1
  done
  log "$1 did not start:"
  cat "$SOAK_DIR/$1.log" >&2
  return 1
}

mkdir -p "$SOAK_DIR"
scripts/deps.sh build demo >/dev/null
command -v python3 >/dev/null || { log "python3 is needed"; exit 1; }

build_flags=(-c debug)
[[ $BUILD == release ]] && mapfile -t build_flags <scripts/release.flags
log "building crisync-exporter and crisync-bench (${build_flags[*]})"
for product in crisync-exporter crisync-bench; do
  if ! swift build "${build_flags[@]}" --product "$product" >"$SOAK_DIR/build-$product.log" 2>&1; then
    grep -E "error:" "$SOAK_DIR/build-$product.log" | head -20 >&2
    log "build of $product failed: $SOAK_DIR/build-$product.log"
    exit 1
  fi
done
# Hard-linked snapshots: a rebuild by someone else during the soak cannot pull the binaries away.
bin="$(swift build "${build_flags[@]}" --show-bin-path)"
for product in crisync-exporter crisync-bench; do
  rm -f "$SOAK_DIR/$product"
  ln "$bin/$product" "$SOAK_DIR/$product" 2>/dev/null || cp "$bin/$product" "$SOAK_DIR/$product"
done
exporter="$SOAK_DIR/crisync-exporter"
bench="$SOAK_DIR/crisync-bench"

# The soak's own lab: stop first clears whatever an interrupted run left.
scripts/containerd.sh stop >/dev/null 2>&1 || true
lab_started=1
sock_line="$(scripts/containerd.sh start | grep '^CRI_SOCK=')"
sock="${sock_line#CRI_SOCK=}"
log "containerd lab at $sock; $CONTAINERS sleepers"
"$bench" populate --socket "$sock" --cgroup-root "$CRISYNC_CGROUP_ROOT" --containers "$CONTAINERS" --per-pod 2 --workers 2 \
  >"$SOAK_DIR/populate.log" 2>&1

start_background kubelet "$bench" kubelet --runtime-endpoint "unix://$sock"
kubelet_url="http://127.0.0.1:$(listening_port kubelet)"
# One pod (two containers) replaced about every 4 s, for as long as the soak lasts.
start_background churn "$bench" churn --socket "$sock" --cgroup-root "$CRISYNC_CGROUP_ROOT" --fraction 1.5 \
  --duration 86400 --results "$SOAK_DIR/churn.jsonl"
start_background exporter "$exporter" --web.listen-address 127.0.0.1:0 --collector.interval "$INTERVAL" \
  --runtime.endpoint "unix://$sock" --kubelet.url "$kubelet_url" --kubelet.token-file "" --kubelet.ca-file "" \
  --log.level info
exporter_pid=$last_pid
port="$(listening_port exporter)"

summary="$SOAK_DIR/summary-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), containerd $(containerd --version 2>/dev/null | awk '{print $3}')"
  dirty="$(git status --porcelain --untracked-files=no -- Sources Package.swift 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
  echo "revision: $(git rev-parse --short HEAD 2>/dev/null)${dirty:+ with uncommitted changes in: $dirty}"
  echo "exporter: $BUILD build, --collector.interval $INTERVAL, $CONTAINERS containers with churn (one pod replaced every ~4 s)"
} | tee "$summary" >&2

log "soaking: $SCRAPES scrapes and $REFRESHES refreshes (exporter pid $exporter_pid, port $port)"
status=0
python3 - "$exporter_pid" "$port" "$SCRAPES" "$REFRESHES" "$INTERVAL" >>"$summary" <<'EOF' || status=$?
import http.client, os, re, sys, threading, time

pid, port, scrapes_wanted, refreshes_wanted = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
# Scrapes are paced to spread over the refreshes (about 10% ahead), not fired as fast as possible:
# a machine shared with others is not saturated for 20 minutes, and every phase of the run is scraped.
units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
interval = sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ms|s|m|h)", sys.argv[5]))
per_thread_pause = 4 / max(1.0, 1.1 * scrapes_wanted / (refreshes_wanted * interval))
lock = threading.Lock()
scrapes = 0
failures = 0
refreshes = set()
done = threading.Event()

def status_field(name):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return -1

def sample():
    return {"rss_kib": status_field("VmRSS"), "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": status_field("Threads")}

def scraper():
    global scrapes, failures
    connection = None
    next_at = time.monotonic()
    while not done.is_set():
        next_at += per_thread_pause
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.monotonic()
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/metrics")
            response = connection.getresponse()
            body = response.read()
            stamp = None
            start = body.find(b"\ncrisync_refresh_timestamp_seconds ")
            if start >= 0:
                stamp = body[start + 35:body.find(b"\n", start + 1)]
            with lock:
                if response.status == 200 and stamp:
                    scrapes += 1
                    refreshes.add(stamp)
                else:
                    failures += 1
        except (OSError, http.client.HTTPException):
            with lock:
                failures += 1
            connection = None
            time.sleep(0.01)

threads = [threading.Thread(target=scraper, daemon=True) for _ in range(4)]
started = time.monotonic()
for thread in threads:
    thread.start()
baseline = None
samples = []
while True:
    time.sleep(2)
    with lock:
        counts = (scrapes, len(refreshes), failures)
    now = sample()
    now.update(t=round(time.monotonic() - started), scrapes=counts[0], refreshes=counts[1])
    samples.append(now)
    if baseline is None and counts[0] >= scrapes_wanted // 10 and counts[1] >= refreshes_wanted // 10:
        baseline = dict(now)
        print(f"warm-up done at {now['t']} s ({counts[0]} scrapes, {counts[1]} refreshes): "
              f"RSS {now['rss_kib']} KiB, {now['fds']} fds, {now['threads']} threads", flush=True)
    if os.path.exists(f"/proc/{pid}") is False:
        print("the exporter exited", flush=True)
        sys.exit(1)
    if counts[0] >= scrapes_wanted and counts[1] >= refreshes_wanted:
        break
done.set()
for thread in threads:
    thread.join(timeout=15)
time.sleep(1)  # let the scrapers' connections close
final = sample()
elapsed = time.monotonic() - started
after = [s for s in samples if baseline and s["t"] >= baseline["t"]]
rss_growth = final["rss_kib"] - baseline["rss_kib"]
fd_growth = final["fds"] - baseline["fds"]
print(f"done in {elapsed:.0f} s: {scrapes} scrapes ({scrapes / elapsed:.0f}/s, {failures} failed), "
      f"{len(refreshes)} refreshes seen")
print(f"after warm-up: RSS {baseline['rss_kib']} -> {final['rss_kib']} KiB (growth {rss_growth} KiB, "
      f"max {max(s['rss_kib'] for s in after)} KiB); fds {baseline['fds']} -> {final['fds']} (growth {fd_growth}); "
      f"threads {baseline['threads']} -> {final['threads']}")
print("RSS KiB every ~10% of the run after warm-up: "
      + " ".join(str(s["rss_kib"]) for s in after[:: max(1, len(after) // 10)]))
verdicts = [("RSS growth after warm-up < 1024 KiB", rss_growth < 1024), ("fd growth 0", fd_growth <= 0),
            ("no failed scrape", failures == 0)]
for name, ok in verdicts:
    print(f"{'PASS' if ok else 'FAIL'} {name}")
sys.exit(0 if all(ok for _, ok in verdicts) else 1)
EOF
cat "$summary"
log "summary: $summary"
if ! alive "$exporter_pid"; then
  log "the exporter died:"
  tail -20 "$SOAK_DIR/exporter.log" >&2
  exit 1
fi
exit "$status"

#!/usr/bin/env bash
# `make bench`: crisync's benchmarks (issue 6), then a table of every target and whether it is met.
#
#   1. synthetic scale: a generated procfs/cgroup tree on a tmpfs at 250, 5,000 and 20,000 containers;
#      kernel read + Collector.evaluate + MetricsInventory.families + TextWriter per refresh, and RSS
#   2. real node: a private containerd (scripts/containerd.sh) with 100, 250 and 1,000 busybox
#      sleepers, a kubelet stand-in serving /pods of real size, crisync's refresh measured steady
#      and while 10% of the containers are replaced per minute
#   3. serving: wrk against the real crisync-exporter's /metrics (1,000 containers), a minimal C
#      libmicrohttpd server serving the same bytes (bench/refserver.c), and Debian's
#      prometheus-node-exporter (default collectors), all on loopback; start to first /metrics
#
# Everything started here (containerd lab, kubelet, exporters, servers, tmpfs) is stopped on exit,
# failure or Ctrl-C. Needs root. Takes about 15 minutes (BENCH_QUICK=1: about 10).
#
# Environment:
#   BENCH_DIR          work directory: results, logs, served bodies (default /tmp/crisync-bench)
#   CRISYNC_LAB        the bench's containerd lab (default /tmp/bench-lab)
#   BENCH_QUICK=1      fewer refreshes and shorter runs (for trying the script; figures are rougher)
#   BENCH_ONLY         run only some parts: any of "synthetic real serving" (serving needs real)
#   BENCH_WRK_SECONDS  seconds per wrk run (default 8)
#   BENCH_SERVING_ROUNDS  windows of wrk for crisync and for the C reference, each (default 3)
#   BENCH_PERF=0       skip the perf profile of 20 extra refreshes at 1,000 containers (default: profile)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The revision crisync_build_info reports (scripts/revision.sh says why it is passed this way).
export CRISYNC_REVISION="${CRISYNC_REVISION:-$(scripts/revision.sh)}"

BENCH_DIR="${BENCH_DIR:-/tmp/crisync-bench}"
export CRISYNC_LAB="${CRISYNC_LAB:-/tmp/bench-lab}"
# The bench's pods get their own cgroup parent, apart from the test labs of other developers.
export CRISYNC_CGROUP_ROOT="${CRISYNC_CGROUP_ROOT:-/crisync-bench}"
ONLY="${BENCH_ONLY:-synthetic real serving}"
QUICK="${BENCH_QUICK:-0}"
WRK_SECONDS="${BENCH_WRK_SECONDS:-8}"
SERVING_ROUNDS="${BENCH_SERVING_ROUNDS:-3}"
PERF="${BENCH_PERF:-1}"
TMPFS="$BENCH_DIR/tmpfs"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$BENCH_DIR/results-$stamp.jsonl"

log() { echo "[bench.sh] $*" >&2; }
wants() { [[ " $ONLY " == *" $1 "* ]]; }

if [[ $(id -u) -ne 0 ]]; then
  log "needs root (containerd lab, cgroups, tmpfs mount)"
  exit 1
fi
if [[ $QUICK == 1 ]]; then
  synthetic_plan="250:1000 5000:50 20000:10"
  steady_refreshes=10 churn_seconds=30 watch_seconds=15 real_watch_seconds=20 node_size_seconds=3
else
  # containers:refreshes; the 250 run is the long one that shows memory stays flat.
  synthetic_plan="250:10000 5000:200 20000:30"
  steady_refreshes=30 churn_seconds=60 watch_seconds=30 real_watch_seconds=60 node_size_seconds=5
fi

# PIDs of the processes started here, stopped by PID on exit (never by name).
started=()
# Whether a child is still running (an exited child stays a zombie until it is waited for).
alive() {
  [[ -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
# Drops PIDs from $started once they have been waited for: their numbers may be reused.
forget_background() {
  local kept=() pid
  for pid in "${started[@]}"; do
    [[ " $* " == *" $pid "* ]] || kept+=("$pid")
  done
  started=("${kept[@]}")
}
# shellcheck disable=SC2317  # reached through the trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # Best effort from here on: one failing step must not skip stopping the lab.
  set +e
  stop_background "${started[@]}"
  if mountpoint -q "$TMPFS" 2>/dev/null; then umount "$TMPFS" || umount -l "$TMPFS" || true; fi
  if [[ ${lab_started:-0} == 1 ]]; then
    log "stopping the containerd lab ($CRISYNC_LAB)"
    CTR_TIMEOUT=60 scripts/containerd.sh stop >/dev/null 2>&1 || log "containerd.sh stop failed: run CRISYNC_LAB=$CRISYNC_LAB scripts/containerd.sh stop"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until http://127.0.0.1:$1$2 answers 200 (10 s at most).
wait_http() {
  for _ in $(seq 200); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1$2" 2>/dev/null && return 0
    sleep 0.05
  done
  log "nothing answered on 127.0.0.1:$1$2"
  return 1
}

# Starts "$@" in the background with output to $BENCH_DIR/$name.log; sets $last_pid.
start_background() {
  local name=$1
  shift
  "$@" >"$BENCH_DIR/$name.log" 2>&1 &
  last_pid=$!
  started+=("$last_pid")
}

# Stops processes started by start_background (SIGTERM, then SIGKILL after 5 s), waits for them and
# drops them from $started, so the cleanup on exit never signals a PID that may have been reused.
stop_background() {
  local pid tenth
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    # No command substitution here: it runs in a subshell, and this runs from the EXIT trap too.
    for ((tenth = 0; tenth < 50; tenth++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "process $pid did not stop within 5 s of SIGTERM; SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  forget_background "$@"
}

# Reads "listening on HOST:PORT" from a log (10 s at most); prints PORT.
listening_port() {
  for _ in $(seq 200); do
    local line
    line="$(grep -m1 '^listening on ' "$BENCH_DIR/$1.log" 2>/dev/null || true)"
    if [[ -n $line ]]; then echo "${line##*:}"; return 0; fi
    sleep 0.05
  done
  log "$1 did not start:"; cat "$BENCH_DIR/$1.log" >&2
  return 1
}

mkdir -p "$BENCH_DIR"
scripts/deps.sh build demo bench
command -v python3 >/dev/null || { log "python3 is needed (scripts/containerd.sh uses it too)"; exit 1; }

# Built as deploy/Containerfile builds the shipped binary (scripts/release.flags): release, Swift
# runtime and Foundation linked statically (dynamic Foundation alone adds ~10 MiB of resident memory
# to every process), every function in its own section so the link can lay out the ones that run
# together (Package.swift). The flags change how every module is compiled, so the first such build
# takes ~9 minutes and a plain `swift build -c release` afterwards rebuilds too.
mapfile -t release_flags <scripts/release.flags
log "building release binaries (${release_flags[*]}; the first such build takes ~9 minutes)"
for product in crisync-bench crisync-exporter; do
  if ! swift build "${release_flags[@]}" --product "$product" >"$BENCH_DIR/build-$product.log" 2>&1; then
    grep -E "error:" "$BENCH_DIR/build-$product.log" | head -20 >&2
    log "release build of $product failed: $BENCH_DIR/build-$product.log"
    exit 1
  fi
done
bin="$(swift build "${release_flags[@]}" --show-bin-path)"
bench="$bin/crisync-bench"
read -r -a mhd_flags <<<"$(pkg-config --cflags --libs libmicrohttpd)"
gcc -O2 -Wall -Wextra -o "$BENCH_DIR/refserver" bench/refserver.c "${mhd_flags[@]}"

# The open-file limit a node gives crisync: containerd's unit sets LimitNOFILE=infinity and its
# containers inherit it (1,048,576, the kernel's nr_open). This machine's shell has 20,000, which
# would let the exporter keep descriptors for only half the containers of the 20,000 synthetic node
# (it keeps at most half its limit) and read the rest in full every refresh.
nofile="$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)"
if ! { ulimit -Hn "$nofile" && ulimit -Sn "$nofile"; } 2>/dev/null; then
  log "could not raise the open-file limit to $nofile: $(ulimit -Sn)"
fi

log "results: $results"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg), open-file limit: $(ulimit -Sn)"
  echo "swift: $(swift --version 2>&1 | head -1)"
  dirty="$(git status --porcelain --untracked-files=normal -- Sources Package.swift 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
  echo "revision: $(git rev-parse --short HEAD 2>/dev/null)${dirty:+ with uncommitted changes in: $dirty}"
  echo "containerd: $(containerd --version 2>/dev/null | awk '{print $3}'), node_exporter: $(prometheus-node-exporter --version 2>&1 | head -1 | awk '{print $3}'), wrk: $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
} >"$BENCH_DIR/machine-$stamp.txt"
cat "$BENCH_DIR/machine-$stamp.txt" >&2

# 1. Synthetic scale.
if wants synthetic; then
  mkdir -p "$TMPFS"
  mount -t tmpfs -o size=4g,mode=0755 crisync-bench "$TMPFS"
  for entry in $synthetic_plan; do
    containers="${entry%%:*}" refreshes="${entry##*:}"
    mkdir "$TMPFS/node-$containers"
    "$bench" synthetic --containers "$containers" --refreshes "$refreshes" --root "$TMPFS/node-$containers" --results "$results"
    rm -rf "${TMPFS:?}/node-$containers"
  done
  # The real exporter on generated nodes: the memory the shipped binary needs at 250 and 5,000.
  for containers in 250 5000; do
    node="$TMPFS/exporter-$containers"
    mkdir "$node"
    start_background "synthetic-serve-$containers" "$bench" synthetic-serve --containers "$containers" --root "$node"
    serve_pid=$last_pid
    for _ in $(seq 600); do grep -q '^kubelet ' "$BENCH_DIR/synthetic-serve-$containers.log" && break; sleep 0.1; done
    cri="$(awk '/^cri / {print $2}' "$BENCH_DIR/synthetic-serve-$containers.log")"
    kubelet="$(awk '/^kubelet / {print $2}' "$BENCH_DIR/synthetic-serve-$containers.log")"
    [[ -n $cri && -n $kubelet ]] || { log "synthetic-serve did not start:"; cat "$BENCH_DIR/synthetic-serve-$containers.log" >&2; exit 1; }
    port="$(free_port)"
    start_background "exporter-synthetic-$containers" "$bin/crisync-exporter" --web.listen-address "127.0.0.1:$port" \
      --runtime.endpoint "$cri" --kubelet.url "$kubelet" --kubelet.token-file "" --kubelet.ca-file "" \
      --path.procfs "$node/proc" --path.cgroupfs "$node/cgroup" --collector.interval 1s --log.level warn
    exporter_pid=$last_pid
    wait_http "$port" /metrics
    sleep 10  # the first refresh fetches every container's status once
    "$bench" watch --label "synthetic $containers" --node synthetic --containers "$containers" --pid "$exporter_pid" \
      --seconds "$watch_seconds" --period 1 --results "$results"
    stop_background "$exporter_pid" "$serve_pid"
    rm -rf "${node:?}"
  done
  umount "$TMPFS"
fi

# 2. Real node.
if wants real || wants serving; then
  # The lab is the bench's own: stop clears whatever an interrupted run left, so it starts empty.
  scripts/containerd.sh stop >/dev/null 2>&1 || true
  lab_started=1
  sock_line="$(scripts/containerd.sh start | grep '^CRI_SOCK=')"
  sock="${sock_line#CRI_SOCK=}"
  log "containerd lab at $sock"

  node_exporter_port="$(free_port)"
  start_background node_exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$node_exporter_port"
  node_exporter_pid=$last_pid
  start_background kubelet "$bench" kubelet --runtime-endpoint "unix://$sock"
  kubelet_port="$(listening_port kubelet)"
  kubelet_url="http://127.0.0.1:$kubelet_port"

  for size in 100 250 1000; do
    case $size in 100) per_pod=2 ;; 250) per_pod=5 ;; 1000) per_pod=5 ;; esac
    "$bench" populate --socket "$sock" --cgroup-root "$CRISYNC_CGROUP_ROOT" --containers "$size" --per-pod "$per_pod" --workers 4
    sleep 2  # the kubelet mirrors once a second
    if wants real || [[ $size == 1000 ]]; then
      "$bench" refresh --runtime-endpoint "unix://$sock" --kubelet-url "$kubelet_url" --label steady \
        --expect-containers "$size" --refreshes "$steady_refreshes" --interval 0.5 --results "$results"
    fi
    if [[ $size == 1000 && $PERF == 1 ]] && command -v perf >/dev/null; then
      # Where the refresh's CPU goes on the real node: a profile of 20 more refreshes (not measured).
      log "profiling 20 refreshes at $size containers: $BENCH_DIR/perf-refresh-$size.{data,txt}"
      perf record -F 999 -g -o "$BENCH_DIR/perf-refresh-$size.data" -- "$bench" refresh --runtime-endpoint "unix://$sock" \
        --kubelet-url "$kubelet_url" --label perf --refreshes 20 --interval 0.5 --results "$BENCH_DIR/perf-results-$stamp.jsonl" \
        >"$BENCH_DIR/perf-refresh-$size.log" 2>&1 || log "perf record failed: $BENCH_DIR/perf-refresh-$size.log"
      perf report -i "$BENCH_DIR/perf-refresh-$size.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null \
        | grep -E '^ +[0-9]' | head -60 >"$BENCH_DIR/perf-refresh-$size.txt" || true
    fi
    if wants real; then
      # node_exporter's cost per scrape on this same node: its filesystem collector reports every
      # container's mounts, so it grows with the containers (the CPU target at 250 compares the two).
      wait_http "$node_exporter_port" /metrics
      "$bench" serve --server node_exporter --purpose node-size --node-containers "$size" \
        --url "http://127.0.0.1:$node_exporter_port/metrics" --pid "$node_exporter_pid" --connections 1 \
        --seconds "$node_size_seconds" --wrk-script bench/wrk-report.lua --results "$results"
    fi
    if wants real && [[ $size != 250 ]]; then
      start_background "churn-$size" "$bench" churn --socket "$sock" --cgroup-root "$CRISYNC_CGROUP_ROOT" \
        --fraction 0.1 --duration "$churn_seconds" --results "$results"
      churn_pid=$last_pid
      "$bench" refresh --runtime-endpoint "unix://$sock" --kubelet-url "$kubelet_url" --label churn \
        --expect-containers "$size" --duration "$churn_seconds" --interval 1 --results "$results"
      churn_status=0
      wait "$churn_pid" || churn_status=$?
      forget_background "$churn_pid"
      ((churn_status == 0)) || { log "churn failed:"; cat "$BENCH_DIR/churn-$size.log" >&2; exit 1; }
    fi
  done

  # 3. Serving, with the 1,000-container output.
  if wants serving; then
    exporter_args=(
      --runtime.endpoint "unix://$sock" --kubelet.url "$kubelet_url" --kubelet.token-file "" --kubelet.ca-file ""
      --log.level warn
    )
    exporter_port="$(free_port)"
    start_background exporter "$bin/crisync-exporter" --web.listen-address "127.0.0.1:$exporter_port" "${exporter_args[@]}"
    exporter_pid=$last_pid
    wait_http "$exporter_port" /metrics
    sleep 6  # past the first full refresh and one more at the default 5 s interval
    "$bench" watch --label "real 1000" --node real --containers 1000 --pid "$exporter_pid" --seconds "$real_watch_seconds" \
      --period 5 --results "$results"

    curl -fsS -o "$BENCH_DIR/metrics.prom" "http://127.0.0.1:$exporter_port/metrics"
    curl -fsS -H 'Accept-Encoding: gzip' -o "$BENCH_DIR/metrics.prom.gz" "http://127.0.0.1:$exporter_port/metrics"
    gzip -t "$BENCH_DIR/metrics.prom.gz"
    reference_port="$(free_port)"
    start_background refserver "$BENCH_DIR/refserver" "$reference_port" "$BENCH_DIR/metrics.prom" "$BENCH_DIR/metrics.prom.gz"
    reference_pid=$last_pid
    listening_port refserver >/dev/null
    wait_http "$node_exporter_port" /metrics

    # crisync and the C reference take turns, $SERVING_ROUNDS windows each, the first to go
    # alternating, and the report compares their medians: on this shared VM one 10 s window in a run
    # could lose a fifth to a third of its requests/s, for the C server as for crisync, and a single
    # window per server made the ratio a draw. node_exporter, 100× slower, gets one window.
    for encoding in plain gzip; do
      gzip_flag=()
      [[ $encoding == gzip ]] && gzip_flag=(--gzip)
      for connections in 1 4; do
        servers=()
        for ((round = 1; round <= SERVING_ROUNDS; round++)); do
          if ((round % 2)); then servers+=(crisync reference); else servers+=(reference crisync); fi
        done
        for server in "${servers[@]}" node_exporter; do
          case $server in
            crisync) port=$exporter_port pid=$exporter_pid ;;
            reference) port=$reference_port pid=$reference_pid ;;
            node_exporter) port=$node_exporter_port pid=$node_exporter_pid ;;
          esac
          "$bench" serve --server "$server" --url "http://127.0.0.1:$port/metrics" --pid "$pid" \
            --connections "$connections" --seconds "$WRK_SECONDS" --node-containers 1000 "${gzip_flag[@]}" \
            --wrk-script bench/wrk-report.lua --results "$results"
        done
      done
    done

    stop_background "$exporter_pid"
    startup_port="$(free_port)"
    "$bench" first-scrape --port "$startup_port" --runs 5 --results "$results" -- \
      "$bin/crisync-exporter" --web.listen-address "127.0.0.1:$startup_port" "${exporter_args[@]}"
  fi
fi

echo >&2
report_status=0
"$bench" report "$results" | tee "$BENCH_DIR/report-$stamp.md" || report_status=$?
log "report: $BENCH_DIR/report-$stamp.md, records: $results, machine: $BENCH_DIR/machine-$stamp.txt"
exit "$report_status"

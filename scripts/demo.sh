#!/usr/bin/env bash
# crisync in one command (`make run` / `make demo`): a private containerd, a kubelet that mirrors
# it, a few healthy pods, one ghost container (its shim SIGSTOPped, its process SIGKILLed: the
# runtime still says RUNNING, the kubelet says Ready), one OOM-looping pod and one pod stuck
# terminating, with crisync-exporter in front of them. Prints where to look, waits until crisync
# reports the ghost, and keeps running until Ctrl-C, which removes everything it started.
#
#   scripts/demo.sh [--with-prometheus] [--once] [--port PORT] [--min-age DURATION]
#
#   --with-prometheus  also start Prometheus with the shipped alerts/crisync.rules.yaml scraping
#                      crisync, and print the alerts as they become pending and firing
#   --once             exit 0 as soon as the ghost shows in /metrics (non-zero if not within 90 s),
#                      after cleaning up; for tests
#   --port PORT        crisync's port (default 9731), on 127.0.0.1
#   --min-age D        crisync's --divergence.min-age (default 15s, crisync's own default)
#
# Environment: CRISYNC_DEMO_LAB (default /tmp/crisync-demo) is the demo's own containerd lab,
# CRISYNC_DEMO_CGROUP_ROOT (default /crisync-demo) its pods' cgroup parent: never the lab the tests
# use, so the demo's teardown cannot touch them. Needs root (containerd).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The revision crisync_build_info reports (scripts/revision.sh says why it is passed this way).
export CRISYNC_REVISION="${CRISYNC_REVISION:-$(scripts/revision.sh)}"

with_prometheus=no
once=no
port=9731
min_age=15s
while (($#)); do
  case $1 in
    --with-prometheus) with_prometheus=yes ;;
    --once) once=yes ;;
    --port) port=${2:?--port needs a value}; shift ;;
    --min-age) min_age=${2:?--min-age needs a value}; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

started=$SECONDS
# Output never fails the script: Ctrl-C may have taken a `| tee` away before the cleanup speaks.
say() { printf '\033[1mdemo:\033[0m %s\n' "$*" 2>/dev/null || true; }
[[ -t 1 ]] || say() { printf 'demo: %s\n' "$*" 2>/dev/null || true; }
die() { say "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root: containerd creates mounts, cgroups and namespaces (try: sudo $0)"
if curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$port/"; then
  die "something already listens on 127.0.0.1:$port (another demo?); pick another with --port"
fi

export CRISYNC_LAB="${CRISYNC_DEMO_LAB:-/tmp/crisync-demo}"
export CRISYNC_CGROUP_ROOT="${CRISYNC_DEMO_CGROUP_ROOT:-/crisync-demo}"
state="$CRISYNC_LAB/demo-state"
logs="$CRISYNC_LAB/demo-logs"

scripts/deps.sh build demo
say "building crisync-exporter and crisync-lab (the first build takes a few minutes)"
# Fresh logs and Prometheus data: a previous run's series would show its ghost as a second one.
rm -rf "${logs:?}"
mkdir -p "$logs"
for product in crisync-exporter crisync-lab; do
  if ! swift build --product "$product" >"$logs/build-$product.log" 2>&1; then
    grep -E "error:" "$logs/build-$product.log" | head -20 >&2
    die "building $product failed; full log: $logs/build-$product.log"
  fi
done
bin="$(swift build --show-bin-path)"
built=$SECONDS
# Run hard-linked snapshots: a rebuild while the demo runs (make test, an editor) replaces the
# files in .build, and must not pull the binaries out from under the demo.
mkdir -p "$logs/bin"
for product in crisync-exporter crisync-lab; do
  ln -f "$bin/$product" "$logs/bin/$product" 2>/dev/null || cp "$bin/$product" "$logs/bin/$product"
done
exporter="$logs/bin/crisync-exporter"
lab="$logs/bin/crisync-lab"

# shellcheck source=scripts/e2e/lib.sh
source "$root/scripts/e2e/lib.sh"

# --- teardown: everything this script started, by PID; containerd last ----------------------
cleaned=no
cleanup() {
  local status=$?
  [[ $cleaned == yes ]] && return
  cleaned=yes
  # Finish the cleanup whatever happens: no second Ctrl-C, no SIGPIPE from a reader that is gone,
  # no early exit on a failing step.
  trap '' INT TERM PIPE
  set +e
  printf '\n' 2>/dev/null || true
  say "cleaning up"
  if [[ -n ${sock:-} ]]; then
    # Stops the OOM loop's controller, SIGCONTs the stopped shims, removes every demo pod.
    timeout 90 "$lab" scenario cleanup --runtime.endpoint "unix://$sock" --state-dir "$state" >/dev/null 2>>"$logs/scenarios.log" ||
      say "scenario cleanup reported problems (see $logs/scenarios.log); containerd.sh stop removes the rest"
  fi
  e2e_stop_all
  scripts/containerd.sh stop 2>>"$logs/containerd-stop.log" || say "containerd.sh stop failed: see $logs/containerd-stop.log"
  rm -rf "${logs:?}/bin"
  # Ctrl-C is how the demo is meant to end, unless a test (--once) is waiting for its answer.
  if [[ -n $stopped_by && $once == no ]]; then status=0; fi
  if ((status == 0)); then
    say "done; everything the demo started is stopped and removed"
  else
    say "exiting with status $status; logs in $logs"
  fi
  exit "$status"
}
stopped_by=""
trap cleanup EXIT
trap 'stopped_by=SIGINT; exit 130' INT
trap 'stopped_by=SIGTERM; exit 143' TERM

# --- the runtime, the kubelet, crisync -------------------------------------------------------
say "starting a private containerd in $CRISYNC_LAB"
sock_line="$(scripts/containerd.sh start 2>"$logs/containerd-start.log" | grep '^CRI_SOCK=')" ||
  { cat "$logs/containerd-start.log" >&2; die "containerd did not start"; }
sock="${sock_line#CRI_SOCK=}"
# A demo killed with SIGKILL leaves its pods; remove what it recorded before starting again.
"$lab" scenario cleanup --runtime.endpoint "unix://$sock" --state-dir "$state" >/dev/null 2>>"$logs/scenarios.log" || true

e2e_spawn "$logs/kubelet.log" "$lab" kubelet --runtime.endpoint "unix://$sock" --listen 127.0.0.1:0 --lag 1s \
  --state-dir "$state" --node-name demo-node
e2e_wait_while_alive "$E2E_LAST_PID" 20 grep -q '^listening on' "$logs/kubelet.log" ||
  { tail -n 20 "$logs/kubelet.log" >&2; die "the mirror kubelet did not start"; }
kubelet_url="http://$(sed -n 's/^listening on //p' "$logs/kubelet.log" | head -1)"

# Empty token and CA files: the mirror kubelet serves plain HTTP without authentication.
# explain takes the exporter's source flags; with the same min-age its note matches what /metrics does.
source_flags=(--runtime.endpoint "unix://$sock" --kubelet.url "$kubelet_url" --kubelet.token-file "" --kubelet.ca-file ""
  --divergence.min-age "$min_age" --node.name demo-node)
shown_flags="$(printf '%q ' "${source_flags[@]}")"
e2e_spawn "$logs/crisync.log" "$exporter" --web.listen-address "127.0.0.1:$port" "${source_flags[@]}"
crisync_pid=$E2E_LAST_PID
e2e_wait_while_alive "$crisync_pid" 30 e2e_http_ok "http://127.0.0.1:$port/metrics" ||
  { tail -n 20 "$logs/crisync.log" >&2; die "crisync-exporter did not start"; }
say "crisync-exporter is up (pid $crisync_pid), reading the mirror kubelet at $kubelet_url and containerd at $sock"

if [[ $with_prometheus == yes ]]; then
  cat >"$logs/prometheus.yml" <<EOF
# Written by scripts/demo.sh: the shipped rules, unchanged; crisync scraped every 5 s.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - '$root/alerts/crisync.rules.yaml'
scrape_configs:
  - job_name: crisync
    static_configs:
      - targets: ['127.0.0.1:$port']
        labels:
          cluster: demo
          node: demo-node
EOF
  e2e_start_prometheus "$logs" "$logs/prometheus.yml"
  say "Prometheus is up on http://$PROMETHEUS_ADDRESS (alerts: http://$PROMETHEUS_ADDRESS/alerts)"
fi

# --- the scenarios -----------------------------------------------------------------------------
scenario() { "$lab" scenario "$@" --runtime.endpoint "unix://$sock" --state-dir "$state" 2>>"$logs/scenarios.log"; }
say "creating pods: 3 healthy, 1 ghost, 1 OOM-looping, 1 stuck terminating"
scenario healthy --count 3 >/dev/null || die "scenario healthy failed: $(tail -n 3 "$logs/scenarios.log")"
scenario ghost >"$logs/ghost.txt" || die "scenario ghost failed: $(tail -n 3 "$logs/scenarios.log")"
ghost_created=$SECONDS
scenario stuck-terminating >/dev/null || die "scenario stuck-terminating failed: $(tail -n 3 "$logs/scenarios.log")"
# The OOM loop's controller stays in the foreground as leaky's restart policy: run it alongside.
e2e_spawn "$logs/oom-loop.log" "$lab" scenario oom-loop --restart-every 10s --runtime.endpoint "unix://$sock" --state-dir "$state"
ghost_id="$(sed -n 's/.*container_id=\([0-9a-f]*\).*/\1/p' "$logs/ghost.txt")"
ghost_pid="$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' "$logs/ghost.txt")"
ghost_shim="$(sed -n 's/.*shim_pid=\([0-9]*\).*/\1/p' "$logs/ghost.txt")"

cat <<EOF

  The ghost: pod demo/ghost, container app (id ${ghost_id:0:13}). containerd says RUNNING and the
  kubelet says Ready, but its process $ghost_pid is a zombie: its shim (pid $ghost_shim) is stopped.
  Check by hand:   ps -o pid,stat,ppid,comm -p $ghost_pid,$ghost_shim

  Where to look:
    metrics        http://127.0.0.1:$port/metrics
    landing page   http://127.0.0.1:$port/
    explain        $bin/crisync-exporter explain --all $shown_flags
                   $bin/crisync-exporter explain demo/ghost $shown_flags
    the pods       curl -s $kubelet_url/pods | jq '.items[].metadata.name'
  crisync reports a divergence once it has lasted --divergence.min-age ($min_age).

EOF

# --- wait for crisync to report the ghost --------------------------------------------------------
ghost_seen() {
  local metrics
  metrics="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/metrics")" || return 1
  grep -E '^crisync_container_divergence_seconds\{' <<<"$metrics" | grep 'pod="ghost"' | grep 'kind="process_zombie"' >/dev/null
}
say "waiting for crisync to report the ghost (up to 90 s)"
if ! e2e_wait_for "crisync to report the ghost" 90 ghost_seen; then
  say "crisync did not report the ghost within 90 s; last lines of its log:"
  tail -n 20 "$logs/crisync.log" >&2
  exit 1
fi
say "crisync reports the ghost: $((SECONDS - ghost_created)) s after it was made, $((SECONDS - built)) s after the build ($((built - started)) s)"
curl -fsS --max-time 2 "http://127.0.0.1:$port/metrics" | grep -E '^crisync_container_divergence_seconds\{' | sed 's/^/    /'

echo
say "crisync-exporter explain --all"
timeout 30 "$exporter" explain --all "${source_flags[@]}" 2>&1 | sed 's/^/    /' || true

prometheus_alerts() {
  curl -fsS --max-time 3 "http://$PROMETHEUS_ADDRESS/api/v1/alerts" |
    jq -r '.data.alerts[] | "\(.state) \(.labels.alertname) \(.labels.namespace // "")/\(.labels.pod // "")/\(.labels.container // "")"' |
    sed 's#//$##; s#/$##' | sort
}

if [[ $once == yes ]]; then
  if [[ $with_prometheus == yes ]]; then
    # Pending is enough: with the shipped for: 1m the alert fires a minute later.
    e2e_wait_for "CrisyncContainerProcessDead in Prometheus" 60 \
      bash -c "curl -fsS --max-time 2 'http://$PROMETHEUS_ADDRESS/api/v1/alerts' | grep -q CrisyncContainerProcessDead" ||
      exit 1
    prometheus_alerts | sed 's/^/    /'
  fi
  exit 0
fi

echo
say "running; press Ctrl-C to stop and remove everything"
last_alerts=""
while true; do
  if [[ $with_prometheus == yes ]]; then
    alerts="$(prometheus_alerts 2>/dev/null || true)"
    if [[ $alerts != "$last_alerts" ]]; then
      say "Prometheus alerts now (pending waits out the rule's for:):"
      while IFS= read -r line; do printf "    %s\n" "$line"; done <<<"${alerts:-none}"
      last_alerts=$alerts
    fi
  fi
  sleep 5
done

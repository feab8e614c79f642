#!/usr/bin/env bash
# End-to-end test of crisync's alerts and dashboards with the real tools: a real containerd, the
# crisync-lab mirror kubelet, crisync-exporter, Debian's prometheus (scraping crisync every second,
# loading the alerts) and prometheus-alertmanager (sending to scripts/e2e/webhook.py).
#
# It makes a ghost container (shim SIGSTOPped, process SIGKILLed: CRI keeps saying RUNNING), a pod
# stuck terminating behind another stopped shim, an OOM-looping pod and a healthy pod, and checks:
#   - CrisyncContainerProcessDead, CrisyncReadyButDead and CrisyncPodStuckTerminating reach the
#     webhook, firing, with the right labels (namespace, pod, container, kind / uid, blocked_by,
#     severity, node, cluster) and a description naming the pod;
#   - every panel query of dashboards/*.json, with the dashboard variables filled in
#     (tests/monitoring/dashboard_checks.expand_queries), returns data from that Prometheus, and
#     every dashboard variable's label_values() offers the test's cluster, node and namespace;
#   - after `crisync-lab scenario release` (SIGCONT; the stuck pod then finishes terminating) the
#     alerts resolve: the webhook gets them with status "resolved".
#
# Made fast on purpose, and documented here:
#   - `for:` durations come from scripts/e2e/derive-rules.py (every `for:` divided by 60, so 1m
#     becomes 1s and 5m becomes 5s) in a derived copy; alerts/crisync.rules.yaml is never edited;
#   - crisync runs with --divergence.min-age 3s (default 15s) and --collector.interval 1s (5s).
#
#   scripts/e2e/alerting.sh      (about a minute; bounded at 4 minutes after the build)
#
# Reuses the containerd at $CRISYNC_CRI_SOCK when set (scripts/test.sh sets it; its pods' cgroup
# parent is then $CRISYNC_CGROUP_ROOT, default /crisync-lab), else starts its own in
# /tmp/crisync-e2e-lab and stops it at the end. Everything it starts, it stops, by PID. Prints
# `N passed, M failed` last and exits non-zero on any failure. Needs root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# The revision crisync_build_info reports (scripts/revision.sh says why it is passed this way).
export CRISYNC_REVISION="${CRISYNC_REVISION:-$(scripts/revision.sh)}"
# shellcheck source=scripts/e2e/lib.sh
source "$root/scripts/e2e/lib.sh"

namespace=e2e
cluster=e2e
node=e2e-node
budget=230   # seconds from the end of the build to the end of cleanup (4 minutes, with slack)

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
# check DESCRIPTION SECONDS COMMAND...: passes when COMMAND succeeds within SECONDS.
check() {
  local description=$1
  if e2e_wait_for "$@"; then pass "$description"; else fail "$description"; fi
}

[[ $(id -u) -eq 0 ]] || { e2e_log "needs root (containerd, signalling shims)"; exit 1; }
for tool in prometheus prometheus-alertmanager curl jq swift; do
  command -v "$tool" >/dev/null || { e2e_log "missing $tool (scripts/deps.sh build test installs it)"; exit 1; }
done
"$E2E_PYTHON" -c 'import yaml' 2>/dev/null || { e2e_log "$E2E_PYTHON lacks PyYAML (apt-get install python3-yaml)"; exit 1; }

work=$(mktemp -d /tmp/crisync-e2e-alerting.XXXXXX)
state="$work/lab-state"

# --- build (not counted in the time budget) --------------------------------------------------
bin="$(swift build --show-bin-path)"
stale() {  # a binary is missing, or a source is newer than it
  local binary
  for binary in "$bin/crisync-exporter" "$bin/crisync-lab"; do
    [[ -x $binary && -z "$(find Sources Package.swift -newer "$binary" -print -quit)" ]] || return 0
  done
  return 1
}
if stale; then
  e2e_log "building crisync-exporter and crisync-lab"
  for product in crisync-exporter crisync-lab; do
    if ! swift build --product "$product" >"$work/build.log" 2>&1; then
      grep -E "error:" "$work/build.log" | sort -u | head -20 >&2
      e2e_log "building $product failed"
      rm -rf "$work"
      echo "0 passed, 1 failed"
      exit 1
    fi
  done
fi
# Hard-linked snapshots: a rebuild elsewhere during the test must not swap the binaries mid-run.
mkdir -p "$work/bin"
for product in crisync-exporter crisync-lab; do
  ln -f "$bin/$product" "$work/bin/$product" 2>/dev/null || cp "$bin/$product" "$work/bin/$product"
done
exporter="$work/bin/crisync-exporter"
lab="$work/bin/crisync-lab"

# --- teardown ----------------------------------------------------------------------------------
own_containerd=no
sock=""
watchdog=""
start=$SECONDS
cleanup() {
  local status=$?
  # Finish the cleanup whatever happens: no second signal, no SIGPIPE, no exit on a failing step.
  trap '' INT TERM PIPE
  set +e
  if [[ -n $watchdog ]]; then
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
  fi
  if [[ -n $sock ]]; then
    timeout 60 "$lab" scenario cleanup --runtime.endpoint "unix://$sock" --state-dir "$state" >/dev/null 2>>"$work/scenarios.log" ||
      { e2e_log "scenario cleanup reported problems:"; tail -n 5 "$work/scenarios.log" >&2; status=1; }
  fi
  e2e_stop_all
  if [[ $own_containerd == yes ]]; then
    scripts/containerd.sh stop 2>>"$work/containerd.log" || { e2e_log "containerd.sh stop failed"; status=1; }
  fi
  if ((status != 0 || failed > 0)); then
    for log in "$work"/*.log; do [[ -s $log ]] && { echo "--- $log (last lines)" >&2; tail -n 12 "$log" >&2; }; done
  fi
  rm -rf "${work:?}/bin"
  if [[ -n ${CRISYNC_E2E_KEEP:-} ]]; then e2e_log "kept $work"; else rm -rf "$work"; fi
  e2e_log "took $((SECONDS - start)) s after the build, cleanup included"
  ((status == 0 && failed > 0)) && status=1
  ((status != 0 && failed == 0)) && failed=1
  echo "$passed passed, $failed failed"
  exit "$status"
}
trap cleanup EXIT
trap 'e2e_log "interrupted"; exit 130' INT
trap 'e2e_log "stopped (SIGTERM: over the ${budget}s budget?)"; exit 143' TERM

# A hard bound on the whole run: every wait below has its own deadline, this catches the rest.
# On SIGTERM (from cleanup) it stops its own sleep too.
# shellcheck disable=SC2016 # expanded by the watchdog's bash
bash -c 'trap "kill \$nap 2>/dev/null; exit 0" TERM
  sleep "$1" & nap=$!
  wait "$nap" && echo "e2e: over the $1 s budget; stopping" >&2 && kill -TERM "$2"' watchdog "$budget" $$ &
watchdog=$!

# --- containerd, the mirror kubelet, crisync ---------------------------------------------------
if [[ -n ${CRISYNC_CRI_SOCK:-} ]]; then
  sock=$CRISYNC_CRI_SOCK
  [[ -S $sock ]] || { e2e_log "CRISYNC_CRI_SOCK=$sock is not a socket"; exit 1; }
  e2e_log "using the containerd at $sock"
else
  export CRISYNC_LAB=/tmp/crisync-e2e-lab CRISYNC_CGROUP_ROOT=/crisync-e2e
  own_containerd=yes
  sock_line="$(scripts/containerd.sh start 2>>"$work/containerd.log" | grep '^CRI_SOCK=')" ||
    { e2e_log "containerd did not start"; exit 1; }
  sock="${sock_line#CRI_SOCK=}"
  e2e_log "started containerd at $sock"
fi
scenario() { "$lab" scenario "$@" --runtime.endpoint "unix://$sock" --state-dir "$state" 2>>"$work/scenarios.log"; }

e2e_spawn "$work/kubelet.log" "$lab" kubelet --runtime.endpoint "unix://$sock" --listen 127.0.0.1:0 \
  --state-dir "$state" --node-name "$node"
e2e_wait_while_alive "$E2E_LAST_PID" 20 grep -q '^listening on' "$work/kubelet.log" || { e2e_log "the mirror kubelet did not start"; exit 1; }
kubelet_url="http://$(sed -n 's/^listening on //p' "$work/kubelet.log" | head -1)"

crisync_port=$(e2e_free_port)
crisync="http://127.0.0.1:$crisync_port"
# Short min-age and interval keep the test fast; the rules and their semantics are unchanged.
e2e_spawn "$work/crisync.log" "$exporter" --web.listen-address "127.0.0.1:$crisync_port" \
  --runtime.endpoint "unix://$sock" --kubelet.url "$kubelet_url" --kubelet.token-file "" --kubelet.ca-file "" \
  --collector.interval 1s --divergence.min-age 3s --node.name "$node"
e2e_wait_while_alive "$E2E_LAST_PID" 30 e2e_http_ok "$crisync/metrics" || { e2e_log "crisync-exporter did not start"; exit 1; }
e2e_log "crisync on $crisync (--divergence.min-age 3s, --collector.interval 1s), kubelet mirror on $kubelet_url"

# --- Prometheus, Alertmanager, the webhook -----------------------------------------------------
"$E2E_PYTHON" scripts/e2e/derive-rules.py --quiet alerts/crisync.rules.yaml "$work/rules.yaml"
e2e_start_webhook "$work"
e2e_render scripts/e2e/alertmanager.yml.in "$work/alertmanager.yml" WEBHOOK_URL="http://$WEBHOOK_ADDRESS/alerts"
e2e_start_alertmanager "$work" "$work/alertmanager.yml"
e2e_render scripts/e2e/prometheus.yml.in "$work/prometheus.yml" RULES_FILE="$work/rules.yaml" \
  ALERTMANAGER_ADDRESS="$ALERTMANAGER_ADDRESS" CRISYNC_ADDRESS="127.0.0.1:$crisync_port" CLUSTER="$cluster" NODE="$node"
e2e_start_prometheus "$work" "$work/prometheus.yml"
prom="http://$PROMETHEUS_ADDRESS"

# --- the scenarios -----------------------------------------------------------------------------
scenario healthy --count 1 --namespace "$namespace" >/dev/null
scenario ghost --namespace "$namespace" >"$work/ghost.txt"
scenario stuck-terminating --namespace "$namespace" --blocked-by zombie --overdue 120s >"$work/stuck.txt"
e2e_spawn "$work/oom-loop.log" "$lab" scenario oom-loop --namespace "$namespace" --child-every 2s --restart-every 3s \
  --runtime.endpoint "unix://$sock" --state-dir "$state"
ghost_id="$(sed -n 's/.*container_id=\([0-9a-f]*\).*/\1/p' "$work/ghost.txt")"
stuck_uid="$(sed -n 's/.* uid=\([0-9a-f-]*\).*/\1/p' "$work/stuck.txt")"
e2e_log "ghost container ${ghost_id:0:13} and stuck pod $stuck_uid made $((SECONDS - start)) s in"

# --- what the kubelet and crisync say ----------------------------------------------------------
kubelet_says_ghost_ready() {
  curl -fsS --max-time 2 "$kubelet_url/pods" | jq -e --arg ns "$namespace" '.items[] | select(.metadata.namespace == $ns
    and .metadata.name == "ghost") | .status.containerStatuses[] | select(.name == "app" and .ready and .state.running)'
}
check "the mirror kubelet reports the ghost container running and Ready" 10 kubelet_says_ghost_ready

metrics_line() {  # metrics_line REGEX...: a /metrics line matching every REGEX
  local metrics regex
  metrics="$(curl -fsS --max-time 2 "$crisync/metrics")" || return 1
  for regex in "$@"; do metrics="$(grep -E -- "$regex" <<<"$metrics")" || return 1; done
}
check "crisync reports the ghost as process_zombie" 20 metrics_line '^crisync_container_divergence_seconds\{' \
  "namespace=\"$namespace\"" 'pod="ghost"' 'container="app"' 'kind="process_zombie"'
check "crisync reports the ghost as ready_but_dead" 10 metrics_line '^crisync_container_divergence_seconds\{' \
  'pod="ghost"' 'kind="ready_but_dead"'
check "crisync reports the stuck pod, blocked_by process_zombie" 10 metrics_line '^crisync_stuck_terminating_pods\{' \
  'blocked_by="process_zombie"' ' [1-9]'

# --- the alerts reach the webhook --------------------------------------------------------------
released_at=0
# delivered STATUS JQ-CONDITION: the webhook got an alert with that status matching the condition;
# a resolution counts only if it ended after the release (not, say, when a scrape failed).
delivered() {
  [[ -s $WEBHOOK_FILE ]] && jq -e -s --arg status "$1" --arg ns "$namespace" --arg node "$node" --arg cluster "$cluster" \
    --arg id "$ghost_id" --arg uid "$stuck_uid" --argjson released "$released_at" \
    "[.[].alerts[] | select(.status == \$status and .labels.node == \$node and .labels.cluster == \$cluster and ($2)
      and (.status == \"firing\" or (.endsAt | sub(\"\\\\.[0-9]+Z$\"; \"Z\") | fromdateiso8601) >= \$released))]
      | length > 0" "$WEBHOOK_FILE"
}
# shellcheck disable=SC2016 # jq variables, expanded by jq
process_dead='.labels.alertname == "CrisyncContainerProcessDead" and .labels.namespace == $ns and .labels.pod == "ghost"
  and .labels.container == "app" and .labels.container_id == $id and .labels.kind == "process_zombie"
  and .labels.severity == "warning" and (.annotations.description | contains("e2e/ghost/app"))
  and (.annotations.runbook_url | endswith("#crisynccontainerprocessdead"))'
# shellcheck disable=SC2016
ready_but_dead='.labels.alertname == "CrisyncReadyButDead" and .labels.namespace == $ns and .labels.pod == "ghost"
  and .labels.container == "app" and .labels.severity == "critical"'
# shellcheck disable=SC2016
stuck='.labels.alertname == "CrisyncPodStuckTerminating" and .labels.namespace == $ns and .labels.pod == "stuck"
  and .labels.uid == $uid and .labels.blocked_by == "process_zombie" and .labels.severity == "warning"
  and (.annotations.description | contains("blocked by process_zombie"))
  and (.annotations.runbook_url | endswith("#crisyncpodstuckterminating"))'
check "CrisyncContainerProcessDead reaches the webhook with namespace, pod, container, kind, severity" 60 \
  delivered firing "$process_dead"
check "CrisyncReadyButDead reaches the webhook (severity critical)" 20 delivered firing "$ready_but_dead"
check "CrisyncPodStuckTerminating reaches the webhook with namespace, pod, uid, blocked_by, severity" 30 \
  delivered firing "$stuck"
e2e_log "alerts delivered $((SECONDS - start)) s in"

# --- every dashboard panel returns data --------------------------------------------------------
dashboard_data() {  # dashboard_data FILE: every panel query and variable of FILE has data
  PYTHONDONTWRITEBYTECODE=1 "$E2E_PYTHON" - "$1" "$prom" "$cluster" "$node" "$namespace" <<'EOF'
import json, sys, urllib.parse, urllib.request
sys.path.insert(0, "tests/monitoring")
import dashboard_checks, promql

path, prom, cluster, node, namespace = sys.argv[1:]
values = {"cluster": cluster, "node": node, "namespace": ".*", "datasource": "prometheus"}
with open(path, encoding="utf-8") as handle:
    dashboard = json.load(handle)

def get(endpoint, params):
    url = f"{prom}{endpoint}?{urllib.parse.urlencode(params, doseq=True)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)["data"]

problems = []
queries = dashboard_checks.expand_queries(dashboard, values)
for title, ref, expr in queries:
    try:
        result = get("/api/v1/query", {"query": expr})["result"]
    except Exception as error:  # an HTTP 400 names a query Prometheus rejects
        problems.append(f"panel {title!r} {ref}: {error}: {expr}")
        continue
    if not result:
        problems.append(f"panel {title!r} {ref}: no data: {expr}")
# Each variable's label_values() must offer the value the test filled in.
expected = {"cluster": cluster, "node": node, "namespace": namespace}
for name, variable in dashboard_checks.variables(dashboard).items():
    parsed = promql.label_values_query(dashboard_checks.variable_query(variable))
    if not parsed:
        continue
    selector, label = parsed
    params = {"match[]": [promql.substitute(selector, values)]} if selector else {}
    offered = get(f"/api/v1/label/{label}/values", params)
    if expected.get(name) not in offered:
        problems.append(f"variable ${name}: label_values offers {offered}, not {expected.get(name)!r}")
for problem in problems:
    print(problem, file=sys.stderr)
print(f"{path}: {len(queries)} panel queries, {len(problems)} problems", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
}
for dashboard in dashboards/*.json; do
  # Rates need two scrapes of a fresh counter, and the OOM loop's kills take a few seconds.
  if e2e_wait_for "every panel of $dashboard to have data" 30 dashboard_data "$dashboard"; then
    pass "every panel query and variable of $dashboard has data in Prometheus"
  else
    dashboard_data "$dashboard" 2>&1 | sed 's/^/      /' || true
    fail "every panel query and variable of $dashboard has data in Prometheus"
  fi
done

# --- release: the runtime catches up, the alerts resolve ---------------------------------------
released_at=$(date +%s)
scenario release >/dev/null
e2e_log "released the shims $((SECONDS - start)) s in"
ghost_gone() {
  local metrics
  metrics="$(curl -fsS --max-time 2 "$crisync/metrics")" || return 1
  ! grep -E '^crisync_container_divergence_seconds\{.*pod="ghost"' <<<"$metrics"
}
check "crisync no longer reports the ghost" 20 ghost_gone
check "CrisyncContainerProcessDead resolves at the webhook" 60 delivered resolved "$process_dead"
check "CrisyncPodStuckTerminating resolves at the webhook" 30 delivered resolved "$stuck"
e2e_log "finished in $((SECONDS - start)) s (plus cleanup)"

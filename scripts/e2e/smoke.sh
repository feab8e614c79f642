#!/usr/bin/env bash
# Smoke test of the end-to-end setup, without crisync: Debian's prometheus and
# prometheus-alertmanager start from scripts/e2e/*.yml.in on loopback in a private directory,
# Prometheus loads every crisync alert (the derived copy of alerts/crisync.rules.yaml), and an
# alert travels Prometheus -> Alertmanager -> webhook.py: the crisync target points at a port
# where nothing listens, so `up == 0` and CrisyncExporterDown (its for: shortened to 10 s)
# must reach the webhook with the target's labels. Everything started is stopped on exit.
#
#   scripts/e2e/smoke.sh        (about 15 s; exits non-zero with the reason on failure)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/e2e/lib.sh
source "$root/scripts/e2e/lib.sh"

for tool in prometheus prometheus-alertmanager curl jq; do
  command -v "$tool" >/dev/null || { e2e_log "missing $tool (apt-get install prometheus prometheus-alertmanager curl jq)"; exit 1; }
done

work=$(mktemp -d /tmp/crisync-e2e-smoke.XXXXXX)
cleanup() {
  local status=$?
  e2e_stop_all
  if ((status != 0)); then
    for log in "$work"/*.log; do [[ -f $log ]] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }; done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

"$E2E_PYTHON" "$root/scripts/e2e/derive-rules.py" --quiet "$root/alerts/crisync.rules.yaml" "$work/rules.yaml"
alerts_expected=$(grep -c '^ *- alert:' "$root/alerts/crisync.rules.yaml")

e2e_start_webhook "$work"
e2e_render "$root/scripts/e2e/alertmanager.yml.in" "$work/alertmanager.yml" WEBHOOK_URL="http://$WEBHOOK_ADDRESS/alerts"
e2e_start_alertmanager "$work" "$work/alertmanager.yml"

dead_port=$(e2e_free_port)
e2e_render "$root/scripts/e2e/prometheus.yml.in" "$work/prometheus.yml" RULES_FILE="$work/rules.yaml" \
  ALERTMANAGER_ADDRESS="$ALERTMANAGER_ADDRESS" CRISYNC_ADDRESS="127.0.0.1:$dead_port" CLUSTER=smoke NODE=smoke-node
e2e_start_prometheus "$work" "$work/prometheus.yml"

prom="http://$PROMETHEUS_ADDRESS"
loaded=$(curl -fsS --max-time 5 "$prom/api/v1/rules?type=alert" | jq '[.data.groups[].rules[] | select(.type == "alerting")] | length')
if [[ $loaded != "$alerts_expected" ]]; then
  e2e_log "Prometheus loaded $loaded alerting rules, alerts/crisync.rules.yaml has $alerts_expected"
  exit 1
fi
e2e_log "Prometheus loaded all $loaded crisync alerts"

am_seen() { curl -fsS --max-time 2 "$prom/api/v1/alertmanagers" | jq -e --arg a "$ALERTMANAGER_ADDRESS" '.data.activeAlertmanagers[].url | select(contains($a))'; }
e2e_wait_for "Prometheus to discover Alertmanager" 20 am_seen

delivered() {
  jq -e -s --arg node smoke-node '[.[].alerts[] | select(.labels.alertname == "CrisyncExporterDown" and .status == "firing"
      and .labels.node == $node and .labels.cluster == "smoke" and .labels.job == "crisync"
      and .labels.severity == "warning" and (.annotations.runbook_url | endswith("#crisyncexporterdown")))] | length > 0' \
    "$WEBHOOK_FILE"
}
e2e_wait_for "CrisyncExporterDown to reach the webhook" 60 delivered
e2e_log "CrisyncExporterDown went Prometheus -> Alertmanager -> webhook with the target's labels"
e2e_log "ok"

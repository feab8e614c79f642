# shellcheck shell=bash
# Helpers for crisync's end-to-end scripts: start Debian's prometheus and prometheus-alertmanager
# and the webhook receiver on loopback, in a private directory, and stop exactly what was started.
#
#   source scripts/e2e/lib.sh
#   trap e2e_stop_all EXIT
#   e2e_start_webhook DIR                 -> WEBHOOK_ADDRESS, WEBHOOK_FILE (JSON lines)
#   e2e_start_alertmanager DIR CONFIG     -> ALERTMANAGER_ADDRESS
#   e2e_start_prometheus DIR CONFIG       -> PROMETHEUS_ADDRESS
#   e2e_render TEMPLATE OUT NAME=VALUE... (scripts/e2e/render-config.sh)
#   e2e_wait_for DESCRIPTION SECONDS COMMAND...   retry COMMAND until it succeeds or time is up
#
# Every process is recorded by PID and stopped by PID (SIGTERM, then SIGKILL after 10 s): never
# by name, so other developers' servers on the same machine are left alone.

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_PIDS=()
# A python3 with PyYAML (derive-rules.py needs it; webhook.py needs only the stdlib).
if [[ -z ${E2E_PYTHON:-} ]]; then
  E2E_PYTHON=python3
  if ! python3 -c 'import yaml' 2>/dev/null && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    E2E_PYTHON=/usr/bin/python3
  fi
fi

e2e_log() { printf 'e2e: %s\n' "$*" >&2; }

# A free TCP port on 127.0.0.1 (there is a small window before the server binds it).
e2e_free_port() {
  "$E2E_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

e2e_render() { "$E2E_DIR/render-config.sh" "$@"; }

e2e_wait_for() {
  local description=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      e2e_log "timed out after ${seconds}s waiting for $description"
      return 1
    fi
    sleep 0.2
  done
}

# e2e_wait_while_alive PID SECONDS COMMAND...: until COMMAND succeeds; fails at once if PID exits
# (a server that died at start is reported now, not after the whole wait).
e2e_wait_while_alive() {
  local pid=$1 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

e2e_http_ok() { curl -fsS --max-time 2 -o /dev/null "$1"; }

# Start COMMAND in the background with its output in LOG, and remember its PID.
e2e_spawn() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  E2E_PIDS+=("$!")
  E2E_LAST_PID=$!
}

e2e_start_webhook() {
  local dir=$1
  WEBHOOK_FILE="$dir/webhook.jsonl"
  rm -f "$dir/webhook.port"
  e2e_spawn "$dir/webhook.log" "$E2E_PYTHON" "$E2E_DIR/webhook.py" --listen 127.0.0.1:0 \
    --output "$WEBHOOK_FILE" --port-file "$dir/webhook.port"
  e2e_wait_for "the webhook receiver's port file" 10 test -s "$dir/webhook.port" || { cat "$dir/webhook.log" >&2; return 1; }
  WEBHOOK_ADDRESS="127.0.0.1:$(<"$dir/webhook.port")"
  e2e_wait_for "the webhook receiver" 10 e2e_http_ok "http://$WEBHOOK_ADDRESS/healthz" || { cat "$dir/webhook.log" >&2; return 1; }
  e2e_log "webhook receiver on $WEBHOOK_ADDRESS (pid $E2E_LAST_PID), writing $WEBHOOK_FILE"
}

e2e_start_alertmanager() {
  local dir=$1 config=$2
  local port
  port=$(e2e_free_port)
  ALERTMANAGER_ADDRESS="127.0.0.1:$port"
  mkdir -p "$dir/alertmanager"
  # --cluster.listen-address= disables the HA gossip port: one private instance.
  e2e_spawn "$dir/alertmanager.log" prometheus-alertmanager --config.file="$config" \
    --storage.path="$dir/alertmanager" --web.listen-address="$ALERTMANAGER_ADDRESS" \
    --cluster.listen-address= --log.level=info
  e2e_wait_for "Alertmanager on $ALERTMANAGER_ADDRESS" 30 e2e_http_ok "http://$ALERTMANAGER_ADDRESS/-/ready" \
    || { tail -n 20 "$dir/alertmanager.log" >&2; return 1; }
  e2e_log "alertmanager on $ALERTMANAGER_ADDRESS (pid $E2E_LAST_PID)"
}

e2e_start_prometheus() {
  local dir=$1 config=$2
  local port
  port=$(e2e_free_port)
  PROMETHEUS_ADDRESS="127.0.0.1:$port"
  mkdir -p "$dir/prometheus"
  # resend-delay 1s: firing alerts reach Alertmanager every second instead of every minute.
  e2e_spawn "$dir/prometheus.log" prometheus --config.file="$config" \
    --storage.tsdb.path="$dir/prometheus" --storage.tsdb.retention.time=1h \
    --web.listen-address="$PROMETHEUS_ADDRESS" --rules.alert.resend-delay=1s --log.level=info
  e2e_wait_for "Prometheus on $PROMETHEUS_ADDRESS" 30 e2e_http_ok "http://$PROMETHEUS_ADDRESS/-/ready" \
    || { tail -n 20 "$dir/prometheus.log" >&2; return 1; }
  e2e_log "prometheus on $PROMETHEUS_ADDRESS (pid $E2E_LAST_PID)"
}

# Stop every process this shell started, newest first: SIGTERM, then SIGKILL after 10 s.
e2e_stop_all() {
  local index pid waited
  for ((index = ${#E2E_PIDS[@]} - 1; index >= 0; index--)); do
    pid=${E2E_PIDS[index]}
    kill -TERM "$pid" 2>/dev/null || continue
    waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
      sleep 0.2
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      e2e_log "pid $pid ignored SIGTERM for 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  E2E_PIDS=()
}

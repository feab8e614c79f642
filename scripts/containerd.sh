#!/bin/bash
# A private containerd 1.6 with its CRI plugin, for crisync's tests and demo.
#
#   containerd.sh start    install packages if missing, start containerd (idempotent), import the
#                          locally built busybox image; prints CRI_SOCK=<socket>
#   containerd.sh stop     remove every pod and container, stop containerd, kill leftover shims and
#                          container processes of THIS lab by PID, unmount, remove the lab cgroups
#   containerd.sh status   containerd, CRI plugin, tasks, shims, mounts, cgroups (exit 3: not running)
#   containerd.sh reset    stop, then wipe the lab's containerd root and state (fresh next start)
#
# Environment:
#   CRISYNC_LAB            lab directory (default /tmp/crisync-lab); socket $CRISYNC_LAB/run/containerd.sock
#   CRISYNC_CGROUP_ROOT    cgroup parent of the lab's pods (default /crisync-lab). Give every lab its own:
#                          stop kills whatever is left in it. start records it in $CRISYNC_LAB/cgroup-root,
#                          which stop and the test driver (ContainerdLab) use when the variable is unset.
#   CRISYNC_SNAPSHOTTER    overlayfs (default) or native (where overlayfs cannot be mounted)
#
# No network: the image is built from /bin/busybox by mkimage.py. Host-network pods only (no CNI).
# Needs root. Outside the lab directory it touches only: shim sockets in /run/containerd/s
# (hard-coded by containerd 1.6) and cgroups under $CRISYNC_CGROUP_ROOT in every hierarchy.
set -u -o pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB="${CRISYNC_LAB:-/tmp/crisync-lab}"
SOCK="$LAB/run/containerd.sock"
PID_FILE="$LAB/run/containerd.pid"
CONFIG="$LAB/config.toml"
LOG="$LAB/logs/containerd.log"
IMAGE="docker.io/crisync/busybox:latest"
IMAGE_TAR="$LAB/image/busybox-oci.tar"
SNAPSHOTTER="${CRISYNC_SNAPSHOTTER:-overlayfs}"
CGROUP_ROOT_FILE="$LAB/cgroup-root"   # written by start; stop and status use it, whatever the env says now
normalize_cgroup_root() { local root; root="$(printf '/%s' "$1" | tr -s /)"; echo "${root%/}"; }
CGROUP_ROOT="$(normalize_cgroup_root "${CRISYNC_CGROUP_ROOT:-/crisync-lab}")"
RUNC_ROOT="$LAB/state/runc/k8s.io"
CREATED_RUN_MARK="$LAB/.created-run-containerd"
PACKAGES=(containerd runc busybox-static python3)   # python3: mkimage.py builds the image

log() { echo "[containerd.sh] $*" >&2; }
# stop kills every process inside this cgroup subtree: it must be a dedicated one, never the root.
check_cgroup_root() {
  case "$CGROUP_ROOT" in ""|/) log "the cgroup root must be a dedicated cgroup, not '$CGROUP_ROOT'"; exit 2 ;; esac
}
check_cgroup_root
# The root this lab's pods really use: the one start recorded.
use_recorded_cgroup_root() {
  [ -s "$CGROUP_ROOT_FILE" ] || return 0
  CGROUP_ROOT="$(normalize_cgroup_root "$(cat "$CGROUP_ROOT_FILE")")"
  check_cgroup_root
}
ctr_lab() { timeout "${CTR_TIMEOUT:-15}" ctr --address "$SOCK" --namespace k8s.io "$@"; }

need_root() {
  [ "$(id -u)" = 0 ] || { log "needs root (mounts, cgroups, namespaces)"; exit 1; }
}

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq >/dev/null || { log "apt-get update failed"; return 1; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null ||
    { log "apt-get install ${missing[*]} failed"; return 1; }
}

# Serialises start/stop/reset of one lab (tests of several developers may share it).
take_lock() {
  mkdir -p "$LAB"
  exec 9>"$LAB/.lock"
  flock -w 180 9 || { log "another containerd.sh holds $LAB/.lock"; exit 1; }
}

# The PID of OUR containerd: recorded by start, still alive, and running our config.
containerd_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid; pid="$(cat "$PID_FILE" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = containerd ] || return 1
  grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -xF -- "$CONFIG" >/dev/null || return 1
  echo "$pid"
}

# PIDs of containerd-shim-runc-v2 processes serving OUR socket (`-address <socket>`, exact match).
lab_shims() {
  local dir pid previous arg
  for dir in /proc/[0-9]*; do
    [ "$(cat "$dir/comm" 2>/dev/null)" = containerd-shim ] || continue
    pid="${dir#/proc/}"; previous=""
    while IFS= read -r -d '' arg; do
      if [ "$previous" = "-address" ] && [ "$arg" = "$SOCK" ]; then echo "$pid"; break; fi
      previous="$arg"
    done <"$dir/cmdline" 2>/dev/null
  done
}

# Cgroup directories of the lab, in every mounted hierarchy (v1 controllers and the unified tree).
lab_cgroup_dirs() {
  local mount
  awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/mounts | sort -u | while read -r mount; do
    [ -d "$mount$CGROUP_ROOT" ] && echo "$mount$CGROUP_ROOT"
  done
}

# Processes still inside the lab cgroups (containers whose shim and runc state are gone).
lab_cgroup_pids() {
  local dir
  lab_cgroup_dirs | while read -r dir; do
    find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

lab_mounts() {  # deepest first
  awk -v lab="$LAB/" 'index($2, lab) == 1 {print $2}' /proc/mounts | sort -r
}

wait_gone() {  # wait_gone PID TENTHS
  local i
  for ((i = 0; i < $2; i++)); do [ -d "/proc/$1" ] || return 0; sleep 0.1; done
  return 1
}

render_config() {
  sed -e "s#@LAB@#$LAB#g" -e "s#@IMAGE@#$IMAGE#g" -e "s#@SNAPSHOTTER@#$SNAPSHOTTER#g" \
    "$SCRIPTS/containerd-config.toml.in" >"$CONFIG.tmp" && mv "$CONFIG.tmp" "$CONFIG"
}

build_image() {
  if [ ! -s "$IMAGE_TAR" ] || [ "$SCRIPTS/mkimage.py" -nt "$IMAGE_TAR" ] || [ /bin/busybox -nt "$IMAGE_TAR" ]; then
    python3 "$SCRIPTS/mkimage.py" "$IMAGE_TAR" "$IMAGE" >/dev/null || { log "mkimage.py failed"; return 1; }
  fi
}

# CRI serves requests only once its service loop runs; its event monitor marks imported images as
# CRI-managed, so seeing that label means CRI is up and sees our image. No gRPC client needed.
cri_ready() {
  ctr_lab plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" && $NF == "ok" {found=1} END {exit !found}' &&
    ctr_lab images ls 2>/dev/null | awk -v image="$IMAGE" '$1 == image && /io.cri-containerd.image=managed/ {found=1} END {exit !found}'
}

cmd_start() {
  need_root
  ensure_packages || return 1
  take_lock
  local pid i
  if pid="$(containerd_pid)"; then
    kill -CONT "$pid" 2>/dev/null   # a test that died while containerd was stopped must not wedge us
    [ -s "$CGROUP_ROOT_FILE" ] || echo "$CGROUP_ROOT" >"$CGROUP_ROOT_FILE"
  else
    mkdir -p "$LAB/run" "$LAB/root" "$LAB/state" "$LAB/logs/pods" "$LAB/cni/bin" "$LAB/cni/net.d" "$LAB/image"
    build_image || return 1
    # Shims left from a crash reconnect on startup; a stopped one would stall startup 5 s per task.
    for i in $(lab_shims); do kill -CONT "$i" 2>/dev/null; done
    # containerd 1.6 always puts shim sockets in /run/containerd/s: remember whether we made the dir.
    [ -d /run/containerd ] || touch "$CREATED_RUN_MARK"
    render_config || return 1
    echo "$CGROUP_ROOT" >"$CGROUP_ROOT_FILE"
    rm -f "$SOCK" "$SOCK.ttrpc" "$LAB/run/debug.sock"
    setsid containerd --config "$CONFIG" >>"$LOG" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$PID_FILE"
    for ((i = 0; i < 300; i++)); do   # startup waits on the shims of recovered tasks
      [ -d "/proc/$pid" ] || break
      ctr_lab version >/dev/null 2>&1 && break
      sleep 0.1
    done
    if ! ctr_lab version >/dev/null 2>&1; then
      log "containerd did not come up; last lines of $LOG:"; tail -n 15 "$LOG" >&2
      return 1
    fi
    log "containerd $(containerd --version | awk '{print $3}') started, pid $pid"
  fi
  if ! ctr_lab images ls -q 2>/dev/null | grep -xF "$IMAGE" >/dev/null; then
    build_image || return 1
    ctr_lab images import --snapshotter "$SNAPSHOTTER" "$IMAGE_TAR" >/dev/null ||
      { log "importing $IMAGE_TAR failed"; return 1; }
    log "imported $IMAGE"
  fi
  for ((i = 0; i < 100; i++)); do cri_ready && break; sleep 0.1; done
  if ! cri_ready; then
    log "the CRI plugin is not ready; last lines of $LOG:"; tail -n 15 "$LOG" >&2
    return 1
  fi
  echo "CRI_SOCK=$SOCK"
}

# Every task and container in CRI's namespace, through containerd itself: works whatever state CRI is
# in and needs no CRI client. Returns non-zero if something could not be removed.
remove_all_through_containerd() {
  local id failed=0
  for id in $(ctr_lab tasks ls -q 2>/dev/null); do
    ctr_lab tasks kill --all --signal SIGKILL "$id" >/dev/null 2>&1
  done
  for id in $(ctr_lab tasks ls -q 2>/dev/null); do
    # CRI deletes exited tasks itself, so "not found" here is success.
    ctr_lab tasks delete --force "$id" >/dev/null 2>&1
  done
  for id in $(ctr_lab tasks ls -q 2>/dev/null); do log "could not delete task $id"; failed=1; done
  for id in $(ctr_lab containers ls -q 2>/dev/null); do
    ctr_lab containers delete "$id" >/dev/null 2>&1 || { log "could not delete container $id"; failed=1; }
  done
  return $failed
}

cmd_stop() {
  need_root
  take_lock
  use_recorded_cgroup_root
  local pid shim id orphan left clean=1
  # A test that died mid-way may have left our containerd or shims SIGSTOPped.
  for shim in $(lab_shims); do kill -CONT "$shim" 2>/dev/null; done
  if pid="$(containerd_pid)"; then
    kill -CONT "$pid" 2>/dev/null
    remove_all_through_containerd || clean=0
    kill -TERM "$pid" 2>/dev/null
    wait_gone "$pid" 100 || { log "containerd $pid ignored SIGTERM; SIGKILL"; kill -KILL "$pid" 2>/dev/null; wait_gone "$pid" 50; }
    log "containerd $pid stopped"
  else
    # Crashed or never started: whatever its database still lists cannot be removed cleanly.
    [ -d "$LAB/root/io.containerd.metadata.v1.bolt" ] && clean=0
  fi
  rm -f "$PID_FILE" "$SOCK" "$SOCK.ttrpc" "$LAB/run/debug.sock"

  # Containers that runc still knows (their shim died): kill and delete by id, in our runc root only.
  if [ -d "$RUNC_ROOT" ]; then
    for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
      runc --root "$RUNC_ROOT" kill --all "$id" KILL 2>/dev/null
      runc --root "$RUNC_ROOT" delete --force "$id" 2>/dev/null && log "runc delete $id"
    done
  fi
  for shim in $(lab_shims); do log "killing leftover shim $shim"; kill -KILL "$shim" 2>/dev/null; done
  # Anything still in our cgroups is ours by construction (e.g. an init re-parented to pid 1).
  for orphan in $(lab_cgroup_pids); do log "killing leftover process $orphan"; kill -KILL "$orphan" 2>/dev/null; done
  for shim in $(lab_shims); do wait_gone "$shim" 30; done

  lab_mounts | while read -r left; do
    umount "$left" 2>/dev/null || umount -l "$left" 2>/dev/null
    log "unmounted $left"
  done
  # runc's cgroupfs driver never removes the pod-level cgroup; remove the lab's whole subtree.
  lab_cgroup_dirs | while read -r left; do
    for ((id = 0; id < 20; id++)); do
      find "$left" -depth -type d -exec rmdir {} + 2>/dev/null
      [ -d "$left" ] || break
      sleep 0.1   # killed processes leave their cgroup a moment after SIGKILL
    done
    [ -d "$left" ] && log "could not remove $left (processes still inside?)"
  done
  remove_stale_shim_sockets
  if [ "$clean" = 0 ]; then
    log "pods or containers could not be removed cleanly; wiping the lab's containerd root and state"
    wipe_state
  fi
  log "stopped"
}

# containerd 1.6 hard-codes /run/containerd/s for shim sockets; SIGKILLed shims leave theirs behind.
# Only when the lab created /run/containerd: drop sockets nobody listens on, then the dirs if empty.
remove_stale_shim_sockets() {
  [ -f "$CREATED_RUN_MARK" ] && [ -d /run/containerd ] || return 0
  python3 - <<'EOF'
import os, socket, time
directory = "/run/containerd/s"
deadline = time.monotonic() + 5      # a shim that is shutting down may still accept for a moment
while os.path.isdir(directory) and os.listdir(directory) and time.monotonic() < deadline:
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)
        except OSError:
            pass
        finally:
            probe.close()
    time.sleep(0.1)
EOF
  rmdir /run/containerd/s /run/containerd 2>/dev/null
  if [ -d /run/containerd ]; then
    log "left /run/containerd in place: $(find /run/containerd/s -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) live sockets"
  else
    rm -f "$CREATED_RUN_MARK"
  fi
}

wipe_state() {
  if [ -n "$(lab_mounts)" ]; then
    log "not wiping: still mounted under $LAB: $(lab_mounts | tr '\n' ' ')"
    return 1
  fi
  rm -rf --one-file-system "$LAB/root" "$LAB/state" "$LAB/run" "$LAB/logs"
}

cmd_reset() {
  cmd_stop
  wipe_state && log "wiped root, state, run and logs under $LAB"
}

cmd_status() {
  local pid rc=0
  use_recorded_cgroup_root
  if pid="$(containerd_pid)"; then
    echo "containerd: pid $pid, $(containerd --version | awk '{print $3}'), rss $(awk '/VmRSS/ {print $2 " " $3}' "/proc/$pid/status"), state $(awk '/^State/ {print $2}' "/proc/$pid/status")"
    echo "socket: $SOCK"
    echo "cri plugin: $(ctr_lab plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" {print $NF}')"
    echo "image: $(ctr_lab images ls -q 2>/dev/null | grep -cxF "$IMAGE") x $IMAGE"
    echo "containers: $(ctr_lab containers ls -q 2>/dev/null | wc -l), tasks: $(ctr_lab tasks ls -q 2>/dev/null | wc -l)"
  else
    echo "containerd: not running (lab $LAB)"
    rc=3
  fi
  echo "shims: $(lab_shims | tr '\n' ' ')"
  echo "mounts under lab: $(lab_mounts | wc -l)"
  echo "cgroup dirs under $CGROUP_ROOT: $(lab_cgroup_dirs | while read -r d; do find "$d" -mindepth 1 -type d; done | wc -l)"
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac

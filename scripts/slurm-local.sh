#!/usr/bin/env bash
# A real multi-node Slurm cluster on this one machine, without systemd, all state under one folder.
#
#   scripts/slurm-local.sh start          install slurm-wlm and munge if missing, then start munged, slurmctld and the nodes
#   scripts/slurm-local.sh stop           stop every daemon, cancel every job, remove the namespaces and the state folder
#   scripts/slurm-local.sh status         the nodes as Slurm sees them, and the queue
#   scripts/slurm-local.sh env            the variables a shell needs to use the cluster (eval "$(scripts/slurm-local.sh env)")
#   scripts/slurm-local.sh kill-node N    kill node N as a machine dies: its slurmd, its step daemons and its tasks, at once
#   scripts/slurm-local.sh start-node N   start node N's slurmd again (Slurm returns it to service when it registers)
#   scripts/slurm-local.sh cut-node N     take node N off the network (its link goes down; everything on it keeps running)
#   scripts/slurm-local.sh heal-node N    put node N back on the network
#
# Each node is a slurmd in a network namespace of its own with its own address on a bridge (the "cluster network"),
# so partitions launched there really live at other addresses, and a node can be cut off. slurmctld, munged and
# srun run on the host, which has the bridge's first address. Traffic only ever goes to addresses of namespaces
# this script made. Where network namespaces cannot be made, the nodes share the loopback address instead
# (PARTITIONED_SLURM_NETNS=0 forces that); cut-node then fails with a message.
#
# Settings (environment): PARTITIONED_SLURM_INSTANCE (0 to 9, default 0: clusters of different instances can run
# side by side; each has its own folder, namespaces, addresses and ports), PARTITIONED_SLURM_DIR (state folder,
# default /tmp/partitioned-slurm-<instance>), PARTITIONED_SLURM_NODES (default 3), PARTITIONED_SLURM_NETNS
# (1 default, 0 for loopback nodes).
set -euo pipefail

INSTANCE=${PARTITIONED_SLURM_INSTANCE:-0}
[[ "$INSTANCE" =~ ^[0-9]$ ]] || { echo "slurm-local: PARTITIONED_SLURM_INSTANCE must be 0 to 9" >&2; exit 2; }
DIR=${PARTITIONED_SLURM_DIR:-/tmp/partitioned-slurm-$INSTANCE}
NODES=${PARTITIONED_SLURM_NODES:-3}
SUBNET=10.213.$((70 + INSTANCE))
CTLD_PORT=$((16817 + 20 * INSTANCE))
BRIDGE=pslurm${INSTANCE}
HOST_ADDR="$SUBNET.1"
CONF="$DIR/slurm.conf"

die() { echo "slurm-local: $*" >&2; exit 1; }
log() { echo "slurm-local: $*" >&2; }

node_name() { echo "n$1"; }
node_ns() { echo "pslurm${INSTANCE}-n$1"; }
node_veth() { echo "pslurm${INSTANCE}-v$1"; }
node_addr() { if [ "$(mode)" = netns ]; then echo "$SUBNET.$((10 + $1))"; else echo 127.0.0.1; fi; }
node_port() { if [ "$(mode)" = netns ]; then echo $((CTLD_PORT + 1)); else echo $((CTLD_PORT + $1)); fi; }
mode() { cat "$DIR/mode" 2>/dev/null || echo none; }
check_node() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "no node '$1': nodes are 1 to $NODES"; }

# A daemon killed here can linger as a zombie, which kill -0 still reports alive: read its state instead.
alive() {
  local pid=$1 state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed -E 's/^.*\) ([A-Z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && [ "$state" != X ]
}

pid_of() { cat "$1" 2>/dev/null || true; }

wait_until() { # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || die "timed out after ${seconds}s waiting for $what (logs in $DIR/log)"
    sleep 0.1
  done
}

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v srun >/dev/null && command -v munged >/dev/null && return
  [ "$(id -u)" = 0 ] || die "slurm-wlm and munge are not installed, and installing them needs root"
  log "installing slurm-wlm and munge with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

can_netns() {
  [ "${PARTITIONED_SLURM_NETNS:-1}" = 1 ] || return 1
  command -v ip >/dev/null || return 1
  ip netns add "pslurm${INSTANCE}-probe" 2>/dev/null || return 1
  ip netns del "pslurm${INSTANCE}-probe"
}

make_network() {
  ip link add "$BRIDGE" type bridge
  ip addr add "$HOST_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  for i in $(seq 1 "$NODES"); do
    local ns veth
    ns=$(node_ns "$i"); veth=$(node_veth "$i")
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$BRIDGE" up
    ip -n "$ns" addr add "$(node_addr "$i")/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
}

remove_network() {
  for i in $(seq 1 "$NODES"); do
    local ns
    ns=$(node_ns "$i")
    if ip netns list 2>/dev/null | grep -qw "$ns"; then
      ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
    ip link del "$(node_veth "$i")" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
}

write_config() {
  local host cpus memory
  host=$(hostname -s)
  cpus=8
  memory=4096
  {
    echo "# Written by scripts/slurm-local.sh: $NODES nodes on this host ($(mode) mode)."
    echo "ClusterName=partitioned$INSTANCE"
    echo "SlurmctldHost=$host($HOST_ADDR)"
    echo "SlurmctldPort=$CTLD_PORT"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "AuthType=auth/munge"
    echo "CredType=cred/munge"
    # Credentials expire fast, so a requeued job can start again at once instead of two minutes later.
    echo "AuthInfo=socket=$DIR/run/munge.socket,cred_expire=5"
    echo "StateSaveLocation=$DIR/state"
    echo "SlurmdSpoolDir=$DIR/spool/%n"
    echo "SlurmctldPidFile=$DIR/run/slurmctld.pid"
    echo "SlurmdPidFile=$DIR/run/slurmd-%n.pid"
    echo "SlurmctldLogFile=$DIR/log/slurmctld.log"
    echo "SlurmdLogFile=$DIR/log/slurmd-%n.log"
    echo "SlurmctldDebug=info"
    echo "SlurmdDebug=info"
    # No cgroups and no systemd here.
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "MpiDefault=none"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_CPU"
    # More task slots than the machine has cores, or the nodes go 'inval'.
    echo "SlurmdParameters=config_overrides"
    # Schedule at once, notice a dead node in 10 s, and take a node back when its slurmd registers again.
    echo "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1,sched_interval=1"
    echo "SlurmdTimeout=10"
    echo "ReturnToService=2"
    echo "KillWait=5"
    echo "MinJobAge=300"
    echo "InactiveLimit=0"
    echo "MessageTimeout=5"
    echo "TmpFS=$DIR/tmp"
    for i in $(seq 1 "$NODES"); do
      echo "NodeName=$(node_name "$i") NodeHostname=$host NodeAddr=$(node_addr "$i") Port=$(node_port "$i") CPUs=$cpus RealMemory=$memory State=UNKNOWN"
    done
    # LLN: least-loaded node first, so tasks spread over the nodes.
    echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP LLN=YES OverSubscribe=NO"
  } >"$CONF"
}

start_munged() {
  mkdir -p "$DIR/munge"
  chmod 0700 "$DIR/munge"
  if [ ! -s "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$DIR/munge/munge.key"
  fi
  # munged refuses a socket folder that others cannot traverse: the socket lives in run/ (0755 all the way up).
  munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/run/munge.socket" \
    --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
  wait_until 10 "munged's socket" test -S "$DIR/run/munge.socket"
}

start_node() {
  local i=$1 name
  name=$(node_name "$i")
  mkdir -p "$DIR/spool/$name"
  if [ "$(mode)" = netns ]; then
    # nsenter, not "ip netns exec": that one also remounts /sys, which hides the cgroup hierarchy slurmd checks.
    nsenter --net="/run/netns/$(node_ns "$i")" slurmd -f "$CONF" -N "$name"
  else
    slurmd -f "$CONF" -N "$name"
  fi
}

node_state() { SLURM_CONF=$CONF sinfo -h -n "$(node_name "$1")" -o %T 2>/dev/null | head -1; }
node_up() { case "$(node_state "$1")" in idle*|mixed*|allocated*|completing*) return 0 ;; *) return 1 ;; esac; }
ctld_up() { SLURM_CONF=$CONF scontrol ping >/dev/null 2>&1; }
all_nodes_up() { for i in $(seq 1 "$NODES"); do node_up "$i" || return 1; done; }

cmd_start() {
  if [ -f "$DIR/mode" ] && alive "$(pid_of "$DIR/run/slurmctld.pid")"; then
    log "already running ($(mode) mode, state in $DIR)"
    return
  fi

  install_packages
  cmd_stop quiet
  mkdir -p "$DIR"/{state,spool,run,log,tmp}
  # munged checks every folder above its socket: none may be writable by others, and each must be traversable.
  chmod 0755 "$DIR" "$DIR/run" "$DIR/log"
  if can_netns; then echo netns >"$DIR/mode"; make_network; else echo loopback >"$DIR/mode"; fi
  write_config
  start_munged
  slurmctld -f "$CONF"
  wait_until 15 "slurmctld" ctld_up
  for i in $(seq 1 "$NODES"); do start_node "$i"; done
  wait_until 30 "every node to register" all_nodes_up
  log "$NODES nodes up ($(mode) mode); state in $DIR; use: export SLURM_CONF=$CONF"
}

cmd_stop() {
  local quiet=${1:-}
  if [ -f "$CONF" ] && alive "$(pid_of "$DIR/run/slurmctld.pid")"; then
    SLURM_CONF=$CONF scancel --quiet --full --signal=KILL --state=RUNNING 2>/dev/null || true
    SLURM_CONF=$CONF scancel --quiet 2>/dev/null || true
  fi
  for pidfile in "$DIR"/run/slurmd-*.pid "$DIR/run/slurmctld.pid" "$DIR/run/munged.pid"; do
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(pid_of "$pidfile")
    alive "$pid" && kill -9 "$pid" 2>/dev/null || true
  done
  # Step daemons and tasks outlive slurmd; in netns mode removing the namespaces kills them all, and in loopback mode
  # the step daemons of this instance are found by the spool folder they hold open.
  if [ "$(mode)" = loopback ]; then
    for pid in $(pgrep -f "slurmstepd: \[" 2>/dev/null || true); do
      ls -l "/proc/$pid/cwd" 2>/dev/null | grep -q "$DIR" && kill -9 "$pid" 2>/dev/null || true
    done
  fi
  remove_network
  rm -rf "$DIR"
  [ -n "$quiet" ] || log "stopped"
}

cmd_status() {
  [ -f "$CONF" ] || die "not running"
  echo "mode: $(mode); state: $DIR; SLURM_CONF=$CONF; host address: $HOST_ADDR"
  SLURM_CONF=$CONF sinfo -N -o "%N %T %o"
  SLURM_CONF=$CONF squeue -o "%i %j %T %N"
}

cmd_env() {
  [ -f "$CONF" ] || die "not running"
  echo "export SLURM_CONF=$CONF"
  echo "export PARTITIONED_SLURM_HOST_ADDRESS=$([ "$(mode)" = netns ] && echo "$HOST_ADDR" || echo 127.0.0.1)"
}

cmd_kill_node() {
  local i=$1
  check_node "$i"
  if [ "$(mode)" = netns ]; then
    # Everything in the node's namespace: slurmd, its step daemons and their tasks.
    ip netns pids "$(node_ns "$i")" | xargs -r kill -9
  else
    local name pid
    name=$(node_name "$i")
    pid=$(pid_of "$DIR/run/slurmd-$name.pid")
    alive "$pid" && kill -9 "$pid"
    # Tasks carry their node's name in SLURMD_NODENAME; their step daemons are their parents.
    for environ in /proc/[0-9]*/environ; do
      if tr '\0' '\n' <"$environ" 2>/dev/null | grep -qx "SLURMD_NODENAME=$name"; then
        pid=${environ#/proc/}; pid=${pid%/environ}
        local parent
        parent=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null || true)
        kill -9 "$pid" 2>/dev/null || true
        [ -n "$parent" ] && grep -q slurmstepd "/proc/$parent/cmdline" 2>/dev/null && kill -9 "$parent" 2>/dev/null || true
      fi
    done
  fi
  log "node $(node_name "$i") killed"
}

cmd_start_node() {
  local i=$1
  check_node "$i"
  alive "$(pid_of "$DIR/run/slurmd-$(node_name "$i").pid")" && { log "node $(node_name "$i") already runs"; return; }
  start_node "$i"
  wait_until 30 "node $(node_name "$i") to return to service" node_up "$i"
  log "node $(node_name "$i") started"
}

cmd_cut_node() {
  check_node "$1"
  [ "$(mode)" = netns ] || die "cut-node needs network namespaces; this cluster runs its nodes on loopback"
  ip link set "$(node_veth "$1")" down
  log "node $(node_name "$1") cut off the network"
}

cmd_heal_node() {
  check_node "$1"
  [ "$(mode)" = netns ] || die "heal-node needs network namespaces; this cluster runs its nodes on loopback"
  ip link set "$(node_veth "$1")" up
  log "node $(node_name "$1") back on the network"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  kill-node) cmd_kill_node "${2:-}" ;;
  start-node) cmd_start_node "${2:-}" ;;
  cut-node) cmd_cut_node "${2:-}" ;;
  heal-node) cmd_heal_node "${2:-}" ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for development
# and CI, run from the broker jars on the machine's Java: no Docker engine needed.
#
#   broker.sh fetch     put the broker's jars into the cache (once; Maven Central)
#   broker.sh start     fetch if needed, format storage once, start, wait until it serves
#   broker.sh stop      SIGTERM, up to 30 s for a clean shutdown, then SIGKILL
#   broker.sh restart
#   broker.sh status    exit 0 when running and accepting connections, else 1
#
# `start` prints one line on stdout beginning with "started" or "running" (the latter:
# a broker from this state dir was already up and is reused); the test harness reads
# that word to know whether it owns the broker. Everything else goes to stderr.
#
# Environment:
#   SWITCHBOARD_STATE      state root (default <repo>/.state); jars, data, logs live in ./kafka
#   KAFKA_PORT             client port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093)
#   KAFKA_HEAP_OPTS        JVM heap flags (default -Xms256m -Xmx768m)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#   JAVA_HOME              Java 17+ to use (default: java on PATH)
set -euo pipefail

# Keep in step with kafka.version in pom.xml.
KAFKA_VERSION=3.9.1
# Fixed so a data dir formatted by any checkout is accepted by any other start; the
# value is base64url("switchboard.dev1"), 16 bytes as Kafka's Uuid requires.
CLUSTER_ID=c3dpdGNoYm9hcmQuZGV2MQ

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
STATE="${SWITCHBOARD_STATE:-$ROOT/.state}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd -P)" # a relative SWITCHBOARD_STATE must not depend on cwd later

KDIR="$STATE/kafka"
LIB="$KDIR/lib-$KAFKA_VERSION"
MARKER="$LIB/.complete"
DATA="$KDIR/data"
LOGS="$KDIR/logs"
PROPS="$KDIR/server.properties"
PIDFILE="$KDIR/broker.pid"
LOCKFILE="$KDIR/.lock"
CLASSES="$KDIR/classes"

PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"

say() { printf 'broker: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Serialises start/stop/fetch across concurrent callers (two test runs, a developer's
# terminal). Children must not inherit fd 9, or the broker would hold the lock forever.
lock() {
  mkdir -p "$KDIR"
  exec 9>"$LOCKFILE"
  if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || die "timed out waiting for $LOCKFILE"
  fi
}

# The pid of our broker, or nothing. A pid file outlives crashes and reboots, and pids
# get reused, so a live pid only counts if that process is a Kafka broker started on
# this state dir's properties file.
broker_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(<"$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local args
  args="$(ps -o args= -p "$pid" 2>/dev/null || true)"
  [[ "$args" == *kafka.Kafka*"$PROPS"* ]] || return 1
  echo "$pid"
}

clear_stale_pidfile() {
  if [[ -f "$PIDFILE" ]] && ! broker_pid >/dev/null; then
    say "removing stale pid file (pid $(<"$PIDFILE") is not a running broker)"
    rm -f "$PIDFILE"
  fi
}

# Port the running broker was configured with (the env of this call may differ).
running_port() {
  sed -n 's#^listeners=PLAINTEXT://127\.0\.0\.1:\([0-9]*\),.*#\1#p' "$PROPS" 2>/dev/null
}

pom_hash() { cksum <"$HERE/pom.xml" | cut -d' ' -f1; }

do_fetch() {
  if [[ -f "$MARKER" && "$(<"$MARKER")" == "$(pom_hash)" ]]; then
    return 0
  fi
  need mvn "Maven 3 fetches the Kafka jars from Maven Central"
  say "fetching Apache Kafka $KAFKA_VERSION jars into $LIB"
  local tmp="$LIB.tmp.$$" log="$KDIR/fetch.log" t0=$SECONDS
  rm -rf "$tmp"
  # -q still prints ANSI resets and, on failure, the real error; keep it all in a log.
  if ! mvn -B -q --no-transfer-progress -Dstyle.color=never -f "$HERE/pom.xml" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
      >"$log" 2>&1 </dev/null; then
    rm -rf "$tmp"
    tail -n 40 "$log" >&2 || true
    die "maven could not fetch the Kafka jars (full output: $log)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "fetch finished without kafka_2.13-$KAFKA_VERSION.jar"
  pom_hash >"$tmp/.complete"
  rm -rf "$LIB" "$CLASSES"
  mv "$tmp" "$LIB"
  say "fetched $(find "$LIB" -name '*.jar' | wc -l | tr -d ' ') jars in $((SECONDS - t0)) s"
}

# The probe is compiled once rather than run as a source file, which would cost a
# javac pass on every start. Without a JDK we fall back to one JVM per attempt.
compile_probe() {
  [[ -f "$CLASSES/WaitReady.class" && "$CLASSES/WaitReady.class" -nt "$HERE/WaitReady.java" ]] && return 0
  command -v "$JAVAC" >/dev/null 2>&1 || return 1
  mkdir -p "$CLASSES"
  "$JAVAC" -nowarn -d "$CLASSES" -cp "$LIB/*" "$HERE/WaitReady.java" >&2
}

tools_java() {
  "$JAVA" -Xmx256m -Dlog4j.configuration="file:$HERE/tools-log4j.properties" "$@"
}

write_props() {
  mkdir -p "$DATA" "$LOGS"
  cat >"$PROPS" <<EOF
# Written by deploy/kafka/broker.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA

# One node: every internal topic must fit on it.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Tests create their topics explicitly and want consumers assigned immediately.
auto.create.topics.enable=false
num.partitions=6
group.initial.rebalance.delay.ms=0
# lets tests and the crash drills use short consumer session timeouts (the default floor is 6 s)
group.min.session.timeout.ms=1000
EOF
}

format_storage() {
  [[ -f "$DATA/meta.properties" ]] && return 0
  say "formatting storage in $DATA (cluster $CLUSTER_ID)"
  # --ignore-formatted: a format interrupted after meta.properties was written is fine.
  tools_java -cp "$LIB/*" kafka.tools.StorageTool format --ignore-formatted \
    -t "$CLUSTER_ID" -c "$PROPS" >&2 || die "storage format failed"
}

# server.log is appended to across starts; LOG_FROM (its size when this start began)
# keeps an earlier run's shutdown lines out of the diagnosis.
LOG_FROM=0
log_tail() {
  say "last lines of $LOGS/server.log (this start):"
  tail -c "+$((LOG_FROM + 1))" "$LOGS/server.log" 2>/dev/null | tail -n 30 >&2 || true
  if [[ -s "$LOGS/kafka.out" ]]; then
    say "last lines of $LOGS/kafka.out:"
    tail -n 15 "$LOGS/kafka.out" >&2 || true
  fi
}

# Blocks until the broker answers metadata requests, or fails.
wait_ready() {
  local pid="$1" timeout_ms=$((START_TIMEOUT * 1000))
  if compile_probe; then
    local rc=0
    tools_java -cp "$CLASSES:$LIB/*" WaitReady "127.0.0.1:$PORT" "$timeout_ms" "$pid" >/dev/null || rc=$?
    return "$rc"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 3
    if port_open "$PORT" && tools_java -cp "$LIB/*" kafka.admin.BrokerApiVersionsCommand \
        --bootstrap-server "127.0.0.1:$PORT" >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  return 2
}

# Sends SIGTERM, gives the broker 30 s to flush and close its logs cleanly (an unclean
# shutdown makes the next start run log recovery), then SIGKILL.
kill_broker() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  say "pid $pid still running after 30 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "pid $pid survived SIGKILL"
}

do_start() {
  lock
  local pid
  if pid="$(broker_pid)"; then
    local rport
    rport="$(running_port)"
    [[ -n "$rport" && "$rport" != "$PORT" ]] &&
      die "the broker for $STATE is already running on port $rport (pid $pid), not $PORT; stop it first"
    # Probed, not just port-checked: a start that was interrupted (Ctrl-C during the
    # wait) leaves a broker that may still be recovering logs, and the listening port
    # accepts connections before the broker serves requests.
    if ! wait_ready "$pid"; then
      log_tail
      die "broker pid $pid is running but does not serve on 127.0.0.1:$PORT"
    fi
    echo "running kafka $KAFKA_VERSION on 127.0.0.1:$PORT (pid $pid, state $KDIR)"
    return 0
  fi
  clear_stale_pidfile

  need "$JAVA" "install Java 17+ or set JAVA_HOME"
  need ps "used to check that the pid file names a Kafka process"
  if port_open "$PORT"; then
    # Another checkout's broker (a CI clone beside a developer's tree, say) serves the same
    # port: reuse it rather than fail, if it really is a Kafka broker that answers. Callers
    # isolate themselves with topic prefixes; "running" tells them not to stop it.
    do_fetch
    if START_TIMEOUT=15 wait_ready "$$"; then
      echo "running kafka on 127.0.0.1:$PORT (a broker of another state dir; reused, not owned)"
      return 0
    fi
    die "127.0.0.1:$PORT is already in use by another process that is not a Kafka broker; set KAFKA_PORT"
  fi
  port_open "$CPORT" && die "127.0.0.1:$CPORT is already in use by another process; set KAFKA_CONTROLLER_PORT"

  do_fetch
  write_props
  format_storage

  local t0=$SECONDS
  LOG_FROM="$({ wc -c <"$LOGS/server.log"; } 2>/dev/null || echo 0)"
  rm -f "$PIDFILE"
  # setsid detaches from the caller's session so a Ctrl-C in the terminal, or a test
  # runner's process group being torn down, does not take the broker with it. The inner
  # shell writes its own pid and execs java, so the pid file is java's pid whether or
  # not setsid had to fork.
  local detach=()
  command -v setsid >/dev/null 2>&1 && detach=(setsid)
  # shellcheck disable=SC2086 # HEAP_OPTS is a list of JVM flags
  nohup ${detach[@]+"${detach[@]}"} bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dkafka.logs.dir="$LOGS" \
    -Dlog4j.configuration="file:$HERE/log4j.properties" \
    -cp "$LIB/*" kafka.Kafka "$PROPS" \
    >"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &

  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$PIDFILE" ]] && break
    sleep 0.05
  done
  pid="$(<"$PIDFILE")" || die "broker did not write its pid file"

  local rc=0
  wait_ready "$pid" || rc=$?
  if ((rc != 0)); then
    case "$rc" in
      2) say "broker did not become ready within ${START_TIMEOUT} s" ;;
      3) say "broker process exited during startup" ;;
      *) say "readiness probe failed (exit $rc)" ;;
    esac
    log_tail
    # A half-started broker would hold the ports and data dir locks; don't leave it.
    kill -0 "$pid" 2>/dev/null && kill_broker "$pid"
    rm -f "$PIDFILE"
    die "kafka failed to start"
  fi
  echo "started kafka $KAFKA_VERSION on 127.0.0.1:$PORT (pid $pid, ready in $((SECONDS - t0)) s, logs $LOGS)"
}

do_stop() {
  lock
  local pid
  if ! pid="$(broker_pid)"; then
    clear_stale_pidfile
    say "not running"
    return 0
  fi
  say "stopping pid $pid"
  kill_broker "$pid"
  rm -f "$PIDFILE"
  say "stopped"
}

do_status() {
  local pid
  if ! pid="$(broker_pid)"; then
    echo "not running"
    return 1
  fi
  local port
  port="$(running_port)"
  port="${port:-$PORT}"
  if port_open "$port"; then
    echo "running kafka $KAFKA_VERSION on 127.0.0.1:$port (pid $pid, state $KDIR)"
    return 0
  fi
  echo "starting or unresponsive: pid $pid is alive but 127.0.0.1:$port does not accept connections"
  return 1
}

case "${1:-}" in
  fetch)
    lock
    do_fetch
    echo "$LIB"
    ;;
  start) do_start ;;
  stop) do_stop ;;
  restart)
    do_stop
    do_start
    ;;
  status) do_status ;;
  -h|--help|help)
    echo "usage: npm run broker -- {fetch|start|stop|restart|status}   (a local Apache Kafka broker on 127.0.0.1:9092)"
    ;;
  *)
    if [ -n "${1:-}" ]; then echo "broker: unknown command \"$1\"" >&2; else echo "broker: a command is required" >&2; fi
    echo "usage: npm run broker -- {fetch|start|stop|restart|status}" >&2
    exit 64
    ;;
esac

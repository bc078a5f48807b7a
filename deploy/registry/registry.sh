#!/usr/bin/env bash
# Local Apicurio Registry (Confluent-compatible API at /apis/ccompat/v7, in-memory storage)
# for the schema-registry tests, built from Maven Central on the machine's Java: no Docker
# engine needed. Why Apicurio 2.4.2 and what the build substitutes: pom.xml and
# docs/events.md, "The schema registry".
#
#   registry.sh build     build the runnable registry (once; Maven Central, then cached)
#   registry.sh start     build if needed, start, wait until the API answers
#   registry.sh stop      SIGTERM, up to 20 s, then SIGKILL
#   registry.sh status    exit 0 when running and answering, else 1
#   registry.sh url       print the API base URL
#
# `start` prints one line on stdout beginning with "started" or "running" (already up, reused;
# the caller does not own it), then the URL. Everything else goes to stderr.
#
# Environment:
#   SWITCHBOARD_STATE        state root (default <repo>/.state); build, logs, pid in ./registry
#   REGISTRY_PORT            HTTP port on 127.0.0.1 (default 8085)
#   REGISTRY_START_TIMEOUT   seconds to wait for the API (default 180)
#   JAVA_HOME                Java 17+ to use (default: java on PATH)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
STATE="${SWITCHBOARD_STATE:-$ROOT/.state}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd -P)"

RDIR="$STATE/registry"
BUILD="$RDIR/build"
JAR="$BUILD/switchboard-schema-registry-1-runner.jar"
MARKER="$BUILD/.inputs"
PIDFILE="$RDIR/registry.pid"
LOG="$RDIR/registry.log"
LOCKFILE="$RDIR/.lock"
PORT="${REGISTRY_PORT:-8085}"
START_TIMEOUT="${REGISTRY_START_TIMEOUT:-180}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
URL="http://127.0.0.1:$PORT/apis/ccompat/v7"

say() { printf 'registry: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"; }

lock() {
  mkdir -p "$RDIR"
  exec 9>"$LOCKFILE"
  if command -v flock >/dev/null 2>&1; then flock -w 900 9 || die "timed out waiting for $LOCKFILE"; fi
}

# A pid counts only while it is our registry jar (pids are reused).
registry_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(<"$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(ps -o args= -p "$pid" 2>/dev/null || true)" == *"$JAR"* ]] || return 1
  echo "$pid"
}

answers() { node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$URL/subjects" 2>/dev/null; }

inputs_hash() { cat "$HERE/pom.xml" "$HERE"/src/main/java/dev/switchboard/registry/*.java "$HERE/src/main/resources/application.properties" | cksum | cut -d' ' -f1; }

do_build() {
  if [[ -f "$JAR" && -f "$MARKER" && "$(<"$MARKER")" == "$(inputs_hash)" ]]; then return 0; fi
  need mvn "Maven builds the registry from Maven Central"
  need "$JAVA" "install Java 17+ or set JAVA_HOME"
  say "building Apicurio Registry into $BUILD (Maven Central; the first build downloads ~200 MB)"
  local t0=$SECONDS log="$RDIR/build.log"
  mkdir -p "$RDIR"
  if ! mvn -B --no-transfer-progress -Dstyle.color=never -f "$HERE/pom.xml" -Dregistry.build.dir="$BUILD" \
      -DskipTests package >"$log" 2>&1 </dev/null; then
    grep -E 'ERROR|BUILD' "$log" | head -n 20 >&2 || true
    die "maven could not build the registry (full output: $log)"
  fi
  [[ -f "$JAR" ]] || die "build finished without $JAR"
  inputs_hash >"$MARKER"
  say "built in $((SECONDS - t0)) s"
}

do_start() {
  lock
  local pid
  if pid="$(registry_pid)"; then
    answers || die "registry pid $pid is running but $URL does not answer"
    echo "running apicurio registry on $URL (pid $pid)"
    return 0
  fi
  rm -f "$PIDFILE"
  if answers; then
    echo "running a registry of another state dir on $URL (reused, not owned)"
    return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "127.0.0.1:$PORT is in use by something that is not a registry; set REGISTRY_PORT"
  do_build
  local t0=$SECONDS
  # fd 9 (the lock) is not inherited; in-memory storage: every start is empty
  nohup "$JAVA" -Xms128m -Xmx512m -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
    -Dquarkus.log.console.level=WARN -jar "$JAR" >"$LOG" 2>&1 9>&- </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then tail -n 30 "$LOG" >&2; rm -f "$PIDFILE"; die "the registry exited while starting (log: $LOG)"; fi
    if ((SECONDS >= deadline)); then tail -n 30 "$LOG" >&2; kill_registry "$pid"; die "no answer from $URL within $START_TIMEOUT s"; fi
    sleep 0.5
  done
  say "up in $((SECONDS - t0)) s"
  echo "started apicurio registry on $URL (pid $pid)"
}

kill_registry() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  say "pid $pid still running after 20 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

do_stop() {
  lock
  local pid
  if pid="$(registry_pid)"; then kill_registry "$pid"; say "stopped (pid $pid)"; else say "not running"; fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  build) lock; do_build ;;
  start) do_start ;;
  stop) do_stop ;;
  status) registry_pid >/dev/null && answers ;;
  url) echo "$URL" ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# BurdenWatch: run the embedded single-node Kafka-protocol broker
# (`burdenwatch broker`) in the background for local runs. Development only:
# production points --brokers at a real Kafka cluster.
#
# Usage: deploy/broker.sh start|stop|status
#
# Environment:
#   BURDENWATCH_VAR     state dir (default <repo>/var); data in $VAR/broker
#   BURDENWATCH_LISTEN  listen address (default 127.0.0.1:9092)
#   BURDENWATCH_BIN     the burdenwatch binary (default <repo>/bin/burdenwatch)
#   BURDENWATCH_BROKER_STOP_TIMEOUT  seconds between TERM and KILL (default 5)
#
# status exits 0 when running, 1 when stopped; start fails (exit 1) with a
# clear message when the address is taken by another process.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR_DIR=${BURDENWATCH_VAR:-$REPO_DIR/var}
DIR="$VAR_DIR/broker"
PID_FILE="$DIR/broker.pid"
LISTEN=${BURDENWATCH_LISTEN:-127.0.0.1:9092}
BIN=${BURDENWATCH_BIN:-$REPO_DIR/bin/burdenwatch}
STOP_TIMEOUT=${BURDENWATCH_BROKER_STOP_TIMEOUT:-5}

log() { printf 'broker.sh: %s\n' "$*" >&2; }

running() { [[ -f $PID_FILE ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/${LISTEN%:*}/${LISTEN##*:}") 2>/dev/null; }

start() {
	if running; then
		log "already running (pid $(cat "$PID_FILE"), $LISTEN)"
		return 0
	fi
	[[ -x $BIN ]] || { log "error: $BIN not found; run 'make build' first"; exit 1; }
	if port_open; then
		log "error: $LISTEN is already in use by another process; set BURDENWATCH_LISTEN to another address"
		exit 1
	fi
	mkdir -p "$DIR"
	setsid nohup "$BIN" broker --listen "$LISTEN" --data-dir "$DIR/data" >"$DIR/broker.log" 2>&1 &
	echo $! >"$PID_FILE"
	for _ in $(seq 1 100); do
		if port_open; then
			log "running (pid $(cat "$PID_FILE"), $LISTEN, data $DIR/data)"
			return 0
		fi
		if ! running; then
			log "error: broker exited during start-up:"
			tail -n 20 "$DIR/broker.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	log "error: broker did not listen on $LISTEN within 10 s"
	exit 1
}

stop() {
	if ! running; then
		log "not running"
		rm -f "$PID_FILE"
		return 0
	fi
	local pid
	pid=$(cat "$PID_FILE")
	kill "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + STOP_TIMEOUT))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid still alive after ${STOP_TIMEOUT}s; sending KILL"
		kill -9 "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fi
	rm -f "$PID_FILE"
	log "stopped (was pid $pid)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) if running; then echo "running (pid $(cat "$PID_FILE"), $LISTEN)"; else echo stopped; exit 1; fi ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

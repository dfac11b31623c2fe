#!/usr/bin/env bash
# BurdenWatch: run a project-local ClickHouse server without systemd.
#
# Usage: deploy/clickhouse.sh install|start|stop|restart|status|client [args...]
#
#   install   install clickhouse-server/-client from apt if missing (root);
#             a temporary /usr/sbin/policy-rc.d keeps the package from
#             starting its own default server on 9000/8123.
#   start     render config into $VAR/clickhouse/etc and start the server in
#             the background (setsid+nohup); waits until /ping and the native
#             port answer. No-op when already running.
#   stop      TERM, wait up to 10 s, then KILL. No-op when not running.
#   password  print the path of the default user's password file.
#   restart   stop + start.
#   status    prints "running ..." (exit 0) or "stopped" (exit 1).
#   client    clickhouse-client against the local server as default (the
#             password comes from a 0600 client config, never the command
#             line), e.g.
#             deploy/clickhouse.sh client -q 'SELECT version()'
#             deploy/clickhouse.sh client --user grafana --password grafana
#
# The default user's password is generated at the first start into
# $BURDENWATCH_VAR/clickhouse/default.password (0600) and kept across
# starts; users.xml (0600) holds only its SHA-256. deploy/env.sh exports
# BURDENWATCH_CLICKHOUSE_PASSWORD_FILE pointing at it.
#
# Environment:
#   BURDENWATCH_VAR            state dir (default <repo>/var); data, logs and
#                              rendered config go to $BURDENWATCH_VAR/clickhouse
#   BURDENWATCH_CH_TCP_PORT    native protocol port (default 19000)
#   BURDENWATCH_CH_HTTP_PORT   HTTP port (default 18123)
#   BURDENWATCH_CH_START_TIMEOUT  seconds to wait for readiness (default 30)
#   BURDENWATCH_CH_STOP_TIMEOUT   seconds between TERM and KILL (default 10)
#
# Works with Debian's clickhouse-server 18.16 and with current releases
# (the config only uses keys both understand; see deploy/clickhouse/).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
TEMPLATE_DIR="$SCRIPT_DIR/clickhouse"

VAR_DIR=${BURDENWATCH_VAR:-$REPO_DIR/var}
CH_DIR="$VAR_DIR/clickhouse"
CONF_DIR="$CH_DIR/etc"
DATA_DIR="$CH_DIR/data"
TMP_DIR="$CH_DIR/tmp"
USER_FILES_DIR="$CH_DIR/user_files"
FORMAT_SCHEMA_DIR="$CH_DIR/format_schemas"
LOG_DIR="$CH_DIR/log"
PID_FILE="$CH_DIR/clickhouse.pid"
PASSWORD_FILE="$CH_DIR/default.password"
CLIENT_CONF="$CONF_DIR/client.xml"
LOCK_FILE="$CH_DIR/.lock"

REQ_TCP_PORT=${BURDENWATCH_CH_TCP_PORT:-19000}
REQ_HTTP_PORT=${BURDENWATCH_CH_HTTP_PORT:-18123}
START_TIMEOUT=${BURDENWATCH_CH_START_TIMEOUT:-30}
STOP_TIMEOUT=${BURDENWATCH_CH_STOP_TIMEOUT:-10}

log() { printf 'clickhouse.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- binaries

find_bin() { # name -> path (also looks in sbin dirs, not always in PATH)
	local name=$1 p
	if p=$(command -v "$name" 2>/dev/null); then
		printf '%s\n' "$p"
		return 0
	fi
	for p in /usr/sbin/"$name" /usr/local/sbin/"$name" /usr/bin/"$name" /usr/local/bin/"$name"; do
		if [[ -x $p ]]; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

have_clickhouse() { find_bin clickhouse-server >/dev/null && find_bin clickhouse-client >/dev/null; }

# ---------------------------------------------------------------- install

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_BACKUP=""

restore_policy_rc() {
	if [[ -n $POLICY_BACKUP && -e $POLICY_BACKUP ]]; then
		mv -f "$POLICY_BACKUP" "$POLICY_RC"
	else
		rm -f "$POLICY_RC"
	fi
}

cmd_install() {
	if have_clickhouse; then
		return 0
	fi
	[[ $(id -u) -eq 0 ]] || die "clickhouse-server/clickhouse-client not installed; run 'deploy/clickhouse.sh install' as root (or install them yourself)"
	command -v apt-get >/dev/null || die "clickhouse-server not installed and apt-get not available; install ClickHouse manually"
	log "installing clickhouse-server and clickhouse-client via apt-get"
	if [[ -e $POLICY_RC ]]; then
		POLICY_BACKUP=$(mktemp /usr/sbin/policy-rc.d.burdenwatch.XXXXXX)
		cp -p "$POLICY_RC" "$POLICY_BACKUP"
	fi
	trap restore_policy_rc EXIT
	trap 'exit 130' INT TERM HUP # make signals run the EXIT trap too
	# Exit code 101 = "action forbidden": the package must not start its own
	# default server (systemd is absent here anyway; invoke-rc.d would try).
	printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
	chmod 0755 "$POLICY_RC"
	apt-get -o DPkg::Lock::Timeout=600 update -q
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q clickhouse-server clickhouse-client
	restore_policy_rc
	trap - EXIT INT TERM HUP
	have_clickhouse || die "apt-get finished but clickhouse-server/clickhouse-client are still missing"
	log "installed: $(find_bin clickhouse-server)"
}

# ---------------------------------------------------------------- helpers

with_lock() { # serialise start/stop of the same $VAR
	mkdir -p "$CH_DIR"
	exec 9>"$LOCK_FILE"
	flock -w 60 9 || die "could not lock $LOCK_FILE (another clickhouse.sh running?)"
}

# Ports of the running server (read back from its rendered config), else the
# requested ones.
load_ports() {
	TCP_PORT=$REQ_TCP_PORT
	HTTP_PORT=$REQ_HTTP_PORT
	if [[ -f $CONF_DIR/config.xml ]] && server_pid >/dev/null; then
		local v
		v=$(sed -n 's|.*<tcp_port>\([0-9]*\)</tcp_port>.*|\1|p' "$CONF_DIR/config.xml" | head -n 1)
		[[ -n $v ]] && TCP_PORT=$v
		v=$(sed -n 's|.*<http_port>\([0-9]*\)</http_port>.*|\1|p' "$CONF_DIR/config.xml" | head -n 1)
		[[ -n $v ]] && HTTP_PORT=$v
	fi
	return 0
}

valid_port() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65535)); }

cmdline_is_ours() { # pid -> argv[0] is clickhouse* and it uses our config
	local pid=$1 a
	local -a args=()
	mapfile -d "" -t args 2>/dev/null <"/proc/$pid/cmdline" || return 1
	((${#args[@]} > 0)) || return 1
	[[ ${args[0]##*/} == clickhouse* ]] || return 1
	for a in "${args[@]:1}"; do
		[[ $a == "--config-file=$CONF_DIR/config.xml" ]] && return 0
	done
	return 1
}

is_our_server() { # pid -> alive clickhouse server using our config?
	local pid=$1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	[[ -d /proc/$pid ]] || return 0 # no procfs: trust kill -0
	cmdline_is_ours "$pid"
}

# Print the server pid if it is alive (pidfile first; falls back to looking
# for a process started with exactly our config file, e.g. pidfile deleted).
server_pid() {
	local pid=""
	if [[ -f $PID_FILE ]]; then
		pid=$(tr -dc '0-9' <"$PID_FILE")
		if is_our_server "$pid"; then
			printf '%s\n' "$pid"
			return 0
		fi
	fi
	local d
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		if cmdline_is_ours "$pid" && kill -0 "$pid" 2>/dev/null; then
			printf '%s\n' "$pid"
			return 0
		fi
	done
	return 1
}

http_get() { # url -> body
	local url=$1
	if command -v curl >/dev/null; then
		curl -fsS --max-time 2 "$url" 2>/dev/null
	elif command -v wget >/dev/null; then
		wget -q -T 2 -O - "$url" 2>/dev/null
	else # bash fallback, host:port/path only
		local rest=${url#http://} hostport path
		hostport=${rest%%/*}
		path=/${rest#*/}
		exec 8<>"/dev/tcp/${hostport%:*}/${hostport#*:}" || return 1
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&8
		sed '1,/^\r$/d' <&8
		exec 8<&-
	fi
}

ping_ok() { [[ $(http_get "http://127.0.0.1:$HTTP_PORT/ping" || true) == "Ok." ]]; }

native_ok() {
	local client
	client=$(find_bin clickhouse-client) || return 1
	[[ $(timeout 5 "$client" --config-file "$CLIENT_CONF" --host 127.0.0.1 --port "$TCP_PORT" -q 'SELECT 1' 2>/dev/null || true) == "1" ]]
}

port_in_use() { # port -> true if something accepts connections on it
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ERR_LOG_OFFSET=0
OUT_LOG_OFFSET=0

mark_logs() { # remember log sizes so failures show only this start's output
	ERR_LOG_OFFSET=$(stat -c %s "$LOG_DIR/clickhouse-server.err.log" 2>/dev/null || echo 0)
	OUT_LOG_OFFSET=$(stat -c %s "$LOG_DIR/stdout.log" 2>/dev/null || echo 0)
}

show_logs() {
	local err="$LOG_DIR/clickhouse-server.err.log" out="$LOG_DIR/stdout.log" new
	if [[ -f $err ]]; then
		new=$(tail -c +"$((ERR_LOG_OFFSET + 1))" "$err")
		if [[ -n $new ]]; then
			log "---- errors from $err (this start) ----"
			# Stack traces are long; the <Error> lines carry the message.
			if grep -q '<Error>' <<<"$new"; then
				grep '<Error>' <<<"$new" | tail -n 5 | cut -c 1-600 >&2
			else
				tail -n 30 <<<"$new" >&2
			fi
		fi
	fi
	if [[ -f $out ]]; then
		new=$(tail -c +"$((OUT_LOG_OFFSET + 1))" "$out")
		if [[ -n $new ]]; then
			log "---- server stdout/stderr ($out) ----"
			tail -n 15 <<<"$new" >&2
		fi
	fi
}

xml_safe() { # refuse values that would break the rendered XML / sed
	[[ $1 != *[\<\>\&\|]* ]] || die "path or value contains XML/sed special characters: $1"
}

render() { # template destination mode
	local tmpl=$1 dst=$2 mode=$3 tmp
	tmp=$(mktemp "$dst.XXXXXX") # mode 0600 from the start
	chmod "$mode" "$tmp"
	sed -e "s|@LOG_DIR@|$LOG_DIR|g" \
		-e "s|@DATA_DIR@|$DATA_DIR|g" \
		-e "s|@TMP_DIR@|$TMP_DIR|g" \
		-e "s|@USER_FILES_DIR@|$USER_FILES_DIR|g" \
		-e "s|@FORMAT_SCHEMA_DIR@|$FORMAT_SCHEMA_DIR|g" \
		-e "s|@CONF_DIR@|$CONF_DIR|g" \
		-e "s|@TCP_PORT@|$TCP_PORT|g" \
		-e "s|@HTTP_PORT@|$HTTP_PORT|g" \
		-e "s|@DEFAULT_PASSWORD_SHA256@|${PASSWORD_SHA256:-}|g" \
		"$tmpl" >"$tmp"
	if grep -q '@[A-Z_]*@' "$tmp"; then
		rm -f "$tmp"
		die "unreplaced placeholder in $tmpl"
	fi
	mv -f "$tmp" "$dst"
}

# The default user's password: generated once (24 random bytes as hex), kept
# in $PASSWORD_FILE (0600) for every later start, the scripts and the tests.
ensure_password() {
	if [[ ! -e $PASSWORD_FILE ]]; then
		local pw tmp
		pw=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
		[[ ${#pw} -eq 48 ]] || die "could not read 24 random bytes from /dev/urandom"
		tmp=$(mktemp "$PASSWORD_FILE.XXXXXX")
		chmod 0600 "$tmp"
		printf '%s\n' "$pw" >"$tmp"
		mv -f "$tmp" "$PASSWORD_FILE"
		log "generated the password of the ClickHouse user default: $PASSWORD_FILE"
	fi
	chmod 0600 "$PASSWORD_FILE"
	local pw
	pw=$(head -n 1 "$PASSWORD_FILE")
	[[ $pw =~ ^[A-Za-z0-9._~-]+$ ]] ||
		die "$PASSWORD_FILE: the first line must be the password, letters, digits and . _ ~ - only (delete the file to generate one)"
	PASSWORD_SHA256=$(printf '%s' "$pw" | sha256sum | cut -d ' ' -f 1)
	DEFAULT_PASSWORD=$pw
}

# users.xml and the client config (both 0600). A running server reloads
# users.xml by itself within seconds.
render_users() {
	ensure_password
	mkdir -p "$CONF_DIR"
	chmod 0700 "$CONF_DIR"
	render "$TEMPLATE_DIR/users.xml.tmpl" "$CONF_DIR/users.xml" 0600
	local tmp
	tmp=$(mktemp "$CLIENT_CONF.XXXXXX")
	chmod 0600 "$tmp"
	printf '<config>\n    <user>default</user>\n    <password>%s</password>\n</config>\n' "$DEFAULT_PASSWORD" >"$tmp"
	mv -f "$tmp" "$CLIENT_CONF"
}

# ---------------------------------------------------------------- commands

cmd_start() {
	have_clickhouse || cmd_install
	with_lock

	local pid
	if pid=$(server_pid); then
		load_ports
		render_users
		if ping_ok && native_ok; then
			[[ $TCP_PORT == "$REQ_TCP_PORT" && $HTTP_PORT == "$REQ_HTTP_PORT" ]] ||
				log "warning: running server uses tcp $TCP_PORT / http $HTTP_PORT, not the requested $REQ_TCP_PORT / $REQ_HTTP_PORT (stop it first to change ports)"
			echo "$pid" >"$PID_FILE"
			echo "clickhouse already running (pid $pid, tcp 127.0.0.1:$TCP_PORT, http 127.0.0.1:$HTTP_PORT)"
			return 0
		fi
		log "process $pid is alive but not answering yet; waiting"
		echo "$pid" >"$PID_FILE"
		wait_ready "$pid"
		return
	fi
	rm -f "$PID_FILE"

	TCP_PORT=$REQ_TCP_PORT
	HTTP_PORT=$REQ_HTTP_PORT
	valid_port "$TCP_PORT" && valid_port "$HTTP_PORT" && [[ $TCP_PORT != "$HTTP_PORT" ]] ||
		die "invalid ports tcp=$TCP_PORT http=$HTTP_PORT (need two different numbers 1-65535)"
	local p
	for p in "$TCP_PORT" "$HTTP_PORT"; do
		if port_in_use "$p"; then
			die "port 127.0.0.1:$p is already in use by another process; set BURDENWATCH_CH_TCP_PORT / BURDENWATCH_CH_HTTP_PORT"
		fi
	done

	xml_safe "$CH_DIR"
	mkdir -p "$CONF_DIR" "$DATA_DIR" "$TMP_DIR" "$USER_FILES_DIR" "$FORMAT_SCHEMA_DIR" "$LOG_DIR"
	render "$TEMPLATE_DIR/config.xml.tmpl" "$CONF_DIR/config.xml" 0644
	render_users

	local server
	server=$(find_bin clickhouse-server) || die "clickhouse-server not found"
	cd "$CH_DIR"
	# setsid: own session, so the server survives the calling shell/terminal;
	# as a background child of a non-interactive shell it is no process-group
	# leader, so setsid execs in place and $! is the server's pid.
	# (--pid-file writes nothing in this foreground mode, so keep $!.)
	# 9>&-: the server must not inherit the lock fd.
	mark_logs
	printf '\n==== %s starting %s\n' "$(date '+%F %T')" "$server" >>"$LOG_DIR/stdout.log"
	setsid nohup "$server" --config-file="$CONF_DIR/config.xml" >>"$LOG_DIR/stdout.log" 2>&1 </dev/null 9>&- &
	pid=$!
	echo "$pid" >"$PID_FILE"
	wait_ready "$pid"
}

wait_ready() {
	local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			show_logs
			rm -f "$PID_FILE"
			die "clickhouse-server (pid $pid) exited during startup; see $LOG_DIR"
		fi
		if ping_ok && native_ok; then
			echo "clickhouse running (pid $pid, tcp 127.0.0.1:$TCP_PORT, http 127.0.0.1:$HTTP_PORT, data $DATA_DIR)"
			return 0
		fi
		sleep 0.2
	done
	show_logs
	log "not ready after ${START_TIMEOUT}s; stopping pid $pid"
	kill -TERM "$pid" 2>/dev/null || true
	sleep 2
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PID_FILE"
	die "clickhouse-server did not answer http://127.0.0.1:$HTTP_PORT/ping and native port $TCP_PORT within ${START_TIMEOUT}s; see $LOG_DIR"
}

cmd_stop() {
	with_lock
	local pid
	if ! pid=$(server_pid); then
		rm -f "$PID_FILE"
		echo "clickhouse not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + STOP_TIMEOUT))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid still alive after ${STOP_TIMEOUT}s; sending KILL"
		kill -KILL "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fi
	rm -f "$PID_FILE"
	echo "clickhouse stopped (was pid $pid)"
}

cmd_status() {
	local pid
	if pid=$(server_pid); then
		load_ports
		if ping_ok; then
			echo "running (pid $pid, tcp 127.0.0.1:$TCP_PORT, http 127.0.0.1:$HTTP_PORT)"
			return 0
		fi
		echo "stopped (pid $pid alive but http://127.0.0.1:$HTTP_PORT/ping does not answer)"
		return 1
	fi
	echo "stopped"
	return 1
}

cmd_client() {
	local client
	client=$(find_bin clickhouse-client) || die "clickhouse-client not installed; run deploy/clickhouse.sh install"
	load_ports
	[[ -r $CLIENT_CONF ]] || die "$CLIENT_CONF missing; run deploy/clickhouse.sh start"
	exec "$client" --config-file "$CLIENT_CONF" --host 127.0.0.1 --port "$TCP_PORT" "$@"
}

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	install) cmd_install ;;
	start) cmd_start ;;
	stop) cmd_stop ;;
	restart)
		(cmd_stop)
		cmd_start
		;;
	status) cmd_status ;;
	client) cmd_client "$@" ;;
	password) echo "$PASSWORD_FILE" ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"

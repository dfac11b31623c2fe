#!/usr/bin/env bash
# BurdenWatch: a local ClickHouse cluster on one Debian machine, without
# systemd: Debian's ZooKeeper (standalone), 2 shards x 2 replicas of the
# installed clickhouse-server and the embedded broker with 3 brokers and a
# partitioned topic. For development and the cluster tests; a real deployment
# is described in deploy/cluster/README.md.
#
# Usage: deploy/cluster.sh start|stop|status|client N [args...]|pid N|env
#
#   start    install zookeeper from apt if missing (root), render configs
#            into $VAR/cluster and start ZooKeeper, the four ClickHouse nodes
#            and the broker; waits until each answers. Starts only what is
#            not running, so it also restarts a node that was killed.
#   stop     TERM (then KILL after 10 s) everything it started.
#   status   one line per process; exit 0 when all run.
#   client N clickhouse-client against node N (1..4).
#   pid N    the pid of node N (zk, broker for the others).
#   env      shell exports for the cluster (DSN, password file, brokers),
#            for eval.
#
# The default user's password is generated at the first start into
# $VAR/cluster/default.password (0600); `client` uses it.
#
# Nodes: ch1 = shard 1 replica 1, ch2 = shard 1 replica 2, ch3 = shard 2
# replica 1, ch4 = shard 2 replica 2. Loopback ports, none shared with the
# single server (19000/18123):
#   ZooKeeper 12181; ClickHouse native 19101..19104, HTTP 18201..18204,
#   interserver 18301..18304; broker 19192 (+ two more picked by kfake).
#
# Environment:
#   BURDENWATCH_VAR           state dir (default <repo>/var); everything in
#                             $BURDENWATCH_VAR/cluster
#   BURDENWATCH_CLUSTER       cluster name in remote_servers (burdenwatch)
#   BURDENWATCH_CLUSTER_TOPIC topic created with 6 partitions (burden.events)
#   BURDENWATCH_BIN           the burdenwatch binary (<repo>/bin/burdenwatch)
#   BURDENWATCH_CLUSTER_NO_BROKER=1  do not start the broker
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
TEMPLATE_DIR="$SCRIPT_DIR/cluster"
VAR_DIR=${BURDENWATCH_VAR:-$REPO_DIR/var}
DIR="$VAR_DIR/cluster"
CLUSTER=${BURDENWATCH_CLUSTER:-burdenwatch}
TOPIC=${BURDENWATCH_CLUSTER_TOPIC:-burden.events}
BIN=${BURDENWATCH_BIN:-$REPO_DIR/bin/burdenwatch}

ZK_PORT=12181
ZK_DIR="$DIR/zk"
BROKER_LISTEN=127.0.0.1:19192
BROKER_DIR="$DIR/broker"
NODES=(1 2 3 4)
tcp_port() { echo $((19100 + $1)); }
http_port() { echo $((18200 + $1)); }
interserver_port() { echo $((18300 + $1)); }
shard_of() { echo $((($1 + 1) / 2)); }
replica_of() { echo $((($1 + 1) % 2 + 1)); }

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

alive() { # pidfile -> pid if the process lives
	local f=$1 pid
	[[ -f $f ]] || return 1
	pid=$(tr -dc '0-9' <"$f")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

render() { # template destination sed-args...
	local tmpl=$1 dst=$2 tmp
	shift 2
	tmp=$(mktemp "$dst.XXXXXX")
	sed -e "" "$@" "$tmpl" >"$tmp"
	grep -q '@[A-Z_0-9]*@' "$tmp" && {
		rm -f "$tmp"
		die "unreplaced placeholder in $tmpl"
	}
	chmod 0644 "$tmp"
	mv -f "$tmp" "$dst"
}

wait_for() { # what seconds pid check-command...
	local what=$1 secs=$2 pid=$3
	shift 3
	local deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	log "$what did not become ready within ${secs}s"
	return 1
}

# ---------------------------------------------------------------- ZooKeeper

zk_jar=/usr/share/java/zookeeper.jar

# The zookeeper package (its server scripts); the jar and its dependencies
# come with it (libzookeeper-java).
zk_installed() { [[ -f $zk_jar && -x /usr/share/zookeeper/bin/zkServer.sh ]]; }

zk_install() {
	zk_installed && return 0
	[[ $(id -u) -eq 0 ]] || die "zookeeper is not installed; run as root or 'apt-get install zookeeper'"
	log "installing Debian's zookeeper package"
	# The package's init script must not start a server on 2181.
	local had_policy=0
	[[ -e /usr/sbin/policy-rc.d ]] && had_policy=1
	((had_policy)) || printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	apt-get -o DPkg::Lock::Timeout=600 update -q
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends zookeeper
	((had_policy)) || rm -f /usr/sbin/policy-rc.d
	zk_installed || die "apt-get finished but the zookeeper package's files are missing"
}

# Serving, not only listening: `ruok` answers imok while ZooKeeper still
# replays its transaction log (seconds, after many test databases), and a
# ClickHouse node started then fails to load its Replicated tables; `srvr`
# names the mode only once it serves.
zk_ok() { [[ $( (exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" && printf srvr >&3 && timeout 2 cat <&3) 2>/dev/null) == *"Mode: standalone"* ]]; }

zk_start() {
	local pid
	if pid=$(alive "$ZK_DIR/pid"); then
		return 0
	fi
	port_open "$ZK_PORT" && die "port $ZK_PORT is in use by another process"
	zk_install
	mkdir -p "$ZK_DIR/data"
	render "$TEMPLATE_DIR/zoo.cfg.tmpl" "$ZK_DIR/zoo.cfg" -e "s|@ZK_DIR@|$ZK_DIR|g" -e "s|@ZK_PORT@|$ZK_PORT|g"
	local java=${JAVA:-$(command -v java || echo /usr/bin/java)}
	# The jar's manifest names its dependencies; slf4j-simple makes the log
	# go to stderr (the file below) instead of nowhere.
	setsid nohup "$java" -Xmx512m -cp "$ZK_DIR:$zk_jar:/usr/share/java/slf4j-simple.jar" \
		-Dzookeeper.log.dir="$ZK_DIR" -Djava.net.preferIPv4Stack=true \
		org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_DIR/zoo.cfg" \
		>>"$ZK_DIR/zookeeper.log" 2>&1 </dev/null 9>&- &
	pid=$!
	echo "$pid" >"$ZK_DIR/pid"
	wait_for zookeeper 60 "$pid" zk_ok || {
		tail -n 20 "$ZK_DIR/zookeeper.log" >&2
		die "zookeeper failed to start; see $ZK_DIR/zookeeper.log"
	}
	log "zookeeper running (pid $pid, 127.0.0.1:$ZK_PORT)"
}

# ---------------------------------------------------------------- ClickHouse

node_dir() { echo "$DIR/ch$1"; }

node_ok() {
	[[ $(curl -fsS --max-time 2 "http://127.0.0.1:$(http_port "$1")/ping" 2>/dev/null || true) == "Ok." ]]
}

PASSWORD_FILE="$DIR/default.password"
CLIENT_CONF="$DIR/client.xml"

# The default user's password, as deploy/clickhouse.sh does for the single
# server: generated once (24 random bytes as hex) into $PASSWORD_FILE (0600),
# with a clickhouse-client config holding it.
ensure_password() {
	if [[ ! -e $PASSWORD_FILE ]]; then
		local tmp
		tmp=$(mktemp "$PASSWORD_FILE.XXXXXX")
		chmod 0600 "$tmp"
		od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$tmp"
		echo >>"$tmp"
		mv -f "$tmp" "$PASSWORD_FILE"
	fi
	chmod 0600 "$PASSWORD_FILE"
	DEFAULT_PASSWORD=$(head -n 1 "$PASSWORD_FILE")
	[[ $DEFAULT_PASSWORD =~ ^[A-Za-z0-9._~-]+$ ]] || die "$PASSWORD_FILE: the first line must be the password (letters, digits, . _ ~ -)"
	PASSWORD_SHA256=$(printf '%s' "$DEFAULT_PASSWORD" | sha256sum | cut -d ' ' -f 1)
	local tmp
	tmp=$(mktemp "$CLIENT_CONF.XXXXXX")
	chmod 0600 "$tmp"
	printf '<config>\n    <user>default</user>\n    <password>%s</password>\n</config>\n' "$DEFAULT_PASSWORD" >"$tmp"
	mv -f "$tmp" "$CLIENT_CONF"
}

node_render() {
	local n=$1 d
	d=$(node_dir "$n")
	mkdir -p "$d"/{etc,data,tmp,user_files,format_schemas,log}
	chmod 0700 "$d/etc"
	local -a args=(-e "s|@NODE_DIR@|$d|g" -e "s|@CLUSTER@|$CLUSTER|g" -e "s|@ZK_PORT@|$ZK_PORT|g"
		-e "s|@DEFAULT_PASSWORD@|$DEFAULT_PASSWORD|g" -e "s|@DEFAULT_PASSWORD_SHA256@|$PASSWORD_SHA256|g"
		-e "s|@TCP_PORT@|$(tcp_port "$n")|g" -e "s|@HTTP_PORT@|$(http_port "$n")|g"
		-e "s|@INTERSERVER_PORT@|$(interserver_port "$n")|g"
		-e "s|@SHARD@|$(shard_of "$n")|g" -e "s|@REPLICA@|$(replica_of "$n")|g" -e "s|@NODE@|ch$n|g")
	local i
	for i in "${NODES[@]}"; do
		args+=(-e "s|@TCP_PORT_$i@|$(tcp_port "$i")|g")
	done
	render "$TEMPLATE_DIR/node.xml.tmpl" "$d/etc/config.xml" "${args[@]}"
	render "$TEMPLATE_DIR/users.xml.tmpl" "$d/etc/users.xml" "${args[@]}"
	chmod 0600 "$d/etc/config.xml" "$d/etc/users.xml"
}

node_start() { # n: start node n unless it runs; do not wait
	local n=$1 d pid
	d=$(node_dir "$n")
	if pid=$(alive "$d/pid"); then
		return 0
	fi
	local p
	for p in $(tcp_port "$n") $(http_port "$n") $(interserver_port "$n"); do
		port_open "$p" && die "port $p (node ch$n) is in use by another process"
	done
	node_render "$n"
	local server
	server=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
	[[ -x $server ]] || die "clickhouse-server not installed; run deploy/clickhouse.sh install"
	printf '\n==== %s starting\n' "$(date '+%F %T')" >>"$d/log/stdout.log"
	(cd "$d" && exec setsid nohup "$server" --config-file="$d/etc/config.xml" >>"$d/log/stdout.log" 2>&1 </dev/null 9>&-) &
	echo $! >"$d/pid"
}

node_wait() {
	local n=$1 d pid
	d=$(node_dir "$n")
	pid=$(alive "$d/pid") || die "node ch$n exited during start-up; see $d/log"
	wait_for "node ch$n" 60 "$pid" node_ok "$n" || {
		grep '<Error>' "$d/log/clickhouse-server.err.log" 2>/dev/null | tail -n 3 | cut -c 1-400 >&2
		die "node ch$n failed to start; see $d/log"
	}
}

# ---------------------------------------------------------------- broker

broker_start() {
	[[ ${BURDENWATCH_CLUSTER_NO_BROKER:-0} == 1 ]] && return 0
	local pid
	if pid=$(alive "$BROKER_DIR/pid"); then
		return 0
	fi
	[[ -x $BIN ]] || die "$BIN not found; run 'make build' first"
	port_open "${BROKER_LISTEN##*:}" && die "broker port $BROKER_LISTEN is in use by another process"
	mkdir -p "$BROKER_DIR"
	setsid nohup "$BIN" broker --listen "$BROKER_LISTEN" --data-dir "$BROKER_DIR/data" \
		--broker-count 3 --topic "$TOPIC" --partitions 6 >>"$BROKER_DIR/broker.log" 2>&1 </dev/null 9>&- &
	pid=$!
	echo "$pid" >"$BROKER_DIR/pid"
	wait_for broker 20 "$pid" port_open "${BROKER_LISTEN##*:}" || {
		tail -n 20 "$BROKER_DIR/broker.log" >&2
		die "broker failed to start"
	}
	log "broker running (pid $pid, $BROKER_LISTEN, 3 brokers, topic $TOPIC with 6 partitions)"
}

# ---------------------------------------------------------------- commands

stop_pidfile() { # name pidfile
	local name=$1 f=$2 pid
	pid=$(alive "$f") || {
		rm -f "$f"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + 10))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	rm -f "$f"
	log "$name stopped (was pid $pid)"
}

cmd_start() {
	mkdir -p "$DIR"
	exec 9>"$DIR/.lock"
	flock -w 120 9 || die "another cluster.sh holds $DIR/.lock"
	ensure_password
	zk_start
	local n
	for n in "${NODES[@]}"; do node_start "$n"; done
	for n in "${NODES[@]}"; do node_wait "$n"; done
	log "clickhouse nodes running: native 127.0.0.1:$(tcp_port 1)..$(tcp_port 4), cluster '$CLUSTER'"
	broker_start
}

cmd_stop() {
	mkdir -p "$DIR"
	exec 9>"$DIR/.lock"
	flock -w 120 9 || die "another cluster.sh holds $DIR/.lock"
	stop_pidfile broker "$BROKER_DIR/pid"
	local n
	for n in "${NODES[@]}"; do stop_pidfile "ch$n" "$(node_dir "$n")/pid" & done
	wait
	stop_pidfile zookeeper "$ZK_DIR/pid"
}

cmd_status() {
	local ok=0 pid n
	if pid=$(alive "$ZK_DIR/pid") && zk_ok; then
		echo "zookeeper running (pid $pid, 127.0.0.1:$ZK_PORT)"
	else
		echo "zookeeper stopped"
		ok=1
	fi
	for n in "${NODES[@]}"; do
		if pid=$(alive "$(node_dir "$n")/pid") && node_ok "$n"; then
			echo "ch$n running (pid $pid, shard $(shard_of "$n") replica $(replica_of "$n"), tcp 127.0.0.1:$(tcp_port "$n"), http 127.0.0.1:$(http_port "$n"))"
		else
			echo "ch$n stopped"
			ok=1
		fi
	done
	if [[ ${BURDENWATCH_CLUSTER_NO_BROKER:-0} != 1 ]]; then
		if pid=$(alive "$BROKER_DIR/pid"); then
			echo "broker running (pid $pid, $BROKER_LISTEN)"
		else
			echo "broker stopped"
			ok=1
		fi
	fi
	return $ok
}

cmd_pid() {
	case ${1:-} in
	zk) alive "$ZK_DIR/pid" ;;
	broker) alive "$BROKER_DIR/pid" ;;
	[1-4]) alive "$(node_dir "$1")/pid" ;;
	*) die "pid: want 1..4, zk or broker" ;;
	esac
}

cmd_env() {
	echo "export BURDENWATCH_CLUSTER=$CLUSTER"
	echo "export BURDENWATCH_CLICKHOUSE='clickhouse://default@127.0.0.1:$(tcp_port 1)/burdenwatch?http_port=$(http_port 1)'"
	echo "export BURDENWATCH_CLICKHOUSE_PASSWORD_FILE=$PASSWORD_FILE"
	echo "export BURDENWATCH_BROKERS=$BROKER_LISTEN"
	echo "export BURDENWATCH_TOPIC=$TOPIC"
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	client)
		local n=${1:-1}
		[[ $# -gt 0 ]] && shift
		[[ -r $CLIENT_CONF ]] || die "$CLIENT_CONF missing; run deploy/cluster.sh start"
		exec "$(command -v clickhouse-client)" --config-file "$CLIENT_CONF" --host 127.0.0.1 --port "$(tcp_port "$n")" "$@"
		;;
	pid) cmd_pid "$@" ;;
	env) cmd_env ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"

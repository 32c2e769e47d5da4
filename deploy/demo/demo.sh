#!/usr/bin/env bash
# demo.sh (`make demo`): replicate a small MariaDB database into another
# MariaDB server through sluice, on one machine, in a temporary directory.
#
#   1. install mariadb-server/client with apt-get if mariadbd is missing (root)
#   2. build bin/sluice
#   3. start two throwaway MariaDB servers on free ports: a source with a ROW
#      binlog and a replica (same flags as pkg/testutil/mariadbtest), each
#      with a tmpdir of its own
#   4. create and fill the `shop` database on the source
#   5. run `sluice run --config` with an embedded Kafka broker
#   6. write more rows (insert, update, delete, a multi-statement transaction)
#   7. wait until the replica's tables equal the source's, print both sides
#      and a few sluice_ metrics
#
# Everything stops on exit. After success the temporary directory is
# removed; after a failure or an interrupt it is kept and its path printed,
# and a failure prints the tail of every log in it (mariadb-install-db's,
# each server's error log, sluice's output). With KEEP=1 the servers and
# sluice keep running and their directory is kept; the script prints how to
# reach and stop them.
#
# Layout of the temporary directory:
#   template/data, template/tmp, template/install.log   the mariadb-install-db run
#   source/ and replica/: data/, tmp/ (--tmpdir), binlog/, mariadbd.log, mysql.sock
#   sluice.yaml, sluice.log, kafka/   sluice and its embedded broker
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="/usr/local/go/bin:${PATH}:/usr/sbin:/sbin"
KEEP="${KEEP:-0}"
WAIT_SECONDS="${WAIT_SECONDS:-60}"

step() { printf '\n==> %s\n' "$*"; }
# die reports a failure and exits 1; cleanup then prints the logs' tails.
die() {
	printf '\ndemo FAILED: %s\n' "$*" >&2
	exit 1
}

# find_bin NAME... prints the path of the first program found in PATH,
# /usr/sbin or /usr/bin (Debian keeps mariadbd in /usr/sbin).
find_bin() {
	local n d
	for n in "$@"; do
		if command -v "$n" 2>/dev/null; then return 0; fi
		for d in /usr/sbin /usr/bin; do
			if [ -x "$d/$n" ]; then
				echo "$d/$n"
				return 0
			fi
		done
	done
	return 1
}

# apt_install PKG... installs Debian packages without starting services.
apt_install() {
	if [ "$(id -u)" -ne 0 ]; then
		die "$* not installed, and installing needs root: run 'sudo apt-get install $*' or run 'make demo' as root"
	fi
	step "installing $* with apt-get"
	local policy=/usr/sbin/policy-rc.d made_policy=0
	# policy-rc.d exit 101 keeps postinst from starting the system MariaDB
	# service; the demo starts its own servers.
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	local rc=0
	{ DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" </dev/null; } || rc=$?
	if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
	[ "$rc" -eq 0 ] || die "apt-get install $* failed"
}

ensure_tools() {
	local pkgs=()
	find_bin mariadbd mysqld >/dev/null || pkgs+=(mariadb-server mariadb-client)
	find_bin mariadb mysql >/dev/null || pkgs+=(mariadb-client)
	command -v curl >/dev/null || pkgs+=(curl)
	if [ "${#pkgs[@]}" -gt 0 ]; then
		# shellcheck disable=SC2207 # package names have no spaces
		pkgs=($(printf '%s\n' "${pkgs[@]}" | sort -u))
		apt_install "${pkgs[@]}"
	fi
	command -v go >/dev/null || die "go not found (expected /usr/local/go/bin/go); install Go 1.26"
	MARIADBD="$(find_bin mariadbd mysqld)" || die "mariadbd not found after install"
	INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)" || die "mariadb-install-db not found"
	CLIENT="$(find_bin mariadb mysql)" || die "mariadb client not found"
	USER_ARGS=()
	if [ "$(id -u)" -eq 0 ]; then USER_ARGS=(--user=root); fi
}

# ---- free ports -------------------------------------------------------------

# Ports are picked from LOWEST_PORT up, outside the kernel's ephemeral range
# (ip_local_port_range, 32768-60999 by default), from which every outgoing
# connection takes its local port: a port in that range may be taken by a
# client between the check and the listen. pkg/testutil/ports picks the same
# way for the Go tests and sluice-bench. Two programs may still pick the
# same port; a start that fails on a taken port is retried on fresh ones.
LOWEST_PORT=10000
TAKEN_PORTS=" "

# port_held PORT reports whether a TCP socket of this machine holds PORT
# as its local port (listening or connected).
port_held() {
	local hex
	printf -v hex '%04X' "$1"
	if [ -r /proc/net/tcp ]; then
		grep -qE "^ *[0-9]+: [0-9A-F]+:$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
		return
	fi
	# No /proc: a refused connection means nothing listens there.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port VAR sets VAR to a port outside the ephemeral range that no
# socket holds and that this script has not handed out yet (not a
# $(subshell): it records the ports it hands out).
free_port() {
	local lo=32768 hi=65535 below=0 first_above above=0 n r p _
	if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
		read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	fi
	# LOWEST_PORT..lo-1 and max(hi+1, LOWEST_PORT)..65535
	if [ "$lo" -gt "$LOWEST_PORT" ]; then below=$((lo - LOWEST_PORT)); fi
	first_above=$((hi + 1 > LOWEST_PORT ? hi + 1 : LOWEST_PORT))
	if [ "$first_above" -le 65535 ]; then above=$((65536 - first_above)); fi
	n=$((below + above))
	[ "$n" -gt 0 ] || die "no port in $LOWEST_PORT-65535 outside the ephemeral range $lo-$hi"
	for _ in $(seq 1 500); do
		r=$(((RANDOM << 15 | RANDOM) % n))
		if [ "$r" -lt "$below" ]; then
			p=$((LOWEST_PORT + r))
		else
			p=$((first_above + r - below))
		fi
		case "$TAKEN_PORTS" in *" $p "*) continue ;; esac
		if ! port_held "$p"; then
			TAKEN_PORTS+="$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	die "no free port found outside the ephemeral range $lo-$hi"
}

# log_size FILE prints FILE's size in bytes (0 when it does not exist).
log_size() {
	if [ -e "$1" ]; then wc -c <"$1"; else echo 0; fi
}

# port_taken FILE OFFSET reports whether FILE says, after OFFSET bytes, that
# a port could not be bound (mariadbd: "Address already in use", Go: "bind:
# address already in use").
port_taken() {
	tail -c +"$(($2 + 1))" "$1" 2>/dev/null | grep -qi 'address already in use'
}

# ---- MariaDB servers ----------------------------------------------------------

COMMON_ARGS=(--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --skip-name-resolve)

# install_template runs mariadb-install-db once; each server copies it, which
# is faster than an install per server. The template is never started.
# Every mariadbd deletes the #sql* files in its tmpdir when it starts: in a
# shared /tmp those are the temporary tables of servers already running
# (other demos', tests'), which then fail or crash. So the bootstrap server
# of mariadb-install-db gets TMPDIR, and each server --tmpdir, of its own.
install_template() {
	step "initializing a MariaDB datadir"
	mkdir -p "$TMP/template/tmp"
	if ! TMPDIR="$TMP/template/tmp" "$INSTALL_DB" --no-defaults --auth-root-authentication-method=normal \
		--datadir="$TMP/template/data" --skip-test-db "${USER_ARGS[@]}" "${COMMON_ARGS[@]}" \
		>"$TMP/template/install.log" 2>&1; then
		die "mariadb-install-db failed (log: $TMP/template/install.log)"
	fi
}

declare -A SERVER_PID SERVER_PORT

# sql NAME [client args...] runs the client against server NAME as root.
sql() {
	local name=$1
	shift
	"$CLIENT" --no-defaults --protocol=tcp -h127.0.0.1 -P"${SERVER_PORT[$name]}" -uroot \
		--default-character-set=utf8mb4 "$@"
}

# start_server NAME SERVER_ID starts mariadbd in $TMP/NAME and waits until it
# answers, retrying on another port if its port was taken meanwhile.
start_server() {
	local name=$1 id=$2 dir="$TMP/$1" try port off
	mkdir -p "$dir/binlog" "$dir/tmp"
	cp -a "$TMP/template/data" "$dir/data"
	for try in 1 2 3 4 5; do
		free_port port
		SERVER_PORT[$name]=$port
		off="$(log_size "$dir/mariadbd.log")"
		"$MARIADBD" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --port="$port" \
			--bind-address=127.0.0.1 --socket="$dir/mysql.sock" --pid-file="$dir/mariadbd.pid" \
			"${USER_ARGS[@]}" --skip-grant-tables=0 --server-id="$id" \
			--log-bin="$dir/binlog/mariadb-bin" --binlog-format=ROW --binlog-row-image=FULL \
			"${COMMON_ARGS[@]}" --max-connections=200 --max-allowed-packet=64M \
			>>"$dir/mariadbd.log" 2>&1 &
		SERVER_PID[$name]=$!
		if wait_server "$name"; then
			echo "$name: MariaDB on 127.0.0.1:$port (pid ${SERVER_PID[$name]}, dir $dir)"
			return 0
		fi
		port_taken "$dir/mariadbd.log" "$off" || break
		echo "$name: port $port was taken, retrying on another ($try)"
	done
	die "$name: mariadbd did not start (log: $dir/mariadbd.log)"
}

# wait_server NAME polls until NAME's server answers, for at most
# WAIT_SECONDS. The answer must come from NAME's datadir: if the port was
# taken, another server answers there.
wait_server() {
	local name=$1 deadline=$((SECONDS + WAIT_SECONDS)) datadir
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! kill -0 "${SERVER_PID[$name]}" 2>/dev/null; then
			wait "${SERVER_PID[$name]}" 2>/dev/null || true
			unset 'SERVER_PID[$name]'
			return 1
		fi
		datadir="$(sql "$name" --connect-timeout=2 -N -B -e 'SELECT @@datadir' 2>/dev/null)" || datadir=""
		if [ -n "$datadir" ] && [ "$datadir" -ef "$TMP/$name/data" ]; then return 0; fi
		sleep 0.1
	done
	stop_pid "${SERVER_PID[$name]}"
	unset 'SERVER_PID[$name]'
	return 1
}

# stop_pid PID sends SIGTERM, waits up to 30s, then SIGKILL.
stop_pid() {
	local pid=$1 deadline=$((SECONDS + 30))
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# ---- cleanup ------------------------------------------------------------------

TMP=""
SLUICE_PID=""
SLUICE_RC=0

# cleanup stops everything on exit. It removes the directory only after
# success; after a failure it prints the tail of every log first.
cleanup() {
	local rc=$?
	set +e
	[ -n "$TMP" ] || exit "$rc"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; then show_logs; fi
	if [ "$KEEP" = 1 ]; then
		keep_message
		exit "$rc"
	fi
	[ -z "$SLUICE_PID" ] || stop_pid "$SLUICE_PID"
	local name
	for name in "${!SERVER_PID[@]}"; do stop_pid "${SERVER_PID[$name]}"; done
	if [ "$rc" -eq 0 ]; then
		rm -rf "$TMP"
	elif [ "$rc" -eq 130 ]; then
		printf '\ndemo interrupted; its directory is kept: %s (remove it with: rm -rf %s)\n' "$TMP" "$TMP" >&2
	else
		printf '\ndemo FAILED (exit status %d); its directory, with every log, is kept: %s\n' "$rc" "$TMP" >&2
		printf '(remove it with: rm -rf %s)\n' "$TMP" >&2
	fi
	exit "$rc"
}

# show_logs prints the last lines of every log: mariadb-install-db's, each
# server's error log and sluice's output.
show_logs() {
	local f
	for f in "$TMP/template/install.log" "$TMP"/*/mariadbd.log "$TMP/sluice.log"; do
		[ -e "$f" ] || continue
		printf '\n--- last 40 lines of %s ---\n' "$f" >&2
		tail -n 40 "$f" >&2
	done
}

keep_message() {
	local pids="${SLUICE_PID} ${SERVER_PID[*]}" name
	echo
	echo "KEEP=1: everything keeps running in $TMP"
	for name in "${!SERVER_PORT[@]}"; do
		echo "  $name: $CLIENT --no-defaults -h127.0.0.1 -P${SERVER_PORT[$name]} -uroot shop"
	done
	[ -z "${ADMIN:-}" ] || echo "  sluice admin: http://$ADMIN/metrics   log: $TMP/sluice.log"
	echo "  stop: kill ${pids# }; sleep 3; rm -rf $TMP"
}

# ---- the demo -------------------------------------------------------------------

build_sluice() {
	step "building bin/sluice"
	(cd "$ROOT" && go build -o bin/sluice ./cmd/sluice)
}

create_shop() {
	step "creating the shop database on the source"
	sql source <<'SQL'
CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE shop;
CREATE TABLE customers (
  id         INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name       VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL,
  email      VARCHAR(255) NULL,
  created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE orders (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  total       DECIMAL(12,2) NOT NULL,
  note        VARCHAR(200) CHARACTER SET utf8mb4 NULL,
  placed_at   DATETIME(6) NOT NULL,
  KEY (customer_id)
) ENGINE=InnoDB;
INSERT INTO customers (name, email, created_at) VALUES
  ('Ada Lovelace', 'ada@example.com', '2024-01-02 03:04:05.123456'),
  ('Zoë Quinn 🚀', NULL,              '2024-02-29 23:59:59.999999'),
  ('Li Wei 李伟',  'li@example.cn',   '2024-03-10 08:00:00.000001');
INSERT INTO orders (customer_id, total, note, placed_at) VALUES
  (1, 19.99,     'first order',      '2024-04-01 10:00:00.500000'),
  (2, 1234.50,   'gift 🎁 wrapped',  '2024-04-02 11:30:00.000000'),
  (3, 0.01,      NULL,               '2024-04-03 12:45:30.250000');
SQL
}

write_config() {
	local port
	free_port port
	KAFKA="127.0.0.1:$port"
	free_port port
	ADMIN="127.0.0.1:$port"
	CONFIG="$TMP/sluice.yaml"
	cat >"$CONFIG" <<YAML
name: demo
kafka:
  embedded:
    listen: $KAFKA
    data_dir: $TMP/kafka
admin:
  listen: $ADMIN
connectors:
  - name: shop-binlog
    type: mysql-source
    dsn: "root@tcp(127.0.0.1:${SERVER_PORT[source]})/"
    server_id: 4242
    tables: ["shop.*"]
  - name: replica-1
    type: mysql-sink
    source: shop-binlog
    dsn: "root@tcp(127.0.0.1:${SERVER_PORT[replica]})/"
YAML
	step "config $CONFIG"
	cat "$CONFIG"
}

# start_sluice writes the config and runs sluice until its admin server
# answers. When the broker's or the admin server's port was taken, sluice
# exits before any connector runs: start again on fresh ports.
start_sluice() {
	local try off
	for try in 1 2 3 4 5; do
		write_config
		step "starting sluice (log: $TMP/sluice.log)"
		off="$(log_size "$TMP/sluice.log")"
		"$ROOT/bin/sluice" run --config "$CONFIG" >>"$TMP/sluice.log" 2>&1 &
		SLUICE_PID=$!
		if wait_sluice; then
			echo "sluice is up (pid $SLUICE_PID, admin http://$ADMIN)"
			return 0
		fi
		port_taken "$TMP/sluice.log" "$off" || die "sluice exited with status $SLUICE_RC"
		echo "sluice: a port was taken, retrying on fresh ports ($try)"
		rm -rf "$TMP/kafka"
	done
	die "sluice exited with status $SLUICE_RC"
}

# wait_sluice polls sluice's /healthz for at most WAIT_SECONDS. It returns 1
# when sluice exited, its status in SLUICE_RC.
wait_sluice() {
	local deadline=$((SECONDS + WAIT_SECONDS))
	# --max-time: another program may hold the port and never answer.
	until curl -fsS --max-time 2 -o /dev/null "http://$ADMIN/healthz" 2>/dev/null; do
		if ! kill -0 "$SLUICE_PID" 2>/dev/null; then
			SLUICE_RC=0
			wait "$SLUICE_PID" || SLUICE_RC=$?
			SLUICE_PID=""
			return 1
		fi
		[ "$SECONDS" -lt "$deadline" ] || die "sluice admin server did not answer on $ADMIN within ${WAIT_SECONDS}s"
		sleep 0.2
	done
}

sluice_alive() {
	if ! kill -0 "$SLUICE_PID" 2>/dev/null; then
		local rc=0
		wait "$SLUICE_PID" || rc=$?
		SLUICE_PID=""
		die "sluice exited with status $rc"
	fi
}

write_more() {
	step "writing more rows on the source: inserts, an update, a delete, a transaction"
	sql source shop <<'SQL'
INSERT INTO customers (name, email, created_at) VALUES
  ('Grace Hopper', 'grace@example.com', NOW(6));
INSERT INTO orders (customer_id, total, note, placed_at) VALUES
  (4, 99.95, 'COBOL manuals 📚', NOW(6));
UPDATE orders SET total = total + 5.00, note = NULL WHERE id = 1;
DELETE FROM orders WHERE id = 3;
START TRANSACTION;
  INSERT INTO customers (name, email, created_at) VALUES ('Alan Turing', NULL, NOW(6));
  INSERT INTO orders (customer_id, total, note, placed_at)
    VALUES (LAST_INSERT_ID(), 42.00, 'in one transaction', NOW(6));
  UPDATE customers SET email = 'zoe@example.com' WHERE id = 2;
COMMIT;
SQL
}

TABLES=(customers orders)

# table_rows SERVER TABLE prints the table's rows in primary key order.
table_rows() {
	sql "$1" -N -B -e "SELECT * FROM shop.$2 ORDER BY id" 2>&1
}

wait_equal() {
	step "waiting up to ${WAIT_SECONDS}s for the replica to equal the source"
	local deadline=$((SECONDS + WAIT_SECONDS)) t equal
	while :; do
		equal=1
		for t in "${TABLES[@]}"; do
			if [ "$(table_rows source "$t")" != "$(table_rows replica "$t")" ]; then
				equal=0
				break
			fi
		done
		[ "$equal" = 0 ] || return 0
		sluice_alive
		if [ "$SECONDS" -ge "$deadline" ]; then
			show_rows
			die "replica still differs from source after ${WAIT_SECONDS}s (first: shop.$t)"
		fi
		sleep 0.5
	done
}

show_rows() {
	local side t
	for side in source replica; do
		for t in "${TABLES[@]}"; do
			echo "--- $side shop.$t"
			sql "$side" -t -e "SELECT * FROM shop.$t ORDER BY id" 2>&1 || true
		done
	done
}

show_metrics() {
	step "a few metrics from http://$ADMIN/metrics"
	local metrics
	metrics="$(curl -fsS "http://$ADMIN/metrics" 2>&1)" || true
	grep -E '^sluice_(source_rows_published_total|sink_rows_applied_total|sink_replication_lag_seconds|connector_up)' <<<"$metrics" | head -n 20 || echo "(no sluice_ metrics yet)"
}

show_topics() {
	step "table topics, <pipeline>.<source>.<db>.<table> (docs/events.md#topic-names)"
	grep -o '"name":"[^"]*"' "$TMP/kafka/topics.json" 2>/dev/null | cut -d'"' -f4 | grep -v '^_sluice\.' | sort ||
		echo "(the embedded broker lists no table topic)"
}

main() {
	ensure_tools
	build_sluice
	TMP="$(mktemp -d "${TMPDIR:-/tmp}/sluice-demo.XXXXXX")"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	install_template
	step "starting MariaDB servers"
	start_server source 1
	start_server replica 2
	create_shop
	start_sluice
	write_more
	wait_equal
	step "rows on both sides"
	show_rows
	show_metrics
	show_topics
	echo
	echo "demo OK: replica equals source"
}

main "$@"

#!/usr/bin/env bash
# demo.sh (`make demo`): replicate a small MariaDB database into another
# MariaDB server through sluice, on one machine, in a temporary directory.
#
#   1. install mariadb-server/client with apt-get if mariadbd is missing (root)
#   2. build bin/sluice
#   3. start two throwaway MariaDB servers on free ports: a source with a ROW
#      binlog and a replica (same flags as pkg/testutil/mariadbtest)
#   4. create and fill the `shop` database on the source
#   5. run `sluice run --config` with an embedded Kafka broker
#   6. write more rows (insert, update, delete, a multi-statement transaction)
#   7. wait until the replica's tables equal the source's, print both sides
#      and a few sluice_ metrics
#
# Everything stops and the temporary directory is removed on exit. With
# KEEP=1 the servers and sluice keep running and their directory is kept;
# the script prints how to reach and stop them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="/usr/local/go/bin:${PATH}:/usr/sbin:/sbin"
KEEP="${KEEP:-0}"
WAIT_SECONDS="${WAIT_SECONDS:-60}"

step() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
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

TAKEN_PORTS=" "

# free_port VAR sets VAR to a port on 127.0.0.1 that nothing listens on and
# that this script has not handed out yet (not a $(subshell): it records the
# ports it hands out).
free_port() {
	local p _
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		case "$TAKEN_PORTS" in *" $p "*) continue ;; esac
		# A refused connection means the port is free.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			TAKEN_PORTS+="$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	die "no free port found"
}

# ---- MariaDB servers ----------------------------------------------------------

COMMON_ARGS=(--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --skip-name-resolve)

# install_template runs mariadb-install-db once; each server copies it, which
# is faster than an install per server. The template is never started.
install_template() {
	step "initializing a MariaDB datadir"
	if ! "$INSTALL_DB" --no-defaults --auth-root-authentication-method=normal \
		--datadir="$TMP/template" --skip-test-db "${USER_ARGS[@]}" "${COMMON_ARGS[@]}" \
		>"$TMP/install.log" 2>&1; then
		tail -n 30 "$TMP/install.log" >&2
		die "mariadb-install-db failed (log: $TMP/install.log)"
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
	local name=$1 id=$2 dir="$TMP/$1" try port
	mkdir -p "$dir/binlog"
	cp -a "$TMP/template" "$dir/data"
	for try in 1 2 3 4 5; do
		free_port port
		SERVER_PORT[$name]=$port
		"$MARIADBD" --no-defaults --datadir="$dir/data" --port="${SERVER_PORT[$name]}" \
			--bind-address=127.0.0.1 --socket="$dir/mysql.sock" --pid-file="$dir/mariadbd.pid" \
			"${USER_ARGS[@]}" --skip-grant-tables=0 --server-id="$id" \
			--log-bin="$dir/binlog/mariadb-bin" --binlog-format=ROW --binlog-row-image=FULL \
			"${COMMON_ARGS[@]}" --max-connections=200 --max-allowed-packet=64M \
			>>"$dir/data/mariadbd.log" 2>&1 &
		SERVER_PID[$name]=$!
		if wait_server "$name"; then
			echo "$name: MariaDB on 127.0.0.1:${SERVER_PORT[$name]} (pid ${SERVER_PID[$name]}, dir $dir)"
			return 0
		fi
		if ! grep -q 'Address already in use' "$dir/data/mariadbd.log"; then break; fi
		echo "$name: port ${SERVER_PORT[$name]} was taken, retrying ($try)"
	done
	tail -n 30 "$dir/data/mariadbd.log" >&2
	die "$name: mariadbd did not start (log: $dir/data/mariadbd.log)"
}

# wait_server NAME polls until the server answers, for at most 60s.
wait_server() {
	local name=$1 deadline=$((SECONDS + WAIT_SECONDS))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! kill -0 "${SERVER_PID[$name]}" 2>/dev/null; then
			wait "${SERVER_PID[$name]}" 2>/dev/null || true
			unset 'SERVER_PID[$name]'
			return 1
		fi
		if sql "$name" -e 'SELECT 1' >/dev/null 2>&1; then return 0; fi
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

cleanup() {
	local rc=$?
	set +e
	[ -n "$TMP" ] || exit "$rc"
	if [ "$KEEP" = 1 ]; then
		keep_message
		exit "$rc"
	fi
	[ -z "$SLUICE_PID" ] || stop_pid "$SLUICE_PID"
	local name
	for name in "${!SERVER_PID[@]}"; do stop_pid "${SERVER_PID[$name]}"; done
	rm -rf "$TMP"
	exit "$rc"
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

start_sluice() {
	step "starting sluice (log: $TMP/sluice.log)"
	"$ROOT/bin/sluice" run --config "$CONFIG" >"$TMP/sluice.log" 2>&1 &
	SLUICE_PID=$!
	local deadline=$((SECONDS + WAIT_SECONDS))
	until curl -fsS -o /dev/null "http://$ADMIN/healthz" 2>/dev/null; do
		sluice_alive
		[ "$SECONDS" -lt "$deadline" ] || fail "sluice admin server did not answer on $ADMIN within ${WAIT_SECONDS}s"
		sleep 0.2
	done
	echo "sluice is up (pid $SLUICE_PID, admin http://$ADMIN)"
}

sluice_alive() {
	if ! kill -0 "$SLUICE_PID" 2>/dev/null; then
		local rc=0
		wait "$SLUICE_PID" || rc=$?
		SLUICE_PID=""
		fail "sluice exited with status $rc"
	fi
}

# fail prints the sluice log tail and exits 1.
fail() {
	printf '\ndemo FAILED: %s\n--- tail of %s ---\n' "$*" "$TMP/sluice.log" >&2
	tail -n 40 "$TMP/sluice.log" >&2 || true
	exit 1
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
			fail "replica still differs from source after ${WAIT_SECONDS}s (first: shop.$t)"
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
	write_config
	start_sluice
	write_more
	wait_equal
	step "rows on both sides"
	show_rows
	show_metrics
	echo
	echo "demo OK: replica equals source"
}

main "$@"

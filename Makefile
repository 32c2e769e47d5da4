# Targets for developers and CI (.ci/run runs `make test`).

GO ?= go
# Go 1.26 lives in /usr/local/go on the project machines.
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: all build test test-unit demo soak fuzz bench bench-verify bench-snapshot bench-bigtx clean

all: build

## build: compile the sluice binary into bin/sluice
build:
	$(GO) build -o bin/sluice ./cmd/sluice

## test: vet, then run every test (integration tests start their own MariaDB
## servers and need mariadbd installed; see .ci/run)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

## test-unit: vet, then every test that needs no server (go test -short skips
## those that start MariaDB, a broker or the sluice binary); under a minute.
## The packages with test hooks behind the sluicefault build tag (the tag the
## e2e harness builds the binary with) are vetted and tested with it too.
FAULT_TAG_PKGS ?= ./pkg/clock/ ./connectors/mysql/internal/faults/
test-unit:
	$(GO) vet ./...
	$(GO) test -short -count=1 ./...
	$(GO) vet -tags sluicefault $(FAULT_TAG_PKGS)
	$(GO) test -short -count=1 -tags sluicefault $(FAULT_TAG_PKGS)

## soak: the long fault suite: a seeded crash loop of SOAK_KILLS faults (SIGKILLs of
## reader, sink and broker, exits after a Kafka ack and mid-transaction; again with a
## sink of 3 workers, plus its exits between XA PREPARE, the offsets and XA COMMIT) over
## SOAK_ACCOUNTS accounts, the source faults, the broker down SOAK_BROKER_DOWN, a sink
## scaled 1->3->1 and wall-clock steps; prints
## scenario, faults injected, rows checked, recovery time, result. SLUICE_FAULT_SEED=N
## replays a schedule.
SOAK_KILLS ?= 200
SOAK_ACCOUNTS ?= 5000
SOAK_BROKER_DOWN ?= 90s
soak:
	@mkdir -p bin; rm -f bin/soak-report.tsv
	SLUICE_SOAK_REPORT=$(CURDIR)/bin/soak-report.tsv SLUICE_FAULT_KILLS=$(SOAK_KILLS) \
	SLUICE_FAULT_ACCOUNTS=$(SOAK_ACCOUNTS) SLUICE_BROKER_DOWN=$(SOAK_BROKER_DOWN) \
	$(GO) test -count=1 -timeout 120m -v ./cmd/sluice/ \
		-run '^(TestCrashRecovery|TestCrashRecoveryWorkers|TestSourceFaults|TestBrokerDown|TestSinkScale|TestClockJumps)$$' ; s=$$?; \
	printf 'SCENARIO\tFAULTS\tROWS CHECKED\tRECOVERY\tRESULT\n' | cat - bin/soak-report.tsv | \
		column -t -s "$$(printf '\t')"; exit $$s

## fuzz: the differential fuzzer (docs/fuzzing.md): seeded DDL and DML on a source with a
## native MariaDB replica (the oracle) and a sluice replica, compared after every round, for
## FUZZ_SECONDS from FUZZ_SEED (default: the clock); prints the statements tried, taken and
## refused per class, the tables compared and quarantined and the divergences, and writes
## a failure's history and minimized reproduction to bin/fuzz/. make test runs 8 rounds of seed 1.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= $(shell date +%s)
fuzz:
	@mkdir -p bin/fuzz
	SLUICE_FUZZ_SECONDS=$(FUZZ_SECONDS) SLUICE_FUZZ_SEED=$(FUZZ_SEED) SLUICE_FUZZ_DIR=$(CURDIR)/bin/fuzz \
	$(GO) test -count=1 -timeout $$(( $(FUZZ_SECONDS) + 1800 ))s -v -run '^TestDifferentialFuzz$$' ./cmd/sluice/ \
		> bin/fuzz/report.txt 2>&1; s=$$?; grep -av '^ *time=\|^ *20[0-9][0-9]-' bin/fuzz/report.txt; exit $$s

## demo: replicate a MariaDB database into another one through sluice
demo:
	bash deploy/demo/demo.sh

## bench: sluice against MariaDB's own replication (1 and 2 optimistic SQL threads) on
## the same binlog, per workload: catch-up times, sluice's rates against go-mysql's parse
## alone, peak RSS of the source and sink, replicas compared with the source; then the
## end-to-end lag at a fixed rate and a sink outage's catch-up (docs/benchmarks.md).
## Installs sysbench when missing and root, else skips that workload. BENCH_FLAGS passes
## flags, e.g. BENCH_FLAGS='-insert-rows=1000000 -outage=5m -profile bin/profiles'
## (bin/sluice-bench -h lists them).
bench: build
	@command -v sysbench >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y sysbench || echo "NOTE: sysbench could not be installed: its workload is skipped"; \
		else echo "NOTE: sysbench is missing and this is not root: its workload is skipped"; fi; }
	$(GO) build -o bin/sluice-bench ./cmd/sluice-bench
	bin/sluice-bench $(BENCH_FLAGS)

## bench-verify: time `sluice verify` on a 1M-row table (VERIFY_BENCH_ROWS=N to resize)
bench-verify:
	$(GO) test ./connectors/mysql/verify/ -run '^$$' -bench Verify -benchtime 1x -timeout 30m -v

## bench-snapshot: snapshot rows/s on a 1M-row table (initial, incremental) and the
## incremental snapshot's cost on streaming (SNAPSHOT_BENCH_ROWS=N to resize;
## SNAPSHOT_BENCH_INITIAL_ONLY=1: the initial snapshot only)
bench-snapshot:
	SLUICE_E2E_NORACE=1 $(GO) test ./cmd/sluice/ -run '^$$' -bench Snapshot -benchtime 1x -timeout 60m -v

## bench-bigtx: one source transaction of 1M rows through broker, source and sink
## processes: time to the replica and each process's peak RSS (BIGTX_ROWS=N to resize,
## BIGTX_PAD=bytes per row: BIGTX_ROWS=100000 BIGTX_PAD=5000 is 500 MB)
bench-bigtx:
	SLUICE_E2E_NORACE=1 $(GO) test ./cmd/sluice/ -run '^$$' -bench BigTransaction -benchtime 1x -timeout 60m -v

## clean: remove build output
clean:
	rm -rf bin

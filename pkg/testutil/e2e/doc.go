// Package e2e is the end-to-end test harness of cmd/sluice: it builds the
// sluice binary, runs it as separate processes against throwaway MariaDB
// servers (pkg/testutil/mariadbtest), and compares the replica with the
// source. The tests themselves live in cmd/sluice; everything two of them
// share lives here.
//
// # Data flow
//
// A test starts a source and a replica server, loads a fixture into the
// source, writes a config (WriteConfig: one source capturing shop.*, one
// sink per replica, the embedded broker in the process or, with split, as
// a `sluice broker` process of its own), and starts sluice processes with
// StartProc. It then writes to the source, optionally injects a fault
// (Proc.Kill, a test hook, a server stop) and waits for the replica with
// WaitEqual, which compares every row of each table in primary-key order.
//
// # What it offers
//
//   - The binary: Binary builds it once per test binary, with the race
//     detector (SLUICE_E2E_NORACE=1: without) and -tags sluicefault, which
//     compiles in the SLUICE_TEST_* fault hooks a release build lacks.
//     Main removes it at the end; Run and Output run one command to its end.
//   - Processes: StartProc, StartBroker, StartConnector, StartSplit (broker,
//     source and sink as three processes) and the Proc type (Start again,
//     Kill, Stop, Wait, Exited, Log); ExpectExit1, ExpectStop, WaitFailed
//     and WaitExit for processes that must end by themselves; WaitLog,
//     LogInts, LogTails and ShowLog read their logs; CheckNoRace fails on
//     the race detector's reports.
//   - Config: WriteConfig, EditConfig, PointSource, WriteFile.
//   - Databases: ExecAll, MustExec, SessionExec, TableRows, TablesEqual,
//     WaitEqual, WaitRowCount, HasTable, TableCount, MaxID, RowStrings
//     (one row of any width, as SHOW statements return), MasterStatus.
//   - HTTP and metrics: WaitHTTP, HTTPGet, MetricValue, MetricValues,
//     GaugeOf, ConnectorState; WaitFor and CtxTimeout for the rest.
//   - Fixtures: the shop schema (ShopSchema, Seed), the accounts and ledger
//     with the replica's audit trigger (SetupAccounts, CheckNoRegressions
//     and two workloads), shop.kv (KVSchema, KVPipeline), shop.txrows
//     (TxRowsSchema, WatchPartial, StartTxWorkload), items tables
//     (ItemsTable, FillTable), and FaultEnv, the source, replica and broker
//     of the sink fault tests.
//   - Soak reporting: FaultSeed, EnvInt, SoakRow, Result.
//
// # Invariants
//
//   - Under go test -short every helper that would start the binary or a
//     server skips the test (Binary and mariadbtest.Start do it), so -short
//     runs the tests that need neither.
//   - Every process started by StartProc is killed at the test's cleanup,
//     and dies with the test binary (PR_SET_PDEATHSIG) if that is killed.
//   - Helpers call t.Fatal on a failure of their own (a query that cannot
//     run, a timeout) and never weaken what the caller checks: a mismatch
//     is reported with the first differing row and the tail of the logs.
package e2e

// Package deploy holds no code. Its tests check the files that run next to
// the sluice binary, in this directory and in ../docker-compose.yml, against
// the code they depend on:
//
//   - prometheus/: the scrape config, the alert rules and their promtool unit
//     tests; rules name only metrics that pkg/metrics declares.
//   - grafana/: the dashboard, whose queries name only declared metrics, and
//     Grafana's provisioning files.
//   - ../docker-compose.yml with compose/: loaded with compose-go; the sluice
//     services' config files, connectors, admin ports and the Prometheus
//     targets agree with each other.
//   - k8s/, systemd/ and the Dockerfile: their sluice configs load, with the
//     environment each process gets.
//
// promtool (Debian's prometheus package) runs where it is installed; under
// CI=true a missing promtool fails the tests instead of skipping them.
package deploy

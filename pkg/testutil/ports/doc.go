// Package ports hands out TCP ports on 127.0.0.1 for the servers that tests,
// sluice-bench and the demo start: MariaDB servers, the embedded broker and
// sluice's admin server.
//
// # Why not port 0
//
// Asking the kernel for port 0 returns a port from its ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default), the same
// range every outgoing connection draws its local port from. Between the
// probe and the server's bind, any client socket on the machine (a test's
// database connection, a replica's, go test's own) may take it, and the
// server fails with "address already in use". Free therefore picks at
// random among the ports from 10000 up that lie outside that range: no
// outgoing connection takes those, so only another server can.
//
// # Invariants
//
//   - A port is handed out only after a listen on 127.0.0.1 succeeded and
//     was closed again, and never twice by one process.
//   - Two processes may still pick the same port (about one chance in 27,000
//     per pair of picks), and a port may be taken between Free and the
//     server's bind. Callers retry a start that failed on a taken port
//     (Taken recognizes the message) with fresh ports.
package ports

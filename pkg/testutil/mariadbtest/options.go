package mariadbtest

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// Options configures a server. The zero value is a binlogging server with
// binlog_format=ROW and binlog_row_image=FULL, which is what sluice's source
// needs.
type Options struct {
	// BinlogFormat is "ROW" (default), "STATEMENT" or "MIXED".
	BinlogFormat string
	// NoBinlog starts the server without --log-bin.
	NoBinlog bool
	// ServerID is the server's server_id; zero picks a number unique among
	// the servers of this process.
	ServerID uint32
	// LogReplicaUpdates writes the changes a replica applies to its own
	// binlog (log_slave_updates=ON), so the server can replace its primary
	// as a binlog source. See Server.ReplicateFrom.
	LogReplicaUpdates bool
	// ExtraArgs are appended to the mariadbd command line, after the
	// package's own flags, so they override them.
	ExtraArgs []string
}

// serverIDBase keeps default server ids out of the small numbers that tests
// like to give their own binlog readers.
const serverIDBase = 10000

var lastServerID atomic.Uint32

func nextServerID() uint32 { return serverIDBase + lastServerID.Add(1) }

// normalize applies defaults and checks the options.
func (o Options) normalize() (Options, error) {
	o.BinlogFormat = strings.ToUpper(strings.TrimSpace(o.BinlogFormat))
	switch o.BinlogFormat {
	case "":
		o.BinlogFormat = "ROW"
	case "ROW", "STATEMENT", "MIXED":
	default:
		return o, fmt.Errorf("mariadbtest: BinlogFormat %q: want ROW, STATEMENT or MIXED", o.BinlogFormat)
	}
	if o.ServerID == 0 {
		o.ServerID = nextServerID()
	}
	o.ExtraArgs = append([]string(nil), o.ExtraArgs...)
	return o, nil
}

// commonArgs are the flags shared by mariadb-install-db and mariadbd, so the
// template's InnoDB files match what the servers expect.
var commonArgs = []string{
	"--innodb-buffer-pool-size=64M",
	"--innodb-log-file-size=16M",
	"--skip-name-resolve",
}

// serverArgs builds the mariadbd command line. --no-defaults must come first.
func (s *Server) serverArgs() []string {
	args := []string{
		"--no-defaults",
		"--datadir=" + s.DataDir,
		"--port=" + strconv.Itoa(s.Port),
		"--bind-address=127.0.0.1",
		"--socket=" + s.socketArg(),
		"--pid-file=" + s.pidFile(),
		"--tmpdir=" + s.tmpDir(),
	}
	args = append(args, userArgs()...)
	args = append(args,
		"--skip-grant-tables=0",
		"--server-id="+strconv.FormatUint(uint64(s.opts.ServerID), 10),
	)
	if s.opts.NoBinlog {
		args = append(args, "--skip-log-bin")
	} else {
		args = append(args, "--log-bin="+s.binlogBase())
	}
	if s.opts.LogReplicaUpdates {
		args = append(args, "--log-slave-updates=ON")
	}
	args = append(args,
		"--binlog-format="+s.opts.BinlogFormat,
		"--binlog-row-image=FULL",
	)
	args = append(args, commonArgs...)
	args = append(args,
		"--max-connections=200",
		"--max-allowed-packet=64M",
	)
	return append(args, s.opts.ExtraArgs...)
}

package connector

// Standby is what Ready returns while another process leads the connector
// and this one waits to take over (a source or sink run by several processes). The runtime
// reports the connector as "standby", not as failing.
type Standby struct {
	Leader string // who leads: host, pid and admin address when known
}

func (s *Standby) Error() string { return "standby (leader: " + s.Leader + ")" }

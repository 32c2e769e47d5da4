package config

// What a connector does about a problem confined to one table (its key
// on_table_error, on mysql-source and mysql-sink).
const (
	// OnTableErrorQuarantine holds that table's changes back and lets every
	// other table flow; the table is copied again once the cause is gone
	// (default).
	OnTableErrorQuarantine = "quarantine"
	// OnTableErrorStop stops the whole connector at the problem, as sluice
	// did before quarantine existed.
	OnTableErrorStop = "stop"
)

// DefaultOnTableError fills the on_table_error key at key.
func (s *Scope) DefaultOnTableError(key string, v *string) {
	defaultStr(v, OnTableErrorQuarantine, s.Unset(key, *v == ""))
}

// CheckOnTableError checks the on_table_error key at key.
func (s *Scope) CheckOnTableError(key, v string) {
	s.OneOf(key, v, OnTableErrorQuarantine, OnTableErrorStop)
}

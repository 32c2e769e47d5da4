package source

import (
	"fmt"

	"github.com/sluice-cdc/sluice/connectors/mysql/internal/dbconn"
	"github.com/sluice-cdc/sluice/pkg/connector"
)

// refused quarantines tables the patterns match whose names sluice cannot
// keep apart from others' (catalog.Filter.Refused): they are not
// captured, and the quarantine says so until they are dropped or renamed
// (renamed into a selected database, a table is copied then).
func (s *Source) refused(tables [][2]string, where string) error {
	for _, t := range tables {
		err := s.topics.CheckTable(t[0], t[1])
		if err == nil {
			continue
		}
		stop := &connector.Fatal{Err: fmt.Errorf("source %s: %w: sluice cannot replicate it apart from the other tables yet; "+
			"leave it out of tables: (list the other tables or patterns explicitly) or rename it", s.cfg.Name, err)}
		fix := "rename the database to one without '.' (RENAME TABLE into a selected database copies the table), " +
			"or leave it out of tables: (list the other tables or patterns explicitly)"
		if s.quar.names == nil {
			s.quar.names = map[string][2]string{}
		}
		name := dbconn.QuoteTable(t[0], t[1]) // not "db.table": that is another table's
		s.quar.names[name] = t
		if err := s.quarantine(name, kindName, err.Error(), fix, where, stop); err != nil {
			return err
		}
	}
	return nil
}

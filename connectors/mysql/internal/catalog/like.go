package catalog

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/sluice-cdc/sluice/pkg/event"
)

// likeCreate returns the CREATE TABLE of def, a copy of another table's
// definition made by CREATE TABLE ... LIKE, as the server makes it: the
// columns, keys, indexes and options of the original, without its foreign
// keys (LIKE does not copy them).
func likeCreate(def *event.TableDef) (string, error) {
	ct, err := createStmt(def)
	if err != nil {
		return "", err
	}
	var keep, fks []*ast.Constraint
	for _, c := range ct.Constraints {
		if c.Tp == ast.ConstraintForeignKey {
			fks = append(fks, c)
		} else {
			keep = append(keep, c)
		}
	}
	// The index InnoDB made for a foreign key stays in the copy: named
	// after the constraint, or its first column, unless another index
	// already starts with its columns.
	for _, fk := range fks {
		if len(fk.Keys) == 0 || fk.Keys[0].Column == nil || indexed(keep, fk.Keys) {
			continue
		}
		name := fk.Name
		if name == "" {
			name = fk.Keys[0].Column.Name.O
		}
		keep = append(keep, &ast.Constraint{Tp: ast.ConstraintIndex, Name: name, Keys: fk.Keys})
	}
	ct.Constraints = keep
	ct.Table = &ast.TableName{Name: ast.NewCIStr(def.Table)}
	return RestoreSQL(ct)
}

// indexed reports whether one of cs is an index whose first columns are
// cols.
func indexed(cs []*ast.Constraint, cols []*ast.IndexPartSpecification) bool {
	for _, c := range cs {
		switch c.Tp {
		case ast.ConstraintPrimaryKey, ast.ConstraintKey, ast.ConstraintIndex, ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		default:
			continue
		}
		if len(c.Keys) < len(cols) {
			continue
		}
		match := true
		for i, k := range cols {
			if c.Keys[i].Column == nil || k.Column == nil || !c.Keys[i].Column.Name.Equals(&k.Column.Name) {
				match = false
			}
		}
		if match {
			return true
		}
	}
	return false
}

package catalog

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// alterCreate applies the specs of an ALTER TABLE to the table's CREATE
// TABLE statement, in order. It returns the lower-case names of the columns
// added or redefined (whose descriptions must be derived anew) and the new
// name when the ALTER renames the table. A spec that could change how rows
// are decoded and that it does not understand is an error: decoding with a
// guessed definition is worse than stopping.
func alterCreate(ct *ast.CreateTableStmt, specs []*ast.AlterTableSpec, dbCharset string) (changed map[string]bool, rename *ast.TableName, err error) {
	changed = map[string]bool{}
	var cs, co string // the table's new default character set and collation
	convert := false  // CONVERT TO: the text columns take them too
	defer func() {
		switch {
		case err != nil:
		case convert:
			if err = convertTo(ct, cs, co, dbCharset, changed); err != nil {
				changed, rename = nil, nil
			}
		case cs != "" || co != "":
			pinColumnCharsets(ct, dbCharset, changed)
			setTableCharset(ct, cs, co)
		}
	}()
	for _, sp := range specs {
		switch sp.Tp {
		case ast.AlterTableAddColumns:
			for _, cd := range sp.NewColumns {
				if colIndex(ct, cd.Name.Name.O) >= 0 {
					if sp.IfNotExists {
						continue
					}
					return nil, nil, fmt.Errorf("ADD COLUMN %s: the column exists", cd.Name.Name.O)
				}
				if err := insertCol(ct, cd, sp.Position, -1); err != nil {
					return nil, nil, err
				}
				changed[strings.ToLower(cd.Name.Name.O)] = true
			}
			addInlineConstraints(ct, sp.NewConstraints)
		case ast.AlterTableDropColumn:
			i := colIndex(ct, sp.OldColumnName.Name.O)
			if i < 0 {
				if sp.IfExists {
					continue
				}
				return nil, nil, fmt.Errorf("DROP COLUMN %s: no such column", sp.OldColumnName.Name.O)
			}
			ct.Cols = append(ct.Cols[:i], ct.Cols[i+1:]...)
			dropColumnFromKeys(ct, sp.OldColumnName.Name.O)
		case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
			cd := sp.NewColumns[0]
			old := cd.Name.Name.O
			if sp.OldColumnName != nil {
				old = sp.OldColumnName.Name.O
			}
			i := colIndex(ct, old)
			if i < 0 {
				if sp.IfExists {
					continue
				}
				return nil, nil, fmt.Errorf("%s: no column %s", alterWord(sp.Tp), old)
			}
			ct.Cols = append(ct.Cols[:i], ct.Cols[i+1:]...)
			if err := insertCol(ct, cd, sp.Position, i); err != nil {
				return nil, nil, err
			}
			renameColumnInKeys(ct, old, cd.Name.Name.O)
			changed[strings.ToLower(cd.Name.Name.O)] = true
		case ast.AlterTableRenameColumn:
			i := colIndex(ct, sp.OldColumnName.Name.O)
			if i < 0 {
				return nil, nil, fmt.Errorf("RENAME COLUMN: no column %s", sp.OldColumnName.Name.O)
			}
			ct.Cols[i].Name = &ast.ColumnName{Name: sp.NewColumnName.Name}
			renameColumnInKeys(ct, sp.OldColumnName.Name.O, sp.NewColumnName.Name.O)
			changed[strings.ToLower(sp.NewColumnName.Name.O)] = true
		case ast.AlterTableAlterColumn:
			i := colIndex(ct, sp.NewColumns[0].Name.Name.O)
			if i < 0 {
				return nil, nil, fmt.Errorf("ALTER COLUMN: no column %s", sp.NewColumns[0].Name.Name.O)
			}
			setDefault(ct.Cols[i], sp.NewColumns[0].Options)
		case ast.AlterTableAddConstraint:
			if sp.Constraint.Tp == ast.ConstraintPrimaryKey {
				dropPrimaryKey(ct)
			}
			if !(sp.Constraint.IfNotExists && sp.Constraint.Name != "" && hasIndex(ct, sp.Constraint.Name)) {
				ct.Constraints = append(ct.Constraints, sp.Constraint)
			}
		case ast.AlterTableDropPrimaryKey:
			dropPrimaryKey(ct)
		case ast.AlterTableDropIndex:
			dropIndex(ct, sp.Name)
		case ast.AlterTableRenameIndex:
			for _, c := range ct.Constraints {
				if strings.EqualFold(c.Name, sp.FromKey.O) {
					c.Name = sp.ToKey.O
				}
			}
		case ast.AlterTableRenameTable:
			rename = sp.NewTable
		case ast.AlterTableOption:
			for _, o := range sp.Options {
				switch {
				case o.Tp == ast.TableOptionCharset && o.Default:
					cs, convert = dbCharset, convert || o.UintValue == ast.TableOptionCharsetWithConvertTo
				case o.Tp == ast.TableOptionCharset:
					cs, convert = o.StrValue, convert || o.UintValue == ast.TableOptionCharsetWithConvertTo
				case o.Tp == ast.TableOptionCollate:
					co = o.StrValue
				default:
					setTableOption(ct, o)
				}
			}
		case ast.AlterTableLock, ast.AlterTableAlgorithm, ast.AlterTableForce, ast.AlterTableDropForeignKey,
			ast.AlterTableEnableKeys, ast.AlterTableDisableKeys, ast.AlterTableIndexInvisible,
			ast.AlterTableAlterCheck, ast.AlterTableDropCheck, ast.AlterTableOrderByColumns, ast.AlterTableWithValidation,
			ast.AlterTableWithoutValidation:
			// No effect on the columns, and none on SHOW CREATE TABLE that
			// a sink needs to create the table.
		default:
			q, _ := RestoreSQL(sp)
			return nil, nil, fmt.Errorf("ALTER TABLE clause %q is not supported yet", q)
		}
	}
	return changed, rename, nil
}

func alterWord(t ast.AlterTableType) string {
	if t == ast.AlterTableChangeColumn {
		return "CHANGE COLUMN"
	}
	return "MODIFY COLUMN"
}

func colIndex(ct *ast.CreateTableStmt, name string) int {
	for i, c := range ct.Cols {
		if strings.EqualFold(c.Name.Name.O, name) {
			return i
		}
	}
	return -1
}

// insertCol places cd by pos; with no position it goes to at (a modified
// column keeps its place) or, when at < 0, to the end.
func insertCol(ct *ast.CreateTableStmt, cd *ast.ColumnDef, pos *ast.ColumnPosition, at int) error {
	cd = &ast.ColumnDef{Name: &ast.ColumnName{Name: cd.Name.Name}, Tp: cd.Tp, Options: cd.Options}
	i := len(ct.Cols)
	if at >= 0 {
		i = at
	}
	if pos != nil {
		switch pos.Tp {
		case ast.ColumnPositionFirst:
			i = 0
		case ast.ColumnPositionAfter:
			j := colIndex(ct, pos.RelativeColumn.Name.O)
			if j < 0 {
				return fmt.Errorf("AFTER %s: no such column", pos.RelativeColumn.Name.O)
			}
			i = j + 1
		}
	}
	ct.Cols = append(ct.Cols[:i], append([]*ast.ColumnDef{cd}, ct.Cols[i:]...)...)
	return nil
}

// addInlineConstraints keeps the keys declared in ADD COLUMN ... PRIMARY
// KEY / UNIQUE.
func addInlineConstraints(ct *ast.CreateTableStmt, cs []*ast.Constraint) {
	ct.Constraints = append(ct.Constraints, cs...)
}

func setDefault(cd *ast.ColumnDef, opts []*ast.ColumnOption) {
	kept := cd.Options[:0:0]
	for _, o := range cd.Options {
		if o.Tp != ast.ColumnOptionDefaultValue {
			kept = append(kept, o)
		}
	}
	for _, o := range opts {
		if o.Tp == ast.ColumnOptionDefaultValue {
			kept = append(kept, o)
		}
	}
	cd.Options = kept
}

func dropPrimaryKey(ct *ast.CreateTableStmt) {
	kept := ct.Constraints[:0:0]
	for _, c := range ct.Constraints {
		if c.Tp != ast.ConstraintPrimaryKey {
			kept = append(kept, c)
		}
	}
	ct.Constraints = kept
	for _, cd := range ct.Cols {
		opts := cd.Options[:0:0]
		for _, o := range cd.Options {
			if o.Tp != ast.ColumnOptionPrimaryKey {
				opts = append(opts, o)
			}
		}
		cd.Options = opts
	}
}

func hasIndex(ct *ast.CreateTableStmt, name string) bool {
	for _, c := range ct.Constraints {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

func dropIndex(ct *ast.CreateTableStmt, name string) {
	kept := ct.Constraints[:0:0]
	for _, c := range ct.Constraints {
		if !strings.EqualFold(c.Name, name) || c.Tp == ast.ConstraintPrimaryKey {
			kept = append(kept, c)
		}
	}
	ct.Constraints = kept
}

// dropColumnFromKeys removes a dropped column from every index, and the
// indexes left without columns, as the server does.
func dropColumnFromKeys(ct *ast.CreateTableStmt, col string) {
	kept := ct.Constraints[:0:0]
	for _, c := range ct.Constraints {
		keys := c.Keys[:0:0]
		for _, k := range c.Keys {
			if k.Column == nil || !strings.EqualFold(k.Column.Name.O, col) {
				keys = append(keys, k)
			}
		}
		if len(c.Keys) > 0 && len(keys) == 0 {
			continue
		}
		c.Keys = keys
		kept = append(kept, c)
	}
	ct.Constraints = kept
}

func renameColumnInKeys(ct *ast.CreateTableStmt, from, to string) {
	if strings.EqualFold(from, to) {
		return
	}
	for _, c := range ct.Constraints {
		for _, k := range c.Keys {
			if k.Column != nil && strings.EqualFold(k.Column.Name.O, from) {
				k.Column = &ast.ColumnName{Name: ast.NewCIStr(to)}
			}
		}
	}
}

// setTableOption replaces an option of the same kind, or adds it.
func setTableOption(ct *ast.CreateTableStmt, o *ast.TableOption) {
	for i, x := range ct.Options {
		if x.Tp == o.Tp && engineOptionName(x) == engineOptionName(o) {
			ct.Options[i] = o
			return
		}
	}
	ct.Options = append(ct.Options, o)
}

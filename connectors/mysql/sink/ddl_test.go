package sink

import (
	"reflect"
	"testing"

	"github.com/sluice-cdc/sluice/pkg/event"
)

func TestPlanDDL(t *testing.T) {
	r := routes{{From: "shop.items", To: "archive.items_v2"}, {From: "shop2.*", To: "shop2_copy.*"}}
	cases := []struct {
		name  string
		ddl   event.DDL
		stmts []string
		useDB string
	}{
		{"unrouted ALTER runs as written", event.DDL{Statements: []string{"ALTER TABLE orders ADD c INT"}, Schema: "shop"},
			[]string{"ALTER TABLE orders ADD c INT"}, "shop"},
		{"CREATE gets IF NOT EXISTS", event.DDL{Statements: []string{"CREATE TABLE shop.x (id INT PRIMARY KEY)"}, Schema: "test"},
			[]string{"CREATE TABLE IF NOT EXISTS shop.x (id INT PRIMARY KEY)"}, ""},
		{"routed ALTER", event.DDL{Statements: []string{"ALTER TABLE items ADD c INT"}, Schema: "shop"},
			[]string{"ALTER TABLE `archive`.`items_v2` ADD COLUMN `c` INT"}, ""},
		{"DROP keeps the selected tables", event.DDL{Statements: []string{"DROP TABLE shop.a, other.b, items"}, Schema: "shop",
			Dropped: []string{"shop.a", "shop.items"}},
			[]string{"DROP TABLE IF EXISTS `shop`.`a`, `archive`.`items_v2`"}, ""},
		{"database route", event.DDL{Statements: []string{"CREATE DATABASE shop2"}},
			[]string{"CREATE DATABASE IF NOT EXISTS `shop2_copy`"}, ""},
		{"ALTER DATABASE of the current database names it", event.DDL{Statements: []string{"ALTER DATABASE CHARACTER SET utf8mb3"}, Schema: "shop2"},
			[]string{"ALTER DATABASE `shop2_copy` CHARACTER SET = utf8"}, ""},
		{"ALTER DATABASE routed", event.DDL{Statements: []string{"ALTER DATABASE shop2 COLLATE utf8mb4_unicode_ci"}, Schema: "test"},
			[]string{"ALTER DATABASE `shop2_copy` COLLATE = utf8mb4_unicode_ci"}, ""},
		{"RENAME keeps the selected pairs", event.DDL{Statements: []string{"RENAME TABLE shop2.t TO shop2.u, other.x TO other.y"},
			Renamed: [][2]string{{"shop2.t", "shop2.u"}}},
			[]string{"RENAME TABLE `shop2_copy`.`t` TO `shop2_copy`.`u`"}, ""},
		{"a table renamed out of tables: is dropped (the replica may lack the other database)", event.DDL{Statements: []string{"RENAME TABLE shop.items TO other.z, shop2.t TO shop2.u"},
			Renamed: [][2]string{{"shop2.t", "shop2.u"}}, Dropped: []string{"shop.items", "shop2.t"}},
			[]string{"DROP TABLE IF EXISTS `archive`.`items_v2`", "RENAME TABLE `shop2_copy`.`t` TO `shop2_copy`.`u`"}, ""},
		{"DROP DATABASE drops tables routed elsewhere", event.DDL{Statements: []string{"DROP DATABASE shop"},
			Dropped: []string{"shop.items", "shop.a"}},
			[]string{"DROP TABLE IF EXISTS `archive`.`items_v2`", "DROP DATABASE IF EXISTS `shop`"}, ""},
		{"a table created again from a definition beyond the parser, routed", event.DDL{Statements: []string{"DROP TABLE IF EXISTS `shop`.`items`"},
			Dropped: []string{"shop.items"}, Recreate: []string{"shop.items"}, Tables: []event.TableDef{{DB: "shop", Table: "items",
				CreateSQL: "CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `v` int(11) DEFAULT (1 + 1),\n  PRIMARY KEY (`id`)\n)"}}},
			[]string{"DROP TABLE IF EXISTS `archive`.`items_v2`", "CREATE DATABASE IF NOT EXISTS `archive`",
				"CREATE TABLE IF NOT EXISTS `archive`.`items_v2` (\n  `id` int(11) NOT NULL,\n  `v` int(11) DEFAULT (1 + 1),\n  PRIMARY KEY (`id`)\n)"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planDDL(r, &tc.ddl)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.stmts, tc.stmts) || p.useDB != tc.useDB {
				t.Errorf("plan %q in %q, want %q in %q", p.stmts, p.useDB, tc.stmts, tc.useDB)
			}
		})
	}
}

package e2e

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// ShopTables are the tables of ShopSchema.
var ShopTables = []string{"shop.customers", "shop.orders", "shop.order_lines"}

// ShopSchema is the shop fixture: customers, orders and order lines, with
// a spread of types (utf8mb4, DECIMAL, DATETIME(6), BIT, ENUM, JSON,
// VARBINARY), an AUTO_INCREMENT key and a composite key. Run it with
// ExecAll; Seed fills it.
const ShopSchema = `CREATE DATABASE shop;
CREATE TABLE shop.customers (
  id INT PRIMARY KEY, name VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL, email VARCHAR(200) NULL,
  balance DECIMAL(12,2) NOT NULL DEFAULT 0, created DATETIME(6) NOT NULL, flags BIT(8) NULL, note TEXT NULL);
CREATE TABLE shop.orders (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(20,6) NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new', payload JSON NULL, raw VARBINARY(16) NULL,
  version INT NOT NULL DEFAULT 0);
CREATE TABLE shop.order_lines (
  order_id BIGINT UNSIGNED NOT NULL, line INT NOT NULL, sku VARCHAR(32) NOT NULL, qty INT NOT NULL,
  PRIMARY KEY (order_id, line))`

// Seed inserts n customers of ShopSchema with ids from, each with one
// order of two lines, in one transaction.
func Seed(t testing.TB, db *sql.DB, from, n int) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		MustExec(t, tx, "INSERT INTO shop.customers VALUES (?, ?, ?, ?, ?, ?, ?)", i, fmt.Sprintf("customer %d 🙂", i),
			nullIf(i%7 == 0, fmt.Sprintf("c%d@example.com", i)), fmt.Sprintf("%d.%02d", i*3, i%100),
			"2024-02-29 12:34:56.123456", i%256, nullIf(i%5 == 0, ""))
		res, err := tx.Exec("INSERT INTO shop.orders (customer_id, amount, status, payload, raw) VALUES (?, ?, 'new', ?, ?)",
			i, fmt.Sprintf("%d.000001", i), fmt.Sprintf(`{"n": %d, "big": 18446744073709551615, "s": "é"}`, i), []byte{0, byte(i), 0})
		if err != nil {
			t.Fatal(err)
		}
		oid, _ := res.LastInsertId()
		MustExec(t, tx, "INSERT INTO shop.order_lines VALUES (?, 1, 'sku-a', 1), (?, 2, 'sku-b', 2)", oid, oid)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func nullIf(null bool, v string) any {
	if null {
		return nil
	}
	return v
}

// SeedCustomers inserts n customers with ids from in one statement.
func SeedCustomers(t testing.TB, db *sql.DB, from, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("INSERT INTO shop.customers (id, name, balance, created) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'bulk %d', %d.50, '2025-01-01 00:00:00')", from+i, from+i, i)
	}
	MustExec(t, db, b.String())
}

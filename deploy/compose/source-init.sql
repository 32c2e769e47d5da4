-- source-init.sql: run once by the mysql image when the `source` volume is
-- empty (/docker-entrypoint-initdb.d). The image has already created the user
-- `sluice`@`%` from MYSQL_USER/MYSQL_PASSWORD, without privileges; this file
-- grants it exactly what sluice's mysql-source needs, and creates a small
-- demo database to capture. The server runs with gtid_mode=ON and
-- enforce_gtid_consistency=ON: every statement here is GTID-safe.

-- Read the binlog as a replica does, and SHOW MASTER STATUS / SHOW BINARY
-- LOGS (on MariaDB 10.5+ REPLICATION CLIENT is the alias of BINLOG MONITOR).
-- RELOAD: MySQL only, for the brief FLUSH TABLES WITH READ LOCK that pins a
-- consistent position for the first snapshot (MariaDB needs no lock).
GRANT REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.* TO 'sluice'@'%';
-- Snapshot, SHOW CREATE TABLE and primary keys of the captured tables only.
GRANT SELECT ON `shop`.* TO 'sluice'@'%';

CREATE DATABASE IF NOT EXISTS shop;

CREATE TABLE shop.customers (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email      VARCHAR(255)    NOT NULL UNIQUE,
  name       VARCHAR(255)    NOT NULL,
  created_at TIMESTAMP(6)    NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE shop.orders (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id BIGINT UNSIGNED NOT NULL,
  total       DECIMAL(12,2)   NOT NULL,
  status      ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  note        JSON            NULL,
  updated_at  TIMESTAMP(6)    NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY (customer_id)
) ENGINE=InnoDB;

INSERT INTO shop.customers (email, name) VALUES
  ('ada@example.com', 'Ada'),
  ('grace@example.com', 'Grace');

INSERT INTO shop.orders (customer_id, total, status, note) VALUES
  (1, 12.50, 'paid', '{"gift": true}'),
  (2, 99.00, 'new', NULL);

-- A swap (RENAME t3 TO tmp, r6 TO t3, tmp TO r6) of a quarantined table (a column in sjis): its quarantine moved to t3, then ended as t3 was "dropped" by the same statement, and the row changes it held back were lost (seed 5: one row too many on the replica). Also a generated column declared PERSISTENT (MariaDB's STORED), which did not parse.
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `offside`;
CREATE DATABASE `fz_a`;
-- [create_table]
-- fuzzed
CREATE TABLE `fz_a`.`t1` (id INT NOT NULL, k2 SMALLINT NOT NULL DEFAULT 0, `c0` BIT(1), `c1` INT UNSIGNED, `c2` TINYTEXT INVISIBLE, `c3` MEDIUMTEXT COLLATE sjis_japanese_ci COMMENT 'c''s c3', `c4` GEOMETRY, PRIMARY KEY (id, k2), u INT NULL, UNIQUE KEY uk (u)) COLLATE=utf8mb3_bin COMMENT='fuzzed, isn''t it';
-- [alter_table]
# fuzzed
ALTER ONLINE TABLE `fz_a`.`t1` ADD COLUMN `a2` INT DEFAULT 3 NOT NULL, LOCK=NONE;
-- [dml]
BEGIN;
REPLACE INTO `fz_a`.`t1` (`id`, `k2`, `c0`, `c2`, `c4`, `u`, `a2`) VALUES (26, 26, 1, NULL, ST_GeomFromText('POINT(-0.5 1e10)'), 42, 42);
COMMIT;
-- [create_table]
CREATE TABLE IF NOT EXISTS `fz_a`.`t3` (id VARCHAR(10) NOT NULL, `c0` DOUBLE(12,4) DEFAULT 1.5, `c1` BIT(64), PRIMARY KEY (id)) COLLATE=ascii_bin COMMENT='fuzzed, isn''t it';
-- >>> sluice_start
-- [create_table]
CREATE TABLE IF NOT EXISTS `fz_a`.`t4` (id INT NOT NULL, g BIGINT AS (id + 1) PERSISTENT, `c0` INT UNSIGNED, `c1` MEDIUMTEXT COLLATE cp1251_general_ci INVISIBLE, `c2` INET4, PRIMARY KEY (id), u INT NULL, UNIQUE KEY uk (u)) /*!40101 DEFAULT CHARSET=utf8mb3 */;
-- [create_sequence]
CREATE SEQUENCE `fz_a`.`s5` START WITH 57;
-- [dml]
BEGIN;
UPDATE IGNORE `fz_a`.`t4` SET `c0` = 0 WHERE `id` IN (11, 29);
REPLACE INTO `fz_a`.`t4` (`id`, `c0`, `c2`, `u`) VALUES (6, 0, '255.255.255.255', 0);
UPDATE `fz_a`.`t1` SET `id` = 7 WHERE `id` = 18;
DELETE FROM `fz_a`.`t1` ORDER BY `id` LIMIT 1;
DELETE FROM `fz_a`.`t3` ORDER BY `id` LIMIT 3;
COMMIT;
-- [rename_table]
RENAME TABLE `fz_a`.`t1` TO `fz_a`.`r6`;
-- [rename_table]
RENAME TABLE `fz_a`.`t3` TO `fz_a`.`tmpr7`, `fz_a`.`r6` TO `fz_a`.`t3`, `fz_a`.`tmpr7` TO `fz_a`.`r6`;

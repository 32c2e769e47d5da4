-- CREATE TABLE IF NOT EXISTS recorded the clause in the definition (the sink retried
-- "unexpected definition"); INVISIBLE, GEOMETRY and SPATIAL did not parse or came back
-- without INVISIBLE; a database's charset changed before the snapshot was not carried.
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `offside`;
CREATE DATABASE `fz_a`;
-- [alter_database]
ALTER DATABASE `fz_a` CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci;
-- [create_table]
CREATE TABLE `fz_a`.`snap` (id INT PRIMARY KEY, s VARCHAR(10));
-- >>> sluice_start
-- [create_keyless]
/* fuzzed */ CREATE TABLE IF NOT EXISTS `fz_a`.`üüüüü` (`c0` FLOAT(10,2) COMMENT 'c''s c0', `c1` LONGTEXT COLLATE utf16_general_ci);
-- [create_table]
CREATE TABLE `fz_a`.`t5` (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, `c0` MEDIUMINT INVISIBLE, g GEOMETRY NOT NULL, PRIMARY KEY (id), SPATIAL INDEX (g), u INT NULL, UNIQUE KEY uk (u)) PAGE_COMPRESSED=1 ENGINE=InnoDB;
-- [create_table]
CREATE TABLE `fz_a`.`t11` (id INT PRIMARY KEY, s VARCHAR(10));
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`üüüüü` VALUES (1.5, 'é'), (1.5, 'é');
INSERT INTO `fz_a`.`t5` (`c0`, g, u) VALUES (7, ST_GeomFromText('POINT(1 2)'), 1);
INSERT INTO `fz_a`.`t11` VALUES (1, 'é€');
COMMIT;
-- [alter_table]
ALTER TABLE `fz_a`.`t5` ADD COLUMN a INT DEFAULT (1 + 1) INVISIBLE;

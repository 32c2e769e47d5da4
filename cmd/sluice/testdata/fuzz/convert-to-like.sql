-- ALTER TABLE ... CONVERT TO CHARACTER SET was not applied by the schema history (read back
-- from the server, or the table quarantined while the reader was behind); a CREATE TABLE ...
-- LIKE of it then gave the copy on the replica the old default character set (seed 1, round 14).
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `fz_a` CHARACTER SET latin1;
CREATE TABLE `fz_a`.`q` (id INT PRIMARY KEY, a VARCHAR(20), b TEXT, c TINYTEXT CHARACTER SET cp1251, d BLOB) DEFAULT CHARSET=latin1;
-- >>> sluice_start
-- [alter_table]
ALTER TABLE `fz_a`.`q` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
-- [create_table]
CREATE TABLE `fz_a`.`t` LIKE `fz_a`.`q`;
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`q` VALUES (1, 'é€Ω', REPEAT('ü', 300), 'Ж', x'00ff');
INSERT INTO `fz_a`.`t` VALUES (1, 'é€Ω', REPEAT('€', 20000), '😀', x'ff00');
COMMIT;
-- [create_table]
CREATE TABLE `fz_a`.`u` LIKE `fz_a`.`t`;
-- [alter_table]
ALTER TABLE `fz_a`.`u` CONVERT TO CHARACTER SET DEFAULT, ADD z TEXT;
-- [create_table]
CREATE TABLE `fz_a`.`v` LIKE `fz_a`.`u`;
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`u` VALUES (2, 'abc', 'ü', 'x', NULL, 'ß');
INSERT INTO `fz_a`.`v` VALUES (2, 'abc', REPEAT('ü', 60000), 'x', NULL, 'ß');
COMMIT;

-- An ENUM with an empty-string member: the invalid value (index 0, stored by a lax sql_mode)
-- was sent as "", the member's text, and the replica stored the member instead (seed 3; same
-- row count, other CHECKSUM). The snapshot read both as '' too. The invalid value of such an
-- ENUM is the number 0 now, and the snapshot reads it by index.
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `fz_a`;
CREATE TABLE `fz_a`.`t4` (id INT NOT NULL, `c3` ENUM('x','','Ünï'), PRIMARY KEY (id)) CHARACTER SET utf8mb4;
-- [dml_lax_sql_mode]
SET SESSION sql_mode = 'ALLOW_INVALID_DATES';
START TRANSACTION;
INSERT IGNORE INTO `fz_a`.`t4` VALUES (1, 'b'), (2, ''), (3, 'Ünï'), (4, NULL), (5, 'x');
COMMIT;
-- >>> sluice_start
-- [dml_lax_sql_mode]
SET SESSION sql_mode = 'ALLOW_INVALID_DATES';
START TRANSACTION;
INSERT IGNORE INTO `fz_a`.`t4` VALUES (30, 'Ünï'), (8, 'b'), (9, '');
UPDATE IGNORE `fz_a`.`t4` SET `c3` = 'zz' WHERE `id` = 5;
UPDATE `fz_a`.`t4` SET `c3` = '' WHERE `id` = 1;
COMMIT;
-- [dml]
BEGIN;
DELETE FROM `fz_a`.`t4` WHERE `id` = 2;
COMMIT;

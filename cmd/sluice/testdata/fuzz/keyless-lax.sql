-- A table without a key whose row a lax sql_mode session updated to values a strict session
-- refuses (an ENUM value outside its members stored as '', index 0): the sink's UPDATE found
-- the row by its before image but ran without the lenient retry the keyed path has, and the
-- replica rejected it (1265, quarantined on the sink; seed 2's t553).
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `fz_a`;
CREATE TABLE `fz_a`.`k` (c0 ENUM('a','b'), v INT, s SET('x','y'));
INSERT INTO `fz_a`.`k` VALUES ('a', 1, 'x'), ('b', 2, 'y');
-- >>> sluice_start
-- [dml_lax_sql_mode]
SET SESSION sql_mode = '';
START TRANSACTION;
UPDATE `fz_a`.`k` SET c0 = 'zz' WHERE v = 1;
UPDATE `fz_a`.`k` SET s = 'x,q' WHERE v = 2;
COMMIT;
-- [dml]
BEGIN;
UPDATE `fz_a`.`k` SET v = 10 WHERE v = 1;
DELETE FROM `fz_a`.`k` WHERE v = 2;
COMMIT;

-- A selected database without tables when sluice starts: the snapshot did not create it on
-- the replica, and the sink created it for a later CREATE TABLE with the source's character
-- set but not its collation (seed 7, round 1).
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `fz_a` COLLATE utf8mb4_unicode_ci;
CREATE DATABASE `fz_b` CHARACTER SET latin1 COLLATE latin1_german2_ci;
CREATE DATABASE `fz_c` CHARACTER SET cp1251;
-- >>> sluice_start
-- [create_table]
CREATE TABLE `fz_a`.`t` (id INT PRIMARY KEY, s VARCHAR(10));
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`t` VALUES (1, 'Straße');
COMMIT;
-- [create_database]
CREATE DATABASE IF NOT EXISTS `fz_c` CHARACTER SET utf8mb4;
-- [create_table]
CREATE TABLE `fz_c`.`u` (id INT PRIMARY KEY, s VARCHAR(10));
-- [dml]
BEGIN;
INSERT INTO `fz_c`.`u` VALUES (1, 'Жж');
COMMIT;
-- [alter_database]
ALTER DATABASE `fz_a` CHARACTER SET latin1;
-- [create_table]
CREATE TABLE `fz_a`.`v` (id INT PRIMARY KEY, s VARCHAR(10));
-- [drop_database]
DROP DATABASE `fz_b`;
-- [create_database]
CREATE DATABASE `fz_b`;
-- [create_table]
CREATE TABLE `fz_b`.`w` (id INT PRIMARY KEY, s VARCHAR(10));

-- A table renamed out of the selection: the sink renamed it into a database the replica
-- does not have (error 1025) until it gave up; it is dropped on the replica now.
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `offside`;
CREATE DATABASE `fz_a`;
-- >>> sluice_start
-- [create_table]
CREATE TABLE `fz_a`.`t43` (id INT PRIMARY KEY, v INT);
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`t43` VALUES (1, 1), (2, 2);
COMMIT;
-- [rename_table]
RENAME TABLE `fz_a`.`t43` TO `offside`.`r49`;
-- [rename_table]
RENAME TABLE `offside`.`r49` TO `fz_a`.`back`;
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`back` VALUES (3, 3);
COMMIT;

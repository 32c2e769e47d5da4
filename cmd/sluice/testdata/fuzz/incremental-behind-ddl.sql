-- An incremental snapshot (here of a table renamed into the selection) read while the reader
-- was behind a DDL renaming the table's key column: "Unknown column 'id'" restarted the source
-- until the reader passed the DDL. The chunk is read again once the stream has caught up.
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `offside`;
CREATE DATABASE `fz_a`;
CREATE TABLE `offside`.`x` (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO `offside`.`x` VALUES (1, 'a'), (2, 'b'), (3, 'c');
CREATE TABLE `offside`.`y` (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO `offside`.`y` VALUES (1, 'a'), (2, 'b'), (3, 'c');
-- >>> sluice_start
-- [rename_table]
RENAME TABLE `offside`.`x` TO `fz_a`.`x`;
-- [alter_table]
ALTER TABLE `fz_a`.`x` CHANGE id id2 INT NOT NULL;
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`x` VALUES (4, 'd');
COMMIT;
-- [rename_table]
RENAME TABLE `offside`.`y` TO `fz_a`.`y`;
-- [alter_table]
ALTER TABLE `fz_a`.`y` DROP PRIMARY KEY, ADD PRIMARY KEY (v), DROP COLUMN id;
-- [rename_table]
RENAME TABLE `fz_a`.`y` TO `fz_a`.`y2`;
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`y2` VALUES ('e');
COMMIT;

-- Minimized by the fuzzer (seed 1) from 111 statements: DEFAULT (1 + 1) did not parse, the
-- table's ALTERs went to quarantine, its RENAME was held, and another table's foreign key
-- kept the old name on the replica.
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `offside`;
CREATE DATABASE `fz_a`;
-- [create_table]
-- one
# two
/* three */
CREATE TABLE IF NOT EXISTS `fz_a`.`t6` (id INT NOT NULL, `c0` MEDIUMINT UNSIGNED DEFAULT (1 + 1), `c1` FLOAT, PRIMARY KEY (id)) COMMENT='fuzzed, isn''t it' ENGINE=InnoDB CHARACTER SET latin1 COLLATE latin1_bin;
-- >>> sluice_start
-- [create_foreign_key]
CREATE TABLE `fz_a`.`t28` (id INT PRIMARY KEY, pid INT, v VARCHAR(10), FOREIGN KEY (pid) REFERENCES `fz_a`.`t6` (`id`) ON DELETE NO ACTION);
-- [dml]
BEGIN;
INSERT INTO `fz_a`.`t6` (`id`) VALUES (16);
UPDATE `fz_a`.`t6` SET `c1` = 123456789.123, `c0` = 42 WHERE `id` = 16;
COMMIT;
-- [alter_table_options]
ALTER TABLE `fz_a`.`t6` DEFAULT CHARSET=utf8mb3, COLLATE=utf8mb3_general_ci;
-- [rename_table]
ALTER TABLE `fz_a`.`t6` RENAME TO `fz_a`.`r42`;

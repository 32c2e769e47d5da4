-- CREATE DATABASE with a CHARACTER SET and no COLLATE: the schema history took the server's default collation with it, and so the server's character set (latin1), and decoded the text of the database's new tables as latin1 (seed 8: 'é1' arrived as 'Ã©1'). A bug of this session's database collation tracking; the restart is where seed 8 met it.
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `fz_a`;
CREATE DATABASE `fz_x` CHARACTER SET utf8mb4;
-- >>> sluice_start
-- [drop_database]
DROP DATABASE `fz_x`;
-- [create_database]
CREATE DATABASE `fz_x` CHARACTER SET utf8mb3;
-- [create_table]
CREATE TABLE `fz_x`.`t` (id VARCHAR(10) NOT NULL, PRIMARY KEY (id));
-- [alter_database]
ALTER DATABASE `fz_x` CHARACTER SET latin1;
-- [dml]
INSERT INTO `fz_x`.`t` VALUES ('é1');
-- >>> sluice_restart
-- [dml]
INSERT INTO `fz_x`.`t` VALUES ('é2');

-- An ENUM or SET column with its own character set lost it when the sink printed the CREATE TABLE back (a leading comment line made it print instead of running it as written): the parser's printer leaves ENUM and SET character sets out (seed 4).
-- `fz_c`.`t17`: definition differs
--   native: CREATE TABLE `t17` (
--   `id` varchar(10) NOT NULL,
--   `c0` bit(64) DEFAULT NULL,
--   `c1` bit(13) NOT NULL,
--   `c2` set('p','q','r') CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci DEFAULT NULL,
--   `c3` enum('a','b','c') CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL,
--   PRIMARY KEY (`id`)
-- ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
--   sluice: CREATE TABLE `t17` (
--   `id` varchar(10) NOT NULL,
--   `c0` bit(64) DEFAULT NULL,
--   `c1` bit(13) NOT NULL,
--   `c2` set('p','q','r') DEFAULT NULL,
--   `c3` enum('a','b','c') CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL,
--   PRIMARY KEY (`id`)
-- ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
-- minimized from 64 statements
-- [setup]
CREATE DATABASE `fz_mark`;
CREATE TABLE `fz_mark`.`m` (id INT PRIMARY KEY, n INT);
CREATE DATABASE `offside`;
CREATE DATABASE `fz_a`;
-- >>> sluice_start
-- [create_database]
CREATE DATABASE IF NOT EXISTS `fz_c` /*!40100 DEFAULT CHARACTER SET binary */;
-- [create_table]
# fuzzed
CREATE TABLE `fz_c`.`t17` (id VARCHAR(10) NOT NULL, `c0` BIT(64), `c1` BIT(13) NOT NULL, `c2` SET('p','q','r') CHARACTER SET utf8mb3, `c3` ENUM('a','b','c') CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, `c4` TIME, PRIMARY KEY (id)) ENGINE=InnoDB COLLATE=utf8mb4_general_ci;

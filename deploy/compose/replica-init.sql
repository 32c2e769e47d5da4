-- replica-init.sql: run once by the mysql image when the `replica` volume is
-- empty. The image has already created `sluice`@`%` from
-- MYSQL_USER/MYSQL_PASSWORD, without privileges; this file grants what
-- sluice's mysql-sink needs: CREATE for the checkpoint database
-- (checkpoint_db) and, with create_tables, the replicated databases and
-- tables; SELECT, INSERT, UPDATE and DELETE to apply changes and keep its
-- position in sluice.sluice_offsets; ALTER, DROP and INDEX to replay the
-- source's DDL.
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX ON *.* TO 'sluice'@'%';

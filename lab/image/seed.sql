-- lab stand-in UCware 4.5 database (a few tables and rows)
CREATE DATABASE IF NOT EXISTS ucware CHARACTER SET utf8mb4;
USE ucware;
CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(64) UNIQUE NOT NULL, name VARCHAR(128), email VARCHAR(128));
CREATE TABLE extensions (number VARCHAR(32) PRIMARY KEY, user_id INT, type ENUM('phone','fax','mobile') NOT NULL DEFAULT 'phone');
CREATE TABLE user_groups (id INT PRIMARY KEY, name VARCHAR(64) UNIQUE, type VARCHAR(16));
CREATE TABLE settings (name VARCHAR(64) PRIMARY KEY, value TEXT);
INSERT INTO users VALUES (1,'supervisor','Supervisor',NULL),(2,'mmueller','Max Müller','max.mueller@example.com'),
  (3,'mmueller2','Max Müller','max.mueller@example.com'),(4,'mueller-fax','Max Müller','max.mueller@example.com'),
  (5,'aschmidt','Anna Schmidt','anna.schmidt@example.com'),(6,'aschmidt-fax','Anna Schmidt','anna.schmidt@example.com'),
  (7,'kweber','Klaus Weber','klaus.weber@example.com');
INSERT INTO extensions VALUES ('201',2,'phone'),('202',3,'mobile'),('291',4,'fax'),('210',5,'phone'),('292',6,'fax'),('220',7,'phone');
INSERT INTO user_groups VALUES (1,'admin','user'),(2,'vertrieb','user'),(3,'buchhaltung','user');
INSERT INTO settings VALUES ('schema_version','4.5'),('installed_at','2019-03-14');

-- Frozen copy of the sealmilter store at schema version 1, as the migration
-- runner left it (application_id, schema_version, migration 1). Never edit:
-- migration_test.cc builds a database from this file and checks that opening
-- it migrates it, and that migration 1 still produces exactly this schema.
PRAGMA application_id = 1397047628;
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE certificates (
  id            INTEGER PRIMARY KEY,
  sha256        TEXT    NOT NULL UNIQUE,
  der           BLOB    NOT NULL,
  subject       TEXT    NOT NULL,
  issuer        TEXT    NOT NULL,
  issuer_der    BLOB    NOT NULL,
  serial        TEXT    NOT NULL,
  ski           TEXT    NOT NULL,
  not_before    INTEGER NOT NULL,
  not_after     INTEGER NOT NULL,
  key_algorithm TEXT    NOT NULL,
  is_ca         INTEGER NOT NULL,
  usage_flags   INTEGER NOT NULL,
  source        TEXT    NOT NULL CHECK (source IN
                  ('imported', 'harvested', 'issued', 'domain', 'authority')),
  revoked       INTEGER NOT NULL DEFAULT 0,
  added_at      INTEGER NOT NULL
);
CREATE INDEX certificates_issuer_serial ON certificates (issuer_der, serial);
CREATE INDEX certificates_ski ON certificates (ski);
CREATE TABLE certificate_emails (
  email   TEXT    NOT NULL,
  cert_id INTEGER NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  PRIMARY KEY (email, cert_id)
) WITHOUT ROWID;
CREATE INDEX certificate_emails_cert ON certificate_emails (cert_id);
CREATE TABLE certificate_domains (
  domain  TEXT    NOT NULL,
  cert_id INTEGER NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  PRIMARY KEY (domain, cert_id)
) WITHOUT ROWID;
CREATE INDEX certificate_domains_cert ON certificate_domains (cert_id);
CREATE TABLE private_keys (
  cert_id       INTEGER PRIMARY KEY
                  REFERENCES certificates (id) ON DELETE RESTRICT,
  master_key_id TEXT    NOT NULL,
  sealed        BLOB    NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE TABLE crls (
  id          INTEGER PRIMARY KEY,
  issuer_der  BLOB    NOT NULL UNIQUE,
  issuer      TEXT    NOT NULL,
  this_update INTEGER NOT NULL,
  next_update INTEGER NOT NULL,
  sha256      TEXT    NOT NULL,
  der         BLOB    NOT NULL,
  added_at    INTEGER NOT NULL
);

-- Version 1: one row per member the gateway has seen.
-- Times are unix seconds. totp_secret is sealed text (v1:<key id>:<base64url>), never plaintext.
-- last_totp_step is NULL until a TOTP code has been accepted; it only ever grows.
CREATE TABLE IF NOT EXISTS members (
    login                TEXT    PRIMARY KEY NOT NULL,
    epoch                INTEGER NOT NULL DEFAULT 0,
    method               TEXT    NULL CHECK (method IN ('app', 'email', 'text')),
    totp_secret          TEXT    NULL,
    trust_period_secs    INTEGER NULL,
    enrolled_at          INTEGER NULL,
    last_totp_step       INTEGER NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    locked_until         INTEGER NULL,
    last_success_at      INTEGER NULL,
    updated_at           INTEGER NOT NULL
) WITHOUT ROWID;

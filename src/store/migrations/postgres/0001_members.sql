-- Version 1: one row per member the gateway has seen (same meaning as the SQLite schema).
-- Times are unix seconds. totp_secret is sealed text (v1:<key id>:<base64url>), never plaintext.
-- last_totp_step is NULL until a TOTP code has been accepted; it only ever grows.
CREATE TABLE IF NOT EXISTS members (
    login                TEXT   PRIMARY KEY,
    epoch                BIGINT NOT NULL DEFAULT 0,
    method               TEXT   NULL CHECK (method IN ('app', 'email', 'text')),
    totp_secret          TEXT   NULL,
    trust_period_secs    BIGINT NULL,
    enrolled_at          BIGINT NULL,
    last_totp_step       BIGINT NULL,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    locked_until         BIGINT NULL,
    last_success_at      BIGINT NULL,
    updated_at           BIGINT NOT NULL
);

-- +goose Up
-- The ledger: every change of the balance is one entry, never changed or
-- removed; the wallet row caches the running balance.
CREATE TABLE billing_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    category    TEXT    NOT NULL DEFAULT '',
    amount      INTEGER NOT NULL,
    balance     INTEGER NOT NULL,
    ref         TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX billing_entries_created ON billing_entries (created_at);
CREATE INDEX billing_entries_ref ON billing_entries (ref);

CREATE TABLE billing_wallet (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    balance     INTEGER NOT NULL,
    updated_at  DATETIME NOT NULL
);
INSERT INTO billing_wallet (id, balance, updated_at) VALUES (1, 0, CURRENT_TIMESTAMP);

CREATE TABLE billing_rates (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix           TEXT    NOT NULL,
    direction        TEXT    NOT NULL,
    number_type      TEXT    NOT NULL DEFAULT '',
    price_per_minute INTEGER NOT NULL,
    first_increment  INTEGER NOT NULL,
    next_increment   INTEGER NOT NULL,
    connection_fee   INTEGER NOT NULL DEFAULT 0,
    description      TEXT    NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    UNIQUE (prefix, direction, number_type)
);

CREATE TABLE billing_settings (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    auto_recharge        BOOLEAN NOT NULL DEFAULT FALSE,
    min_balance          INTEGER NOT NULL DEFAULT 0,
    recharge_credits     INTEGER NOT NULL DEFAULT 0,
    updated_at           DATETIME NOT NULL
);
INSERT INTO billing_settings (id, updated_at) VALUES (1, CURRENT_TIMESTAMP);

CREATE TABLE billing_quotes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    credits     INTEGER NOT NULL,
    price       TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    actor       TEXT    NOT NULL DEFAULT '',
    expires_at  DATETIME NOT NULL,
    created_at  DATETIME NOT NULL
);

CREATE TABLE billing_purchases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    quote_id    INTEGER UNIQUE REFERENCES billing_quotes (id),
    credits     INTEGER NOT NULL,
    price       TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    provider    TEXT    NOT NULL,
    reference   TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL DEFAULT '',
    automatic   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  DATETIME NOT NULL
);
CREATE INDEX billing_purchases_created ON billing_purchases (created_at);

-- +goose Down
DROP TABLE billing_purchases;
DROP TABLE billing_quotes;
DROP TABLE billing_settings;
DROP TABLE billing_rates;
DROP TABLE billing_wallet;
DROP TABLE billing_entries;

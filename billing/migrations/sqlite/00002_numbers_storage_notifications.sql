-- +goose Up
-- Numbers to buy, from the carriers' trunks.
CREATE TABLE billing_inventory (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    e164             TEXT    NOT NULL UNIQUE,
    trunk_id         INTEGER NOT NULL,
    country          TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    region           TEXT    NOT NULL DEFAULT '',
    monthly_price    INTEGER NOT NULL,
    address_required BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       DATETIME NOT NULL
);
CREATE INDEX billing_inventory_search ON billing_inventory (country, type, region);

-- What is charged every month: owned numbers and the storage plan.
CREATE TABLE billing_subscriptions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    monthly_price INTEGER NOT NULL,
    details       TEXT    NOT NULL DEFAULT '',
    started_at    DATETIME NOT NULL,
    ended_at      DATETIME,
    unpaid_since  DATETIME
);
CREATE INDEX billing_subscriptions_active ON billing_subscriptions (kind, ended_at);

-- Quotes for numbers and storage plans: what is bought, for how much.
CREATE TABLE billing_offers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    monthly_price INTEGER NOT NULL,
    first_charge  INTEGER NOT NULL,
    details       TEXT    NOT NULL DEFAULT '',
    expires_at    DATETIME NOT NULL,
    used          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DATETIME NOT NULL
);

CREATE TABLE billing_notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    read        BOOLEAN NOT NULL DEFAULT FALSE,
    dismissed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  DATETIME NOT NULL
);
CREATE INDEX billing_notifications_created ON billing_notifications (created_at);

ALTER TABLE billing_settings ADD COLUMN storage_plan TEXT NOT NULL DEFAULT 'free';
ALTER TABLE billing_settings ADD COLUMN auto_delete_months INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE billing_settings DROP COLUMN auto_delete_months;
ALTER TABLE billing_settings DROP COLUMN storage_plan;
DROP TABLE billing_notifications;
DROP TABLE billing_offers;
DROP TABLE billing_subscriptions;
DROP TABLE billing_inventory;

-- +goose Up
-- Numbers to buy, from the carriers' trunks.
CREATE TABLE billing_inventory (
    id               BIGSERIAL PRIMARY KEY,
    e164             TEXT    NOT NULL UNIQUE,
    trunk_id         BIGINT NOT NULL,
    country          TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    region           TEXT    NOT NULL DEFAULT '',
    monthly_price    BIGINT NOT NULL,
    address_required BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX billing_inventory_search ON billing_inventory (country, type, region);

-- What is charged every month: owned numbers and the storage plan.
CREATE TABLE billing_subscriptions (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    monthly_price BIGINT NOT NULL,
    details       TEXT    NOT NULL DEFAULT '',
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    unpaid_since  TIMESTAMPTZ
);
CREATE INDEX billing_subscriptions_active ON billing_subscriptions (kind, ended_at);

-- Quotes for numbers and storage plans: what is bought, for how much.
CREATE TABLE billing_offers (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    monthly_price BIGINT NOT NULL,
    first_charge  BIGINT NOT NULL,
    details       TEXT    NOT NULL DEFAULT '',
    expires_at    TIMESTAMPTZ NOT NULL,
    used          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE billing_notifications (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    read        BOOLEAN NOT NULL DEFAULT FALSE,
    dismissed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL
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

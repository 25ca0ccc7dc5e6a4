-- +goose Up
-- A call's charges are found by their keys' common prefix (call:<ref>:),
-- on the unique key index: one index less to write for every entry.
DROP INDEX billing_entries_ref;

-- +goose Down
CREATE INDEX billing_entries_ref ON billing_entries (ref);

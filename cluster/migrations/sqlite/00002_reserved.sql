-- +goose Up
-- What the running calls of each node hold of the wallet for their next
-- charge, so that the other nodes count it before admitting a call.
ALTER TABLE cluster_nodes ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE cluster_nodes DROP COLUMN reserved;

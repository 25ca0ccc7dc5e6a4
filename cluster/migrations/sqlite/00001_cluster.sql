-- +goose Up
-- The nodes of a cluster, each alive while it beats.
CREATE TABLE cluster_nodes (
    name       TEXT PRIMARY KEY,
    sip_addr   TEXT NOT NULL DEFAULT '',
    started_at DATETIME NOT NULL,
    alive_at   DATETIME NOT NULL
);
-- Settings every node must agree on (the digest nonce key), made once.
CREATE TABLE cluster_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The phone users on a bridged call, by the node that carries it.
CREATE TABLE cluster_busy (
    user_id INTEGER NOT NULL,
    node    TEXT NOT NULL,
    since   DATETIME NOT NULL,
    PRIMARY KEY (user_id, node)
);

-- +goose Down
DROP TABLE cluster_busy;
DROP TABLE cluster_settings;
DROP TABLE cluster_nodes;

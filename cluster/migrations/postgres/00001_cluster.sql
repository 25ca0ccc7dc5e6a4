-- +goose Up
-- The nodes of a cluster, each alive while it beats.
CREATE TABLE cluster_nodes (
    name       VARCHAR(64) PRIMARY KEY,
    sip_addr   VARCHAR(128) NOT NULL DEFAULT '',
    started_at TIMESTAMPTZ NOT NULL,
    alive_at   TIMESTAMPTZ NOT NULL
);
-- Settings every node must agree on (the digest nonce key), made once.
CREATE TABLE cluster_settings (
    name  VARCHAR(64) PRIMARY KEY,
    value TEXT NOT NULL
);
-- The phone users on a bridged call, by the node that carries it.
CREATE TABLE cluster_busy (
    user_id BIGINT NOT NULL,
    node    VARCHAR(64) NOT NULL,
    since   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, node)
);

-- +goose Down
DROP TABLE cluster_busy;
DROP TABLE cluster_settings;
DROP TABLE cluster_nodes;

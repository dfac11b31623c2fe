-- Dead letters: every message that was not a valid event, with its Kafka
-- coordinates, the raw bytes and the reason. Keyed by coordinates so that
-- a redelivery after a crash is one row (read with FINAL).
CREATE TABLE IF NOT EXISTS dead_letters (
    received_at DateTime('Asia/Shanghai'),
    topic String,
    `partition` Int32,
    `offset` Int64,
    raw String,
    reason String,
    reason_code String,
    field String
) ENGINE = ReplacingMergeTree()
ORDER BY (topic, `partition`, `offset`);

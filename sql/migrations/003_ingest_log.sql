-- One row per batch flushed by ingest: throughput, lag and dead letters
-- over time, for the pipeline health dashboard.
CREATE TABLE IF NOT EXISTS ingest_log (
    flushed_at DateTime('Asia/Shanghai'),
    topic String,
    consumer_group String,
    messages UInt32,
    events UInt32,
    dead_letters UInt32,
    duration_ms UInt32,
    lag Int64
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(flushed_at)
ORDER BY flushed_at;

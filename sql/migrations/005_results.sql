-- Indicators per county and month (SPEC §4, §7). ReplacingMergeTree keeps
-- the newest computation; read with FINAL.
CREATE TABLE IF NOT EXISTS indicators (
    province_code String,
    county_code String,
    month Date,
    indicator String,
    value Nullable(Float64),
    ytd Nullable(Float64),
    computed_at DateTime('Asia/Shanghai'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(month)
ORDER BY (county_code, month, indicator);

-- Rule results (SPEC §5, §7), one row per rule and scope. A result that a
-- recomputation no longer finds is replaced by a row with active = 0; read
-- with FINAL and active = 1.
CREATE TABLE IF NOT EXISTS rule_results (
    rule_id String,
    severity Enum8('violation' = 1, 'warning' = 2),
    province_code String,
    county_code String,
    year UInt16,
    month Date,
    issuer_code String,
    issuer_name String,
    scope String,
    value Float64,
    `limit` Float64,
    event_ids Array(String),
    citation String,
    active UInt8,
    computed_at DateTime('Asia/Shanghai'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY year
ORDER BY (county_code, rule_id, scope);

-- Work for the transformer: what has been computed up to which ingest
-- sequence, and county-years to recompute after a reference data reload.
CREATE TABLE IF NOT EXISTS transform_state (
    name String,
    watermark UInt64,
    updated_at DateTime('Asia/Shanghai')
) ENGINE = ReplacingMergeTree(watermark)
ORDER BY name;

CREATE TABLE IF NOT EXISTS recompute_requests (
    province_code String,
    year UInt16,
    reason String,
    requested_at DateTime('Asia/Shanghai'),
    seq UInt64
) ENGINE = MergeTree()
ORDER BY (seq, province_code, year);

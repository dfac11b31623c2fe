-- The live half (SPEC §3 inspection_codes.csv, §7 alerts and scans, §8).

-- The code registry (赋码, 一事一码): one row per approved inspection code,
-- versioned like the other reference data (see 004). counties empty = any.
CREATE TABLE IF NOT EXISTS ref_inspection_codes (
    scope String,
    load_version UInt64,
    province_code String,
    year UInt16,
    inspection_code String,
    plan_code String,
    issuer_code String,
    title String,
    valid_from Date,
    valid_to Date,
    counties Array(String)
) ENGINE = MergeTree()
ORDER BY (scope, load_version, inspection_code);

-- Early warnings (预警, SPEC §8.5): one row per threshold crossing, keyed by
-- alert_id (derived from county, year, scope and level); read with FINAL.
CREATE TABLE IF NOT EXISTS alerts (
    alert_id String,
    level Enum8('notice' = 1, 'breach' = 2),
    province_code String,
    county_code String,
    year UInt16,
    scope String,
    value Float64,
    `limit` Float64,
    projected Float64,
    month Date,
    first_seen DateTime('Asia/Shanghai'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY year
ORDER BY (county_code, alert_id);

-- Delivery of each alert on each channel (kafka, webhook), so an alert is
-- delivered once whatever the restarts.
CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_id String,
    channel String,
    attempts UInt32,
    delivered_at DateTime('Asia/Shanghai'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (alert_id, channel);

-- Scan registrations (扫码登记, SPEC §8.3): a record of the check made on
-- site with the verdict of that moment. accompanying_names is personal data.
CREATE TABLE IF NOT EXISTS scans (
    scan_id String,
    scanned_at DateTime('Asia/Shanghai'),
    inspection_code String,
    unit_code String,
    county_code String,
    province_code String,
    issuer_code String,
    plan_code String,
    verdict Enum8('accept' = 1, 'may_refuse' = 2),
    reasons Array(String),
    accompanying UInt32,
    accompanying_names Array(String),
    accompanying_roles Array(String),
    recorded_at DateTime('Asia/Shanghai')
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(scanned_at)
ORDER BY (county_code, scanned_at, scan_id);

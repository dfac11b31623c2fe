-- Reference data (SPEC §3). Each load writes its rows with a new
-- load_version, then one row into ref_loads; readers take, per dataset and
-- scope (a year or a province), the rows of the newest load only, so a
-- reload replaces a scope atomically.
CREATE TABLE IF NOT EXISTS ref_loads (
    dataset String,
    scope String,
    load_version UInt64,
    rows UInt32,
    source String,
    loaded_at DateTime('Asia/Shanghai')
) ENGINE = MergeTree()
ORDER BY (dataset, scope, load_version);

CREATE TABLE IF NOT EXISTS ref_observation_points (
    scope String,
    load_version UInt64,
    province_code String,
    county_code String,
    county_name String,
    designated_from Date
) ENGINE = MergeTree()
ORDER BY (scope, load_version, county_code);

CREATE TABLE IF NOT EXISTS ref_quotas (
    scope String,
    load_version UInt64,
    year UInt16,
    county_code String,
    documents Nullable(Int64),
    meetings Nullable(Int64),
    inspections Nullable(Int64)
) ENGINE = MergeTree()
ORDER BY (scope, load_version, county_code);

CREATE TABLE IF NOT EXISTS ref_baselines (
    scope String,
    load_version UInt64,
    year UInt16,
    county_code String,
    documents Nullable(Int64),
    meetings Nullable(Int64),
    inspections Nullable(Int64)
) ENGINE = MergeTree()
ORDER BY (scope, load_version, county_code);

CREATE TABLE IF NOT EXISTS ref_inspection_plan (
    scope String,
    load_version UInt64,
    year UInt16,
    issuer_code String,
    plan_code String,
    title String,
    category String,
    max_visits_per_unit UInt32
) ENGINE = MergeTree()
ORDER BY (scope, load_version, issuer_code, plan_code);

CREATE TABLE IF NOT EXISTS ref_veto_list (
    scope String,
    load_version UInt64,
    province_code String,
    item String,
    basis String
) ENGINE = MergeTree()
ORDER BY (scope, load_version, item);

CREATE TABLE IF NOT EXISTS ref_exemptions (
    scope String,
    load_version UInt64,
    year UInt16,
    county_code String,
    reason String
) ENGINE = MergeTree()
ORDER BY (scope, load_version, county_code);

CREATE TABLE IF NOT EXISTS ref_calendar (
    scope String,
    load_version UInt64,
    province_code String,
    rule String,
    value String
) ENGINE = MergeTree()
ORDER BY (scope, load_version, rule, value);

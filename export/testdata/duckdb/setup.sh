#!/usr/bin/env bash
# Installs the DuckDB reader used by export/duckdb_test.go into
# export/testdata/duckdb/node_modules. Idempotent: does nothing when the
# pinned version is already installed. Needs node and npm (and the npm
# registry the first time).
set -euo pipefail
cd "$(dirname "$0")"
want=$(node -p 'require("./package.json").dependencies["@duckdb/node-api"]')
have=$(node -p 'try { require("./node_modules/@duckdb/node-api/package.json").version } catch { "" }' 2>/dev/null || true)
if [[ $have == "$want" ]]; then
	exit 0
fi
npm install --no-audit --no-fund --no-package-lock --loglevel=error
node --input-type=module -e 'import { DuckDBInstance } from "@duckdb/node-api"; await DuckDBInstance.create(":memory:");' \
	|| { echo "duckdb: installed @duckdb/node-api@$want but it does not load" >&2; exit 1; }
echo "duckdb: @duckdb/node-api@$want installed in $(pwd)/node_modules"

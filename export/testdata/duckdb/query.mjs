// Runs DuckDB queries for export/duckdb_test.go: reads a JSON array of
// [name, SQL] pairs on stdin, runs them in order on one connection, and
// prints {"name": [row objects], ...} as JSON on stdout. Numbers wider than
// a double come back as strings.
import { DuckDBInstance } from '@duckdb/node-api';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const queries = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const out = {};
for (const [name, sql] of queries) {
  const reader = await conn.runAndReadAll(sql);
  out[name] = reader.getRowObjectsJson();
}
process.stdout.write(JSON.stringify(out) + '\n');

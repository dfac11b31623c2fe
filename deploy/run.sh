#!/usr/bin/env bash
# BurdenWatch: the main job end to end on a simulated province, against the
# local services that `make services` started. Every step is a burdenwatch
# subcommand, exactly as an office would run it.
#
# Environment: BURDENWATCH_PROVINCE (default 43), BURDENWATCH_YEAR (2025),
# BURDENWATCH_SEED (1), BURDENWATCH_OUT (out; this script's, the commands
# get explicit directories), BURDENWATCH_BIN (bin/burdenwatch), and every
# BURDENWATCH_* variable of the commands (docs/cli.md). deploy/env.sh, when
# present, supplies the local ClickHouse password file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -f deploy/env.sh ]]; then
	# shellcheck source=/dev/null
	. deploy/env.sh
fi
BW=${BURDENWATCH_BIN:-bin/burdenwatch}
export BURDENWATCH_PROVINCE=${BURDENWATCH_PROVINCE:-43}
export BURDENWATCH_YEAR=${BURDENWATCH_YEAR:-2025}
OUT=${BURDENWATCH_OUT:-out}
# The database of the DSN (default burdenwatch), for the one query below:
# after the last @ (the password may hold /), before any ?.
DB=${BURDENWATCH_CLICKHOUSE:-clickhouse://127.0.0.1:19000/burdenwatch}
DB=${DB#clickhouse://}
DB=${DB##*@}
DB=${DB%%\?*}
[[ $DB == */* ]] && DB=${DB#*/} || DB=
DB=${DB%/}
DB=${DB:-default}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/8 迁移数据库结构 (migrate)"
$BW migrate
step "2/8 导入参考数据 (refdata load refdata/default)"
$BW refdata load refdata/default
step "3/8 模拟一个省份一年的负担事件并发布到 Kafka (simulate)"
$BW simulate
step "4/8 接入事件直到追平 (ingest --until-idle)"
$BW ingest --until-idle
step "5/8 计算指标和规则检查结果 (transform)"
$BW transform
step "6/8 生成 Grafana 仪表盘 (dashboards write)"
$BW dashboards write "$OUT/grafana"
month=$(deploy/clickhouse.sh client -d "$DB" -q \
	"SELECT formatDateTime(max(month), '%Y-%m') FROM indicators FINAL WHERE province_code = '$BURDENWATCH_PROVINCE'")
step "7/8 生成月度通报 $month (report)"
$BW report --month "$month" --out "$OUT/reports"
step "8/8 导出研究用 Parquet 数据集 (export)"
$BW export --out "$OUT/parquet"

step "完成。输出位置"
echo "  Grafana 配置:   $OUT/grafana"
echo "  月度通报:       $OUT/reports"
echo "  Parquet 数据集: $OUT/parquet"
echo "  ClickHouse:     deploy/clickhouse.sh client -d $DB"

# 扫码核验 (SPEC §8): a sample QR code and one verify answer accepted and one
# refused, for real simulated codes picked from the loaded registry and events.
step "扫码核验示例 (codes sample / codes qr / codes verify)"
if samples=$($BW codes sample); then
	mkdir -p "$OUT/qr"
	while IFS=$'\t' read -r verdict code unit at; do
		$BW codes qr "$code" --out "$OUT/qr/$code.png"
		echo "-- $BW codes verify $code --unit $unit --at $at"
		$BW codes verify "$code" --unit "$unit" --at "$at"
	done <<<"$samples"
	echo "  完整服务（页面、接口、/metrics）: make serve"
else
	echo "  没有可用的赋码清单或督查事件，跳过扫码核验示例"
fi

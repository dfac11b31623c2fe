package dashboards

// provinceOverview is 省级总览: all observation points of a province.
func provinceOverview(a *assembly) {
	a.variable("province", "省份", provinceVariableSQL(), false)
	a.stat(spec{title: "本期概况", description: "所选时间范围内各观测点合计（月度指标之和）", sql: provinceTotalsSQL(a.o.Plugin), w: 24, h: 4, unit: "short"})
	a.table(spec{title: "观测点负担指数排名",
		description: "按时间范围内最近一个月的负担指数排序；配额使用率为年累计数 ÷ 年度配额；违规数为时间范围内合计。点击观测点查看详情。",
		sql:         rankingSQL(a.o.Plugin), w: 24, h: 10},
		countyLink("观测点", "县级代码"))
	a.timeseries(spec{title: "负担指数月度趋势", sql: provinceTrendSQL(a.o.Plugin, "burden_index"), w: 12, h: 9, unit: "none"})
	a.timeseries(spec{title: "违规数月度趋势", sql: provinceTrendSQL(a.o.Plugin, "violations"), w: 12, h: 9, unit: "short"})
	a.timeseries(spec{title: "发文配额使用率（年累计）", sql: provinceTrendSQL(a.o.Plugin, "documents_quota_used"), w: 12, h: 9, unit: "percentunit"})
	a.timeseries(spec{title: "会议配额使用率（年累计）", sql: provinceTrendSQL(a.o.Plugin, "meetings_quota_used"), w: 12, h: 9, unit: "percentunit"})
	a.timeseries(spec{title: "收文数月度趋势", sql: provinceTrendSQL(a.o.Plugin, "documents"), w: 8, h: 8, unit: "short"})
	a.timeseries(spec{title: "会议数月度趋势", sql: provinceTrendSQL(a.o.Plugin, "meetings"), w: 8, h: 8, unit: "short"})
	a.timeseries(spec{title: "督查检查考核数月度趋势", sql: provinceTrendSQL(a.o.Plugin, "inspections"), w: 8, h: 8, unit: "short"})
	a.table(spec{title: "预警与超限",
		description: "时间范围所涉年度的预警（接近配额、基数或频次上限）与超限（已超过）。事项为配额、基数或频次上限的范围；预计全年按目前进度推算；越线月份为首次越线的月份。",
		sql:         alertsSQL(a.o.Plugin), w: 24, h: 10})
	a.row("扫码验证")
	a.timeseries(spec{title: "每日扫码次数", description: "被检查单位扫描督查编码的次数，按扫码时的核验结果分为可以接受与可不予配合",
		sql: scansPerDaySQL(a.o.Plugin), w: 12, h: 9, unit: "short"})
	a.barchart(spec{title: "可不予配合的原因", description: "核验结果为可不予配合的扫码，按未通过的核验项计数（一次扫码可有多项）",
		sql: refusalReasonsSQL(a.o.Plugin), w: 12, h: 9}, "原因")
}

// countyDetail is 观测点详情: every indicator of one county over months,
// and its rule results.
func countyDetail(a *assembly) {
	a.variable("province", "省份", provinceVariableSQL(), false)
	a.variable("county", "观测点", countyVariableSQL(), false)
	a.table(spec{title: "规则检查结果", description: "该观测点在时间范围内的有效规则检查结果，含依据条款和证据事件编号",
		sql: countyRulesSQL(a.o.Plugin), w: 24, h: 9})
	for _, g := range indicatorGroups() {
		a.row(g.title)
		for _, ind := range g.indicators {
			a.timeseries(spec{title: ind.title, description: "指标 " + ind.id + "：当月值与年累计值",
				sql: countyIndicatorSQL(a.o.Plugin, ind.id), w: 8, h: 7, unit: ind.unit})
		}
	}
}

// ruleResults is 规则检查结果: results by rule, issuer and month with
// citations and evidence.
func ruleResults(a *assembly) {
	a.variable("province", "省份", provinceVariableSQL(), false)
	a.variable("rule", "规则", ruleVariableSQL(), true)
	a.variable("issuer", "责任单位", issuerVariableSQL(), true)
	p := a.o.Plugin
	a.barchart(spec{title: "各规则结果数", sql: ruleCountsSQL(p), w: 12, h: 10}, "规则")
	a.barchart(spec{title: "各责任单位结果数", sql: issuerCountsSQL(p), w: 12, h: 10}, "责任单位")
	a.timeseries(spec{title: "每月规则结果数", sql: ruleMonthlySQL(p), w: 24, h: 8, unit: "short"})
	a.table(spec{title: "规则检查明细", description: "每条有效结果的依据（文件与条款）和证据事件编号",
		sql: ruleDetailsSQL(p), w: 24, h: 14})
}

// pipelineHealth is 数据接入健康: lag, throughput and dead letters.
func pipelineHealth(a *assembly) {
	a.db = a.db.Time("now-6h", "now").Refresh("1m")
	p := a.o.Plugin
	const ingestTime = "时间轴为接入时间（写入 ClickHouse 的时间），不是事件发生时间：查看过去的时间范围时，只有当时正在接入才有数据。"
	a.stat(spec{title: "接入概况", description: "积压为各主题/消费组最近一批的消费延迟之和。" + ingestTime, sql: ingestStatsSQL(p), w: 24, h: 4, unit: "short"},
		unitOverride("最近写入", "dateTimeAsIso"))
	a.timeseries(spec{title: "消费积压（每分钟最大值）", description: ingestTime, sql: ingestLagSQL(p), w: 12, h: 9, unit: "short"})
	a.timeseries(spec{title: "吞吐量（每分钟平均，条/秒）", description: ingestTime, sql: throughputSQL(p), w: 12, h: 9, unit: "short"})
	a.piechart(spec{title: "死信原因分布", description: "时间轴为死信的接收时间。", sql: deadLetterReasonsSQL(p), w: 8, h: 10})
	a.table(spec{title: "最近死信", description: "最近 100 条无效消息及原因；时间为接收时间。", sql: recentDeadLettersSQL(p), w: 16, h: 10})
}

package export

// column documents one exported column and says where it comes from.
type column struct {
	name string // Parquet column name, and the ClickHouse result name
	// computed says the value is computed in Go, not read.
	computed bool
	zh, en   string // meaning
	unit     string
	redact   bool // left out by --redact (names and free text)
}

// tableDoc describes one exported table for the data dictionary.
type tableDoc struct {
	name    string
	zh, en  string
	columns []column
}

// Units, in both languages.
const (
	unitCount   = "件 / count"
	unitPersons = "人 / persons"
	unitMinutes = "分钟 / minutes"
	unitPages   = "页 / pages"
	unitItems   = "项 / items"
	unitTime    = "UTC 毫秒时间戳 / UTC timestamp (ms)"
	unitMonth   = "YYYY-MM（北京时间 / Asia/Shanghai）"
)

// eventsDoc is the events table: one row per event_id at its latest
// revision. Payload columns are null for events of other kinds.
var eventsDoc = tableDoc{
	name: "events",
	zh:   "负担事件：每个 event_id 一行（取最高 revision）；不属于该事件类型的字段为空值",
	en:   "Burden events: one row per event_id at its highest revision; payload columns of other kinds are null",
	columns: []column{
		{name: "event_id", zh: "事件唯一标识", en: "unique event id"},
		{name: "revision", zh: "更正版本号（取最高）", en: "correction counter (highest kept)"},
		{name: "kind", zh: "事件类型：inspection 督查检查考核 / meeting 会议 / document 发文 / data_report 填表", en: "event kind: inspection, meeting, document, data_report"},
		{name: "occurred_at", zh: "负担发生时间（督查开始、会议开始、收文、下发报表）", en: "when the burden landed (inspection start, meeting start, document received, form issued)", unit: unitTime},
		{name: "month", computed: true, zh: "所属月份（北京时间），与分区目录 month= 相同", en: "calendar month in Asia/Shanghai, same as the month= partition", unit: unitMonth},
		{name: "province_code", zh: "省级行政区划代码（2位）", en: "province code (2 digits)"},
		{name: "county_code", zh: "承担负担的观测点县级代码（GB/T 2260，6位）", en: "observation county bearing the burden (GB/T 2260, 6 digits)"},
		{name: "unit_code", zh: "县以下承担单位（乡镇/村）统计区划代码；落在县本级时为空值", en: "township/village statistical code below the county; null when the county itself bears it"},
		{name: "bearing_unit", zh: "承担单位：有 unit_code 时为其值，否则为 county_code", en: "bearing unit: unit_code when present, else county_code"},
		{name: "target_level", zh: "承担单位层级：county 县 / township 乡镇 / village 村", en: "level of the bearing unit: county, township, village"},
		{name: "issuer_code", zh: "发起机关代码", en: "code of the issuing body"},
		{name: "issuer_name", zh: "发起机关名称", en: "name of the issuing body", redact: true},
		{name: "issuer_level", zh: "发起机关层级：central 中央 / province 省 / city 市 / county 县 / township 乡镇", en: "level of the issuing body"},
		{name: "issuer_kind", zh: "发起机关类别：party 党委 / government 政府 / department 部门 / coordination_body 议事协调机构", en: "kind of the issuing body"},
		{name: "source", zh: "上游系统名称；未提供时为空值", en: "upstream system; null when not given", redact: true},

		{name: "category", zh: "督查类别：comprehensive 综合性 / special 专项 / appraisal 观摩评比 / research 调研 / routine 日常", en: "inspection category"},
		{name: "plan_code", zh: "年度计划清单编号；空字符串表示无计划", en: "item of the approved annual plan; empty string = not planned"},
		{name: "inspection_code", zh: "一事一码编号；空字符串表示无码", en: "one-matter-one-code (一事一码) code; empty string = none"},
		{name: "approved", zh: "是否经过立项报批", en: "went through approval (立项/报批)"},
		{name: "mode", zh: "方式：covert 暗访 / overt 明查 / written 书面 / online 网络", en: "mode: covert, overt, written, online"},
		{name: "on_site", zh: "是否实地", en: "on site"},
		{name: "end_at", zh: "督查结束时间；未提供时为空值", en: "end of the visit; null when not given", unit: unitTime},
		{name: "team_size", zh: "督查组人数", en: "team size", unit: unitPersons},
		{name: "accompanying", zh: "陪同的本地工作人员人数", en: "local staff who accompanied", unit: unitPersons},
		{name: "principal_accompanied", zh: "主要负责同志是否陪同", en: "principal leader accompanied"},
		{name: "materials_requested", zh: "要求提供的台账资料份数", en: "separate materials/ledgers demanded", unit: unitItems},
		{name: "comprehensive_material", zh: "是否要求综合性材料", en: "a comprehensive report (综合性材料) was demanded"},
		{name: "sampled_units", zh: "实际抽查对象数", en: "objects visited", unit: unitCount},
		{name: "total_units", zh: "范围内对象总数", en: "objects in scope", unit: unitCount},
		{name: "deployment_doc_id", zh: "部署该项工作的发文 event_id；空字符串表示无", en: "event_id of the document that deployed the work; empty string = none"},
		{name: "topic", zh: "督查主题", en: "inspection subject", redact: true},
		{name: "accountability_demanded", zh: "督查组是否直接要求基层问责", en: "the team demanded accountability from the local level directly"},

		{name: "title", zh: "会议或报表标题", en: "title of the meeting or form", redact: true},
		{name: "duration_minutes", zh: "会议时长", en: "meeting duration", unit: unitMinutes},
		{name: "attendees", zh: "承担单位参会人数", en: "attendees from the bearing unit", unit: unitPersons},
		{name: "format", zh: "会议形式：in_person 现场 / video 视频", en: "meeting format: in_person, video"},
		{name: "scale", zh: "会议规模：large 大型 / medium 中型 / small 小型", en: "meeting scale: large, medium, small"},
		{name: "cascade_required", zh: "是否要求层层开会", en: "requires lower levels to hold a matching meeting"},

		{name: "doc_number", zh: "文号", en: "document number (文号)", redact: true},
		{name: "doc_type", zh: "文件类型：policy 政策 / normative 规范性 / notice 通知 / briefing 简报 / plan 方案 / decision 决定", en: "document type"},
		{name: "pages", zh: "正文页数", en: "body pages", unit: unitPages},
		{name: "requires_supporting_docs", zh: "是否要求层层配套发文", en: "demands supporting documents (层层配套)"},
		{name: "requires_upward_report", zh: "是否要求书面报告", en: "demands a written report back"},
		{name: "veto_items", zh: "文件设定的一票否决事项（文字列表）", en: "one-vote veto (一票否决) items set by the document (text list)", redact: true},
		{name: "veto_item_count", zh: "一票否决事项数", en: "number of veto items", unit: unitItems},
		{name: "pledges", zh: "要求签订的责任状数", en: "pledges (责任状) to sign", unit: unitItems},

		{name: "form_id", zh: "报表标识", en: "form id"},
		{name: "fields", zh: "每次填报的数据项数", en: "data items per filling", unit: unitItems},
		{name: "duplicate_fields", zh: "已报送过或共享库已有的重复数据项数", en: "items already submitted or held in a shared database", unit: unitItems},
		{name: "estimated_minutes", zh: "每次填报估计耗时", en: "estimated staff time per filling", unit: unitMinutes},
		{name: "frequency", zh: "填报频次：once / daily / weekly / monthly / quarterly / adhoc", en: "filling frequency"},
		{name: "via_platform", zh: "是否通过共享平台填报", en: "filled on a shared platform"},
		{name: "approved_survey", zh: "是否为经审批的统计调查项目", en: "an approved statistical survey item"},
	},
}

// indicatorsDoc is the indicators table (SPEC §4).
var indicatorsDoc = tableDoc{
	name: "indicators",
	zh:   "观测点县 × 月份的负担指标（指标定义见 SPEC §4）",
	en:   "Burden indicators per observation county and month (definitions in SPEC §4)",
	columns: []column{
		{name: "province_code", zh: "省级行政区划代码", en: "province code"},
		{name: "county_code", zh: "观测点县级代码", en: "observation county code"},
		{name: "month", computed: true, zh: "月份（北京时间）", en: "calendar month in Asia/Shanghai", unit: unitMonth},
		{name: "indicator", zh: "指标标识，如 documents、meeting_hours、burden_index", en: "indicator id, e.g. documents, meeting_hours, burden_index"},
		{name: "value", zh: "当月值；无定义时（如分母为零、无配额）为空值", en: "value for the month; null where undefined (zero denominator, no quota)", unit: "随指标 / per indicator"},
		{name: "ytd", zh: "年初至当月累计值；无意义时为空值", en: "year-to-date value; null where not meaningful", unit: "随指标 / per indicator"},
		{name: "computed_at", zh: "计算时间", en: "when it was computed", unit: unitTime},
	},
}

// ruleResultsDoc is the rule_results table (SPEC §5), active results only.
var ruleResultsDoc = tableDoc{
	name: "rule_results",
	zh:   "规则检查结果（仅当前有效的结果）：每条规则 × 范围一行",
	en:   "Rule check results (active ones only): one row per rule and scope",
	columns: []column{
		{name: "rule_id", zh: "规则标识，如 inspection.unplanned", en: "rule id, e.g. inspection.unplanned"},
		{name: "severity", zh: "严重程度：violation 违规 / warning 提醒", en: "severity: violation, warning"},
		{name: "province_code", zh: "省级行政区划代码", en: "province code"},
		{name: "county_code", zh: "观测点县级代码", en: "observation county code"},
		{name: "year", zh: "年度", en: "year"},
		{name: "month", computed: true, zh: "结果所属月份（首次超限的月份）", en: "month of the result (when the limit was first crossed)", unit: unitMonth},
		{name: "issuer_code", zh: "发起机关代码；范围不属于单一机关时为空值", en: "issuing body; null when the scope has no single issuer"},
		{name: "issuer_name", zh: "发起机关名称", en: "name of the issuing body", redact: true},
		{name: "scope", zh: "范围键，如 issuer=X;county=Y;year=2025", en: "scope key, e.g. issuer=X;county=Y;year=2025"},
		{name: "value", zh: "实测值", en: "measured value", unit: "随规则 / per rule"},
		{name: "limit", zh: "限值", en: "limit", unit: "随规则 / per rule"},
		{name: "event_ids", zh: "作为证据的事件 event_id 列表", en: "event_ids of the evidence"},
		{name: "event_count", zh: "证据事件数", en: "number of evidence events", unit: unitCount},
		{name: "citation", zh: "依据（文件与条款）", en: "citation (regulation and clause)"},
		{name: "computed_at", zh: "计算时间", en: "when it was computed", unit: unitTime},
	},
}

// alertsDoc is the alerts table (SPEC §8.5): one row per threshold
// crossing.
var alertsDoc = tableDoc{
	name: "alerts",
	zh:   "预警：每个县 × 年度 × 范围 × 级别的首次越线一行",
	en:   "Early warnings: one row per first threshold crossing of a county, year, scope and level",
	columns: []column{
		{name: "alert_id", zh: "预警标识（县/年度/范围/级别）", en: "alert id (county/year/scope/level)"},
		{name: "level", zh: "级别：notice 接近限值 / breach 超过限值", en: "level: notice (near the limit), breach (over it)"},
		{name: "province_code", zh: "省级行政区划代码", en: "province code"},
		{name: "county_code", zh: "观测点县级代码", en: "observation county code"},
		{name: "year", zh: "年度", en: "year"},
		{name: "month", computed: true, zh: "首次越线的月份（北京时间）", en: "month the threshold was first crossed (Asia/Shanghai)", unit: unitMonth},
		{name: "scope", zh: "范围，如 documents.quota、visit_cap:<机关>:<计划>:<单位>", en: "scope, e.g. documents.quota, visit_cap:<issuer>:<plan>:<unit>"},
		{name: "value", zh: "越线当月的值", en: "value in the month of the crossing", unit: "随范围 / per scope"},
		{name: "limit", zh: "越线当月的限值", en: "limit in the month of the crossing", unit: "随范围 / per scope"},
		{name: "projected", zh: "按当前进度推算的全年值", en: "year-end value at the current pace", unit: "随范围 / per scope"},
		{name: "first_seen", zh: "首次发现时间", en: "when the crossing was first seen", unit: unitTime},
	},
}

// scansDoc is the scans table (SPEC §8.3): one row per scan registration.
var scansDoc = tableDoc{
	name: "scans",
	zh:   "扫码登记：每次现场扫码验证一行，含当时的核验结论",
	en:   "Scan registrations: one row per on-site code check, with the verdict of that moment",
	columns: []column{
		{name: "scan_id", zh: "登记标识", en: "scan id"},
		{name: "scanned_at", zh: "扫码时间", en: "when the code was scanned", unit: unitTime},
		{name: "month", computed: true, zh: "扫码月份（北京时间）", en: "calendar month of the scan in Asia/Shanghai", unit: unitMonth},
		{name: "inspection_code", zh: "所扫督查码", en: "inspection code scanned"},
		{name: "unit_code", zh: "被督查单位代码（乡镇、村）；县级时为空值", en: "unit inspected (township, village); null at county level"},
		{name: "county_code", zh: "观测点县级代码", en: "observation county code"},
		{name: "province_code", zh: "省级行政区划代码", en: "province code"},
		{name: "issuer_code", zh: "督查码登记的发起机关代码", en: "issuing body of the code's entry"},
		{name: "plan_code", zh: "督查码登记的计划编号", en: "plan code of the code's entry"},
		{name: "verdict", zh: "核验结论：accept 予以配合 / may_refuse 可不予配合", en: "verdict: accept, may_refuse"},
		{name: "reasons", zh: "可不予配合的理由代码", en: "reason codes of a may_refuse verdict"},
		{name: "accompanying", zh: "登记的陪同人数", en: "number of accompanying people registered", unit: unitPersons},
		{name: "accompanying_names", zh: "陪同人员姓名（个人信息）", en: "names of the accompanying people (personal data)", redact: true},
		{name: "accompanying_roles", zh: "陪同人员职务", en: "roles of the accompanying people", redact: true},
		{name: "recorded_at", zh: "登记写入时间", en: "when the registration was recorded", unit: unitTime},
	},
}

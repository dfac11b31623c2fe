package dashboards

// indicator is one indicator of SPEC §4 as the county drill-down shows it.
type indicator struct {
	id    string
	title string // Chinese panel title
	unit  string // Grafana unit id
}

// indicatorGroup is a row of the county drill-down.
type indicatorGroup struct {
	title      string
	indicators []indicator
}

// indicatorGroups lists every indicator of SPEC §4, and the over-baseline
// pace ratios, grouped as the drill-down shows them.
func indicatorGroups() []indicatorGroup {
	return []indicatorGroup{
		{"综合", []indicator{
			{"burden_index", "负担指数（0–100）", "none"},
			{"violations", "违规数", "short"},
		}},
		{"发文", []indicator{
			{"documents", "收文数", "short"},
			{"documents_quota_used", "发文配额使用率（年累计）", "percentunit"},
			{"documents_over_baseline", "发文基数进度比", "none"},
			{"documents_long", "超过10页的政策性文件", "short"},
			{"documents_upward_report", "要求书面报告的文件", "short"},
			{"documents_cascade", "要求层层配套的文件", "short"},
		}},
		{"会议", []indicator{
			{"meetings", "参加会议数", "short"},
			{"meetings_quota_used", "会议配额使用率（年累计）", "percentunit"},
			{"meetings_over_baseline", "会议基数进度比", "none"},
			{"meeting_hours", "会议人时", "short"},
			{"meetings_video_share", "视频会议占比", "percentunit"},
			{"meetings_on_no_meeting_day", "无会日开会数", "short"},
		}},
		{"督查检查考核", []indicator{
			{"inspections", "督查检查考核数", "short"},
			{"inspections_over_baseline", "督查检查考核基数进度比", "none"},
			{"inspections_onsite", "实地督查检查数", "short"},
			{"inspections_grassroots", "到乡村两级的督查检查数", "short"},
			{"inspections_covert_share", "暗访占实地督查比例", "percentunit"},
			{"inspections_unplanned", "计划外督查检查数", "short"},
			{"inspections_uncoded", "未亮码督查检查数", "short"},
			{"accompanying_staff", "陪同人数", "short"},
			{"materials_requested", "索要台账资料数", "short"},
		}},
		{"一票否决与责任状", []indicator{
			{"veto_items_new", "新设一票否决事项", "short"},
			{"veto_items_unlisted", "清单外一票否决事项", "short"},
			{"pledges", "签订责任状数", "short"},
		}},
		{"填表报数", []indicator{
			{"forms", "报表数", "short"},
			{"form_fields", "填报数据项", "short"},
			{"form_hours", "填表工时（小时）", "short"},
			{"form_duplicate_share", "重复填报数据项占比", "percentunit"},
			{"forms_off_platform", "未经共享平台的报表", "short"},
		}},
	}
}

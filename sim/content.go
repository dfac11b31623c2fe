package sim

import "strings"

// domain is the line of work of an issuer (应急, 生态环境 …); it chooses the
// topics, forms and document-number abbreviations of its events.
type domain int

const (
	domGeneral domain = iota // 党委/政府办公厅(室)
	domOrg
	domSafety
	domFlood
	domEco
	domEdu
	domAgri
	domHealth
	domLand
	domHousing
	domWater
	domCivil
	domFinance
	domLabor
	domMarket
	domStats
	domCiv
	domData
	numDomains
)

// domainKeywords maps words of an issuer's name to its domain; the first
// match wins, so the specific words come first.
var domainKeywords = []struct {
	word string
	dom  domain
}{
	{"防汛", domFlood}, {"安全生产", domSafety}, {"应急", domSafety},
	{"生态环境", domEco}, {"环境保护", domEco}, {"教育", domEdu},
	{"农业农村", domAgri}, {"农村工作", domAgri}, {"乡村振兴", domAgri},
	{"卫生健康", domHealth}, {"自然资源", domLand}, {"住房", domHousing},
	{"城乡建设", domHousing}, {"水利", domWater}, {"民政", domCivil},
	{"财政", domFinance}, {"人力资源", domLabor}, {"市场监督", domMarket},
	{"统计", domStats}, {"组织部", domOrg}, {"精神文明", domCiv},
	{"文明办", domCiv}, {"大数据", domData}, {"数据", domData},
}

// domainOf derives the domain of an issuer from its name.
func domainOf(name string) domain {
	for _, k := range domainKeywords {
		if strings.Contains(name, k.word) {
			return k.dom
		}
	}
	return domGeneral
}

// domainText is the realistic text of one domain.
type domainText struct {
	topics     []string // subjects of inspections and meetings
	forms      []string // titles of forms it sends
	frequency  []string // usual frequencies of its forms
	docAbbr    string   // 发文字号 part of a department, e.g. 应急 in 湘应急发
	coordAbbr  string   // 发文字号 of its coordination body, e.g. 安委办
	floodHeavy bool     // inspections concentrate in the flood season
}

var domainTexts = [numDomains]domainText{
	domGeneral: {
		topics:    []string{"重大决策部署贯彻落实", "政府工作报告重点任务落实", "重点项目建设", "优化营商环境", "民生实事项目推进", "乡村振兴重点工作", "信访维稳", "整治形式主义为基层减负"},
		forms:     []string{"重点工作推进情况调度表", "重大项目建设进度统计表", "民生实事项目进展情况表"},
		frequency: []string{"monthly", "quarterly"},
	},
	domOrg: {
		topics:    []string{"基层党组织建设", "党员教育管理", "村(社区)“两委”班子运行", "抓党建促乡村振兴", "整治形式主义为基层减负"},
		forms:     []string{"基层党组织建设情况统计表", "党员发展情况统计表"},
		frequency: []string{"quarterly", "once"},
		docAbbr:   "组",
	},
	domSafety: {
		topics:    []string{"安全生产大检查", "燃气安全专项整治", "消防安全", "道路交通安全", "危险化学品安全", "森林防灭火", "有限空间作业安全"},
		forms:     []string{"安全生产隐患排查整治情况统计表", "燃气安全隐患排查台账", "森林防火巡查情况统计表"},
		frequency: []string{"weekly", "monthly"},
		docAbbr:   "应急", coordAbbr: "安委办",
	},
	domFlood: {
		topics:    []string{"防汛备汛", "汛期值班值守", "山洪地质灾害防御", "水库安全度汛", "抗旱保供水"},
		forms:     []string{"防汛值班值守情况日报表", "汛情灾情统计表"},
		frequency: []string{"daily", "weekly"},
		docAbbr:   "防指", coordAbbr: "防指", floodHeavy: true,
	},
	domEco: {
		topics:    []string{"中央生态环境保护督察反馈问题整改", "大气污染防治", "秸秆禁烧", "农村生活污水治理", "饮用水水源地保护"},
		forms:     []string{"生态环境问题整改进度表", "秸秆禁烧巡查情况统计表"},
		frequency: []string{"monthly", "weekly"},
		docAbbr:   "环", coordAbbr: "督察办",
	},
	domEdu: {
		topics:    []string{"校园安全", "控辍保学", "学生资助", "义务教育优质均衡", "课后服务"},
		forms:     []string{"控辍保学情况统计表", "学生资助发放情况表", "校园安全隐患排查表"},
		frequency: []string{"quarterly", "monthly"},
		docAbbr:   "教",
	},
	domAgri: {
		topics:    []string{"粮食生产", "高标准农田建设", "农村人居环境整治", "防止返贫动态监测", "和美乡村建设"},
		forms:     []string{"农村人居环境整治情况统计表", "粮食播种面积和产量调度表", "防返贫监测对象帮扶情况表"},
		frequency: []string{"monthly", "quarterly"},
		docAbbr:   "农", coordAbbr: "农工办",
	},
	domHealth: {
		topics:    []string{"基层医疗卫生服务能力", "家庭医生签约服务", "疫苗管理", "爱国卫生运动", "医疗废物处置"},
		forms:     []string{"基层医疗卫生机构服务情况统计表", "家庭医生签约服务进度表"},
		frequency: []string{"monthly", "quarterly"},
		docAbbr:   "卫健",
	},
	domLand: {
		topics:    []string{"耕地保护", "违法用地整治", "田长制落实", "地质灾害隐患排查"},
		forms:     []string{"耕地保护田长制巡田情况统计表", "违法用地图斑核查表"},
		frequency: []string{"monthly", "adhoc"},
		docAbbr:   "自然资",
	},
	domHousing: {
		topics:    []string{"经营性自建房安全", "农村危房改造", "城镇燃气管道老化更新改造", "建筑施工安全"},
		forms:     []string{"农村自建房安全排查台账", "危房改造进度统计表"},
		frequency: []string{"adhoc", "monthly"},
		docAbbr:   "建",
	},
	domWater: {
		topics:    []string{"河湖长制", "农村饮水安全", "水库安全度汛", "小型水利工程管护"},
		forms:     []string{"河湖长巡河情况统计表", "农村供水工程运行情况表"},
		frequency: []string{"monthly", "weekly"},
		docAbbr:   "水", floodHeavy: true,
	},
	domCivil: {
		topics:    []string{"城乡低保规范管理", "养老服务", "未成年人保护", "殡葬改革"},
		forms:     []string{"城乡低保动态管理情况表", "特困人员供养情况统计表"},
		frequency: []string{"monthly", "quarterly"},
		docAbbr:   "民",
	},
	domFinance: {
		topics:    []string{"惠民惠农财政补贴资金", "预算执行", "地方债务风险防控"},
		forms:     []string{"惠民惠农补贴资金发放情况表"},
		frequency: []string{"quarterly"},
		docAbbr:   "财",
	},
	domLabor: {
		topics:    []string{"根治欠薪", "稳就业", "社会保险扩面"},
		forms:     []string{"欠薪线索排查化解情况统计表", "农村劳动力转移就业情况表"},
		frequency: []string{"monthly", "quarterly"},
		docAbbr:   "人社",
	},
	domMarket: {
		topics:    []string{"食品安全", "特种设备安全", "校园食品安全", "价格监管"},
		forms:     []string{"食品安全检查情况统计表"},
		frequency: []string{"monthly"},
		docAbbr:   "市监",
	},
	domStats: {
		topics:    []string{"统计数据质量", "统计执法", "经济普查"},
		forms:     []string{"乡镇统计基础数据月报表", "规模以上企业生产经营情况表"},
		frequency: []string{"monthly", "quarterly"},
		docAbbr:   "统",
	},
	domCiv: {
		topics:    []string{"文明创建", "新时代文明实践", "移风易俗"},
		forms:     []string{"新时代文明实践活动开展情况表"},
		frequency: []string{"quarterly"},
		docAbbr:   "文明", coordAbbr: "文明委",
	},
	domData: {
		topics:    []string{"公共数据共享", "基层报表减负", "一网通办"},
		forms:     []string{"公共数据共享需求调查表"},
		frequency: []string{"once"},
		docAbbr:   "数据",
	},
}

// provinceAbbr is the one-character abbreviation of each province used in
// document numbers (湘政办发 …).
var provinceAbbr = map[string]string{
	"11": "京", "12": "津", "13": "冀", "14": "晋", "15": "内", "21": "辽", "22": "吉", "23": "黑",
	"31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁",
	"41": "豫", "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼",
	"50": "渝", "51": "川", "52": "黔", "53": "云", "54": "藏",
	"61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}

// meetingKinds names meetings by scale.
var meetingKinds = map[string][]string{
	"large":  {"工作会议", "电视电话会议", "动员部署大会"},
	"medium": {"工作推进会", "工作部署会", "工作调度会", "现场推进会"},
	"small":  {"专题会", "座谈会", "业务培训会", "工作例会"},
}

// unlistedVetoItems are 一票否决 items that upper levels set although no
// list approves them.
var unlistedVetoItems = []string{"招商引资", "信访稳定", "森林防火", "控辍保学", "秸秆禁烧", "创建文明城市", "征地拆迁"}

// docTypes and their weights and page ranges (policy documents stay within
// the 10 pages of ZJ-5 unless a violation is injected).
var docTypes = []struct {
	name     string
	weight   float64
	pagesMin int
	pagesMax int
}{
	{"notice", 0.52, 1, 4},
	{"policy", 0.12, 3, 10},
	{"plan", 0.12, 4, 22},
	{"briefing", 0.15, 2, 6},
	{"normative", 0.05, 4, 15},
	{"decision", 0.04, 1, 3},
}

// formFrequencyWeight is how many fillings a form of each frequency
// produces relative to the others.
var formFrequencyWeight = map[string]float64{
	"daily": 20, "weekly": 6, "monthly": 2, "quarterly": 0.8, "adhoc": 1, "once": 0.4,
}

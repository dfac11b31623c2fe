package export

// filter restricts what is exported.
type filter struct {
	province string // two-digit province code; empty = all
	redact   bool
}

// table is how one table of the dataset is written to Parquet: S is the
// scanned row (`ch` tags name the columns read), R the exported record.
// clickhouse.DB.ExportMonths and ExportRows read it by doc.name.
type table[S, R any] struct {
	doc  *tableDoc
	fill func(r *R, s *S, month string)
}

func eventsTable() table[eventScan, eventRecord] {
	return table[eventScan, eventRecord]{doc: &eventsDoc, fill: fillEvent}
}

func indicatorsTable() table[indicatorScan, indicatorRecord] {
	return table[indicatorScan, indicatorRecord]{doc: &indicatorsDoc, fill: fillIndicator}
}

func ruleResultsTable() table[ruleResultScan, ruleResultRecord] {
	return table[ruleResultScan, ruleResultRecord]{doc: &ruleResultsDoc, fill: fillRuleResult}
}

func alertsTable() table[alertScan, alertRecord] {
	return table[alertScan, alertRecord]{doc: &alertsDoc, fill: fillAlert}
}

func scansTable() table[scanScan, scanRecord] {
	return table[scanScan, scanRecord]{doc: &scansDoc, fill: fillScan}
}

// selectList names the columns read from ClickHouse under f: all but
// those computed in Go and those redacted.
func selectList(doc *tableDoc, f filter) []string {
	var cols []string
	for _, c := range doc.columns {
		if !c.computed && !(c.redact && f.redact) {
			cols = append(cols, c.name)
		}
	}
	return cols
}

// redacted lists the columns of doc left out under f.
func redacted(doc *tableDoc, f filter) map[string]bool {
	out := map[string]bool{}
	for _, c := range doc.columns {
		if c.redact && f.redact {
			out[c.name] = true
		}
	}
	return out
}

// Package refdata reads and validates the reference data that
// burden-reduction offices maintain (SPEC §3): observation points, quotas,
// baselines, the annual inspection plan, the approved veto list,
// exemptions, calendars and the inspection code registry (赋码), plus
// issuers.csv, the issuing bodies of each province (our addition, used by
// the simulator and to place registry entries in their province).
//
// Every value is checked; errors name the file, the line, the column and
// the value, and all errors of a directory are returned together.
package refdata

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// TimeZone is the calendar time zone of all reference dates.
const TimeZone = burdenwatch.TimeZone

//go:embed default/*.csv
var defaultFiles embed.FS

// Default returns the default reference directory shipped with BurdenWatch
// (refdata/default): four provinces — Hunan 43, Shandong 37, Jilin 22 and
// Zhejiang 33 — with ten observation counties each.
func Default() fs.FS {
	sub, err := fs.Sub(defaultFiles, "default")
	if err != nil {
		panic("refdata: embedded default directory: " + err.Error()) // cannot happen: the path is a constant
	}
	return sub
}

// ParseDir reads and validates the reference CSV files of directory dir.
// See ParseFS.
func ParseDir(dir string) (*burdenwatch.ReferenceData, error) {
	ref, err := ParseFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("reference data in %s: %w", dir, err)
	}
	return ref, nil
}

// ParseFS reads and validates the reference CSV files at the root of
// fsys. observation_points.csv is required; the other files of SPEC §3 are
// optional and mean "none" when missing. Every county of quotas.csv,
// baselines.csv and exemptions.csv must be an observation point. The code
// registry (inspection_codes.csv) takes the provinces of its issuers from
// issuers.csv when that file is present. The error
// joins every problem found (see FieldError).
func ParseFS(fsys fs.FS) (*burdenwatch.ReferenceData, error) {
	loc := burdenwatch.Location()
	var err error
	ref := &burdenwatch.ReferenceData{}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	ref.ObservationPoints, err = ParseObservationPoints(fsys, loc)
	if err != nil && len(ref.ObservationPoints) == 0 {
		return nil, err // nothing to check the other files against
	}
	add(err)
	points := pointSet(ref.ObservationPoints)
	ref.Quotas, err = ParseQuotas(fsys, points)
	add(err)
	ref.Baselines, err = ParseBaselines(fsys, points)
	add(err)
	ref.Plan, err = ParsePlan(fsys)
	add(err)
	ref.VetoList, err = ParseVetoList(fsys)
	add(err)
	ref.Exemptions, err = ParseExemptions(fsys, points)
	add(err)
	ref.Calendar, err = ParseCalendar(fsys)
	add(err)
	ref.InspectionCodes, err = parseRegistry(fsys, loc)
	add(err)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ref, nil
}

// parseRegistry parses inspection_codes.csv, with the issuers' provinces
// of issuers.csv when the registry is present.
func parseRegistry(fsys fs.FS, loc *time.Location) ([]burdenwatch.InspectionCode, error) {
	if _, err := fs.Stat(fsys, FileInspectionCodes); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	provinces, err := issuerProvinces(fsys)
	if err != nil {
		return nil, err
	}
	return ParseInspectionCodes(fsys, loc, provinces)
}

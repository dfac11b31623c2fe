package burdenwatch

import (
	"sync"
	"time"
)

// TimeZone is the name of the calendar time zone of all dates, months and
// weekdays (SPEC §1: China Standard Time, whatever offset an event carries).
const TimeZone = "Asia/Shanghai"

// Location returns the calendar time zone, loaded once. On a host without a
// zoneinfo database (and a binary that does not embed time/tzdata) it falls
// back to a fixed UTC+8 zone of the same name: China has kept UTC+8 without
// daylight saving since 1991.
func Location() *time.Location { return location() }

var location = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		return time.FixedZone(TimeZone, 8*3600)
	}
	return loc
})

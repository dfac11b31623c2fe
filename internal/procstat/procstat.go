// Package procstat reads what the benchmarks report of a process and the
// machine from Linux's /proc: peak resident sets and load averages.
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// PeakRSSKiB is the peak resident set (VmHWM) of process pid ("self" for
// this one), in KiB. The rusage of a child is no use for it: Go starts
// children with vfork, so the child's ru_maxrss includes the parent's
// memory at the time.
func PeakRSSKiB(pid string) (int64, error) {
	path := "/proc/" + pid + "/status"
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: VmHWM %q: %w", path, v, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s: no VmHWM", path)
}

// ResetPeakRSS resets this process's peak resident set to its current one
// (/proc/self/clear_refs, "5"), so that PeakRSSKiB measures what follows.
func ResetPeakRSS() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("reset the peak resident set: %w", err)
	}
	return nil
}

// LoadAverage is the machine's 1-, 5- and 15-minute load averages, as
// /proc/loadavg writes them.
func LoadAverage() ([]string, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil, err
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil, fmt.Errorf("/proc/loadavg: %q", b)
	}
	return f[:3], nil
}

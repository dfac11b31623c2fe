package procstat

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestPeakRSS(t *testing.T) {
	if err := ResetPeakRSS(); err != nil {
		t.Fatal(err)
	}
	before, err := PeakRSSKiB("self")
	if err != nil || before <= 0 {
		t.Fatalf("PeakRSSKiB = %d, %v", before, err)
	}
	b := make([]byte, 64<<20)
	for i := range b { // touch every page
		b[i] = 1
	}
	after, err := PeakRSSKiB("self")
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(b)
	if after-before < 60<<10 {
		t.Errorf("peak grew by %d KiB after touching 64 MiB", after-before)
	}
	b = nil
	debug.FreeOSMemory() // the 64 MiB go back to the system
	if err := ResetPeakRSS(); err != nil {
		t.Fatal(err)
	}
	if reset, err := PeakRSSKiB("self"); err != nil || reset > after-32<<10 {
		t.Errorf("after ResetPeakRSS the peak is %d KiB (%v), was %d with the 64 MiB", reset, err, after)
	}
	if _, err := PeakRSSKiB("0"); err == nil {
		t.Error("PeakRSSKiB of pid 0: no error")
	}
}

func TestLoadAverage(t *testing.T) {
	avg, err := LoadAverage()
	if err != nil || len(avg) != 3 {
		t.Fatalf("LoadAverage = %v, %v", avg, err)
	}
}

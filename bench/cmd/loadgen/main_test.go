package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	got, err := parseMix("open=89, exec=1,connect=10")
	if err != nil {
		t.Fatal(err)
	}
	want := []share{{"connect", 0.10}, {"exec", 0.01}, {"open", 0.89}}
	if len(got) != len(want) {
		t.Fatalf("parseMix = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].kind != want[i].kind || math.Abs(got[i].share-want[i].share) > 1e-9 {
			t.Errorf("share %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got, err := parseMix("open=1,exec=0"); err != nil || len(got) != 1 || got[0].share != 1 {
		t.Errorf("zero weight kept: %+v, %v", got, err)
	}
	bad := []struct{ in, want string }{
		{"open", "kind=weight"},
		{"fork=1", "unknown kind"},
		{"open=1,open=2", "twice"},
		{"open=-1", "non-negative"},
		{"open=0", "all weights are zero"},
	}
	for _, b := range bad {
		if _, err := parseMix(b.in); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("parseMix(%q) err = %v, want %q", b.in, err, b.want)
		}
	}
}

// TestPaceHoldsRate runs each kind at a modest rate and checks that it
// never runs ahead of the clock (a slow machine can only fall behind, so
// the bound cannot fail for timing reasons) and that the op works at all.
func TestPaceHoldsRate(t *testing.T) {
	for kind, rate := range map[string]float64{"open": 2000, "connect": 2000, "exec": 50} {
		t.Run(kind, func(t *testing.T) {
			stop := make(chan struct{})
			d := 500 * time.Millisecond
			time.AfterFunc(d, func() { close(stop) })
			n, err := pace(rate, stop, ops[kind])
			if err != nil {
				t.Fatal(err)
			}
			// the pacer never runs more than is due plus one batch,
			// whatever the machine
			want := rate * d.Seconds()
			if float64(n) > want*1.5 {
				t.Errorf("%d operations in %v at %v/s: pacing ran ahead of the clock", n, d, rate)
			}
			if n == 0 {
				t.Errorf("no %s operation ran in %v", kind, d)
			}
		})
	}
}

package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestAchieved(t *testing.T) {
	tests := []struct{ in, want string }{
		{"loadgen: target 50000 ops/s, achieved 49935.2 ops/s (connect 4993.0/s) over 5.0s", "49,935"},
		{"loadgen: open: openat: EMFILE", "?"},
		{"achieved lots ops/s", "?"},
	}
	for _, tt := range tests {
		if got := achieved(tt.in); got != tt.want {
			t.Errorf("achieved(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestShellQuote runs the quoted word through sh, as tmux does.
func TestShellQuote(t *testing.T) {
	for _, s := range []string{"/work/main/bench/bin/ttpwatch", "it's $HOME `x` \"q\"", ""} {
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != s {
			t.Errorf("sh saw %q, want %q", out, s)
		}
	}
}

func TestLatencyRow(t *testing.T) {
	r := latencyRow("tab switch", []float64{20, 40, 30, 100}, nil)
	if r.Measured != "median 35 ms, max 100 ms" || r.Target != "≤ 200 ms" || !strings.HasPrefix(r.Note, "4 key presses") {
		t.Errorf("latencyRow = %+v", r)
	}
	r = latencyRow("tab switch", []float64{20}, errors.New("after key 1: screen did not change"))
	if !strings.Contains(r.Note, "after key 1") {
		t.Errorf("a later failure must be noted: %+v", r)
	}
	r = latencyRow("tab switch", nil, errors.New("tmux: no server"))
	if r.Measured != "not shown" || r.Note != "tmux: no server" {
		t.Errorf("no measurement: %+v", r)
	}
}

func TestStatusDrops(t *testing.T) {
	screen := "feed…\n live │ 26k ev/s │ 0 al/s │ drops k0 p12 u1.2k │ rules 157/157 │ up 00:00:09\nenter open"
	m := statusDrops.FindStringSubmatch(screen)
	if m == nil || m[1] != "k0 p12 u1.2k" {
		t.Errorf("statusDrops on %q = %q", screen, m)
	}
	if statusDrops.MatchString("no drops here") {
		t.Error("matched a screen without the counters")
	}
}

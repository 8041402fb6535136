package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A log as ttpwatch writes it with --log: other lines around the frame
// lines, which are as ui.logFrames writes them.
const frameLog = `time=2026-01-02T10:00:00.000Z level=WARN msg=rules warning="rule x: msg=\"ui frames\" in a value"
time=2026-01-02T10:00:01.000Z level=INFO msg="ui frames" when=SIGUSR1 elapsed=4.512s frames=40 views=95 frames_per_s=8.9 view_total=61.2ms view_max=3.1ms
time=2026-01-02T10:00:11.000Z level=INFO msg="ui frames" when=SIGUSR1 elapsed=14.612s frames=71 views=301 frames_per_s=4.9 view_total=312.9ms view_max=12.5ms
time=2026-01-02T10:00:12.000Z level=INFO msg="ui frames" when=exit elapsed=15.001s frames=72 views=309 frames_per_s=4.8 view_total=318.4ms view_max=850µs
`

func TestParseFrameReports(t *testing.T) {
	got, err := parseFrameReports(frameLog)
	if err != nil {
		t.Fatal(err)
	}
	want := []frameReport{
		{When: "SIGUSR1", Elapsed: 4512 * time.Millisecond, Frames: 40, Views: 95, ViewTotal: 61200 * time.Microsecond, ViewMax: 3100 * time.Microsecond},
		{When: "SIGUSR1", Elapsed: 14612 * time.Millisecond, Frames: 71, Views: 301, ViewTotal: 312900 * time.Microsecond, ViewMax: 12500 * time.Microsecond},
		{When: "exit", Elapsed: 15001 * time.Millisecond, Frames: 72, Views: 309, ViewTotal: 318400 * time.Microsecond, ViewMax: 850 * time.Microsecond},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d reports, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("report %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	start, end, err := stormFrames(got)
	if err != nil || start != want[0] || end != want[1] {
		t.Fatalf("stormFrames = %+v, %+v, %v", start, end, err)
	}
	rows := frameRows(start, end, ", 6 tab switches")
	if len(rows) != 2 {
		t.Fatalf("frameRows = %+v", rows)
	}
	// 31 frames and 206 views in 10.1 s; 251.7 ms of View over 206 calls
	if rows[0].Metric != "ui frames/s under the storm" || rows[0].Measured != "3.1 frames/s" ||
		!strings.Contains(rows[0].Note, "31 frames") || !strings.Contains(rows[0].Note, "206 View calls (20.4/s: the 50 ms tick, 6 tab switches)") {
		t.Errorf("frames row = %+v", rows[0])
	}
	if rows[1].Measured != "mean 1.22 ms, max 12.5 ms" {
		t.Errorf("View time row = %+v", rows[1])
	}
}

// TestParseFrameReportsFromSlog writes the line with slog's text handler,
// as ttpwatch does, to follow its encoding of durations and quoting.
func TestParseFrameReportsFromSlog(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewTextHandler(&b, nil))
	log.Info("ui frames", "when", "SIGUSR1", "elapsed", 2*time.Minute+3500*time.Millisecond,
		"frames", uint64(7), "views", uint64(2400), "frames_per_s", 0.1,
		"view_total", 1500*time.Microsecond, "view_max", 999*time.Microsecond)
	got, err := parseFrameReports(b.String())
	if err != nil || len(got) != 1 {
		t.Fatalf("parse %q = %+v, %v", b.String(), got, err)
	}
	want := frameReport{When: "SIGUSR1", Elapsed: 2*time.Minute + 3500*time.Millisecond, Frames: 7, Views: 2400,
		ViewTotal: 1500 * time.Microsecond, ViewMax: 999 * time.Microsecond}
	if got[0] != want {
		t.Errorf("got %+v, want %+v", got[0], want)
	}
}

func TestParseFrameReportsBad(t *testing.T) {
	if _, err := parseFrameReports(`level=INFO msg="ui frames" when=exit elapsed=1s frames=x views=1 view_total=1ms view_max=1ms`); err == nil {
		t.Error("a frames line with a bad number parsed")
	}
	if _, err := parseFrameReports(`level=INFO msg="ui frames" when=exit frames=1 views=1`); err == nil {
		t.Error("a frames line without durations parsed")
	}
	got, err := parseFrameReports("not a log line\nmsg=\"unterminated\nmsg=other frames=1\n")
	if err != nil || len(got) != 0 {
		t.Errorf("other lines: %+v, %v", got, err)
	}
	if _, _, err := stormFrames([]frameReport{{When: "exit"}}); err == nil {
		t.Error("stormFrames without SIGUSR1 lines succeeded")
	}
	r := frameRows(frameReport{Elapsed: 5 * time.Second, Frames: 9}, frameReport{Elapsed: 4 * time.Second, Frames: 3}, "")
	if len(r) != 1 || r[0].Measured != "not measured" {
		t.Errorf("counters going backwards: %+v", r)
	}
}

func TestLogfmt(t *testing.T) {
	kv, err := logfmt(`time=2026-01-02T10:00:00Z msg="a \"q\" b=c" x= y=1`)
	if err != nil {
		t.Fatal(err)
	}
	if kv["msg"] != `a "q" b=c` || kv["x"] != "" || kv["y"] != "1" || len(kv) != 4 {
		t.Errorf("logfmt = %q", kv)
	}
	for _, bad := range []string{`msg="open`, `novalue`, `msg="\q"`} {
		if _, err := logfmt(bad); err == nil {
			t.Errorf("logfmt(%q) succeeded", bad)
		}
	}
}

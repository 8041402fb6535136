package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ttpwatch/ttpwatch/bench/internal/results"
)

// framesMsg is the message of ttpwatch's frame-counter log lines
// (ui.FramesLogMsg): written to its --log file on SIGUSR1 and when the
// interface ends.
const framesMsg = "ui frames"

// frameReport is one such line. Frames, Views and ViewTotal are cumulative
// since the interface started; ViewMax is the slowest View since the
// previous line.
type frameReport struct {
	When                        string
	Elapsed, ViewTotal, ViewMax time.Duration
	Frames, Views               uint64
}

// parseFrameReports returns the frame lines of a ttpwatch log (slog's text
// format) in order.
func parseFrameReports(log string) ([]frameReport, error) {
	var out []frameReport
	for line := range strings.Lines(log) {
		kv, err := logfmt(strings.TrimRight(line, "\r\n"))
		if err != nil || kv["msg"] != framesMsg {
			continue // not a frames line; other lines may be anything
		}
		var r frameReport
		var errs []error
		num := func(k string) uint64 {
			n, err := strconv.ParseUint(kv[k], 10, 64)
			errs = append(errs, err)
			return n
		}
		dur := func(k string) time.Duration {
			d, err := time.ParseDuration(kv[k])
			errs = append(errs, err)
			return d
		}
		r.When = kv["when"]
		r.Elapsed, r.ViewTotal, r.ViewMax = dur("elapsed"), dur("view_total"), dur("view_max")
		r.Frames, r.Views = num("frames"), num("views")
		if err := errors.Join(errs...); err != nil {
			return out, fmt.Errorf("frames line %q: %w", strings.TrimSpace(line), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// logfmt splits a line of slog's text format, key=value pairs separated by
// spaces, values quoted with Go syntax when they need it.
func logfmt(line string) (map[string]string, error) {
	kv := map[string]string{}
	for s := strings.TrimLeft(line, " "); s != ""; s = strings.TrimLeft(s, " ") {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \"") {
			return nil, fmt.Errorf("not key=value at %q", s)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(rest) {
				return nil, fmt.Errorf("unterminated quote in %q", s)
			}
			var err error
			if v, err = strconv.Unquote(rest[:end+1]); err != nil {
				return nil, fmt.Errorf("value of %s: %w", k, err)
			}
			rest = rest[end+1:]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		kv[k], s = v, rest
	}
	return kv, nil
}

// stormFrames picks the two SIGUSR1 lines the storm asked for, at its start
// and at its end, out of the log's frame lines.
func stormFrames(reports []frameReport) (start, end frameReport, err error) {
	var sig []frameReport
	for _, r := range reports {
		if r.When == "SIGUSR1" {
			sig = append(sig, r)
		}
	}
	if len(sig) != 2 {
		return start, end, fmt.Errorf("want 2 %q lines (SIGUSR1 at the start and end of the storm) in ttpwatch's log, found %d", framesMsg, len(sig))
	}
	return sig[0], sig[1], nil
}

// frameRows turns the counters at the start and end of the storm into the
// table's rows. keys says what else happened in the window.
func frameRows(start, end frameReport, keys string) []results.Row {
	secs := (end.Elapsed - start.Elapsed).Seconds()
	frames, views := end.Frames-start.Frames, end.Views-start.Views
	if secs <= 0 || end.Frames < start.Frames || end.Views < start.Views {
		return []results.Row{{Section: "ui", Metric: "ui frames/s under the storm", Measured: "not measured",
			Note: fmt.Sprintf("frame counters went backwards: %+v then %+v", start, end)}}
	}
	rows := []results.Row{{Section: "ui", Metric: "ui frames/s under the storm",
		Measured: fmt.Sprintf("%.1f frames/s", float64(frames)/secs),
		Note: fmt.Sprintf("%d frames (screens that differ from the one before: what the renderer draws) and %d View calls (%.1f/s: the 50 ms tick%s) in %.1fs; ttpwatch's %q log lines on SIGUSR1 at the start and end of the storm",
			frames, views, float64(views)/secs, keys, secs, framesMsg)}}
	if views > 0 {
		mean := float64(end.ViewTotal-start.ViewTotal) / float64(views) / float64(time.Millisecond)
		rows = append(rows, results.Row{Section: "ui", Metric: "View time under the storm",
			Measured: fmt.Sprintf("mean %.2f ms, max %.1f ms", mean, float64(end.ViewMax)/float64(time.Millisecond)),
			Note:     fmt.Sprintf("the whole screen rendered by the root model's View, %d calls in the same window", views)})
	}
	return rows
}

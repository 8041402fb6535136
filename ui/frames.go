package ui

import (
	"log/slog"
	"math"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// Frame accounting, for the benchmark's "frames of the ui under a storm"
// (DESIGN.md §9).
//
// Bubble Tea calls View after every message the model handles (the 50 ms
// tick, keys, batches, resizes) and hands the result to its renderer, which
// writes to the terminal at most 60 times a second and only when the view
// differs from the last one it wrote. So View calls measure what the ui
// spends composing screens (each call renders the whole screen), and frames
// — View results whose content differs from the previous call's — measure
// how often the screen really changes: what the renderer has to draw. Frames
// are an upper bound on what reaches the terminal, as the renderer keeps only
// the last of several frames produced within one 1/60 s flush.
//
// Counting costs two clock reads, a string comparison (equal strings of
// equal length are compared with memcmp) and a few atomic adds per View; it
// allocates nothing. The counters are atomic so that the report can be made
// from another goroutine (the SIGUSR1 handler of Run).
type frameCounter struct {
	start  time.Time
	views  atomic.Uint64
	frames atomic.Uint64
	// viewNanos is the time spent in View; maxNanos the slowest View since
	// the last report.
	viewNanos atomic.Int64
	maxNanos  atomic.Int64
	// last is the content of the previous View; only View touches it, on
	// Bubble Tea's event loop.
	last string
}

// count records one View call that returned content and took d.
func (c *frameCounter) count(content string, d time.Duration) {
	if n := c.views.Add(1); n == 1 || content != c.last {
		c.frames.Add(1)
		c.last = content
	}
	c.viewNanos.Add(int64(d))
	for {
		old := c.maxNanos.Load()
		if int64(d) <= old || c.maxNanos.CompareAndSwap(old, int64(d)) {
			break
		}
	}
}

// FrameStats are the frame counters since the model was built.
type FrameStats struct {
	// Elapsed is the time since the model was built (New).
	Elapsed time.Duration
	// Views counts View calls; Frames those whose content differed from
	// the previous call's (the first call included).
	Views, Frames uint64
	// ViewTime is the time spent in View in all.
	ViewTime time.Duration
	// MaxView is the slowest View since the previous report (see
	// Model.FrameStats), or since the start.
	MaxView time.Duration
}

// FrameStats returns the frame counters. With reset, the slowest-View
// figure starts over, so that consecutive reports give the maximum of each
// interval; the other counters are cumulative. Safe to call from any
// goroutine.
func (m *Model) FrameStats(reset bool) FrameStats {
	c := &m.frames
	s := FrameStats{
		Elapsed:  time.Since(c.start),
		Views:    c.views.Load(),
		Frames:   c.frames.Load(),
		ViewTime: time.Duration(c.viewNanos.Load()),
	}
	if reset {
		s.MaxView = time.Duration(c.maxNanos.Swap(0))
	} else {
		s.MaxView = time.Duration(c.maxNanos.Load())
	}
	return s
}

// FramesLogMsg is the message of the log line with the frame counters,
// which Run writes through log/slog on SIGUSR1 (when="SIGUSR1") and when the
// interface ends (when="exit"); ttpwatch sends slog to its --log file. The
// attributes: when, elapsed (since the interface started), frames, views,
// frames_per_s (over elapsed), view_total (time in View), view_max (the
// slowest View since the previous line). frames, views and view_total are
// cumulative: the difference of two lines covers the time between them.
const FramesLogMsg = "ui frames"

// logFrames writes the frame counters to the default slog logger.
func (m *Model) logFrames(when string) {
	s := m.FrameStats(true)
	fps := 0.0
	if s.Elapsed > 0 {
		fps = math.Round(float64(s.Frames)/s.Elapsed.Seconds()*10) / 10
	}
	slog.Info(FramesLogMsg, "when", when,
		"elapsed", s.Elapsed.Round(time.Millisecond),
		"frames", s.Frames, "views", s.Views, "frames_per_s", fps,
		"view_total", s.ViewTime.Round(time.Microsecond),
		"view_max", s.MaxView.Round(time.Microsecond))
}

// reportFramesOnSIGUSR1 logs the frame counters whenever the process gets
// SIGUSR1, until the returned function is called.
func (m *Model) reportFramesOnSIGUSR1() (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				m.logFrames("SIGUSR1")
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

package ui

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

func TestFrameCounter(t *testing.T) {
	f := newFixture()
	m := New(testOptions(), f.deps())
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	m.Update(f.batch())
	if s := m.FrameStats(false); s.Views != 0 || s.Frames != 0 {
		t.Fatalf("before any View: %+v", s)
	}
	m.View()
	m.View() // the same screen: a View call, not a new frame
	if s := m.FrameStats(false); s.Views != 2 || s.Frames != 1 {
		t.Fatalf("two Views of one screen: views %d frames %d, want 2 and 1", s.Views, s.Frames)
	}
	m.Update(keyMsg("2"))
	m.View()
	m.Update(keyMsg("1"))
	m.View()
	s := m.FrameStats(true)
	if s.Views != 4 || s.Frames != 3 {
		t.Fatalf("after two tab switches: views %d frames %d, want 4 and 3", s.Views, s.Frames)
	}
	if s.MaxView <= 0 || s.ViewTime < s.MaxView || s.Elapsed < s.ViewTime {
		t.Fatalf("times: %+v", s)
	}
	if s2 := m.FrameStats(false); s2.MaxView != 0 || s2.Views != 4 || s2.ViewTime != s.ViewTime {
		t.Fatalf("after a reset only the slowest View starts over: %+v", s2)
	}
	// render (what the golden tests call) is not counted
	m.render()
	if s := m.FrameStats(false); s.Views != 4 {
		t.Fatalf("render counted as a View: %+v", s)
	}
}

func TestFrameCounterAllocatesNothing(t *testing.T) {
	var c frameCounter
	a, b := strings.Repeat("a", 1000), strings.Repeat("b", 1000)
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		i++
		if i%2 == 0 {
			c.count(a, time.Millisecond)
		} else {
			c.count(b, time.Duration(i))
		}
	})
	if allocs != 0 {
		t.Fatalf("count allocates %.1f times per View", allocs)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunLogsFrames checks the log lines the benchmark reads: one on
// SIGUSR1 while the interface runs, one when it ends.
func TestRunLogsFrames(t *testing.T) {
	var log syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	defer slog.SetDefault(prev)

	ctx, cancel := context.WithCancel(context.Background())
	done := runHeadless(ctx) // running: the SIGUSR1 handler is installed
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "when=SIGUSR1") {
		if time.Now().After(deadline) {
			t.Fatalf("no frames line after SIGUSR1; log:\n%s", log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	line := regexp.MustCompile(`msg="ui frames" when=(SIGUSR1|exit) elapsed=\S+ frames=(\d+) views=(\d+) frames_per_s=\S+ view_total=\S+ view_max=\S+\n`)
	got := line.FindAllStringSubmatch(log.String(), -1)
	if len(got) != 2 || got[0][1] != "SIGUSR1" || got[1][1] != "exit" {
		t.Fatalf("want a SIGUSR1 line and an exit line; log:\n%s", log.String())
	}
	if got[1][2] == "0" || got[1][3] == "0" {
		t.Errorf("no frames counted in a running interface: %s", got[1][0])
	}
}

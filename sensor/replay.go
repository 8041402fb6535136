package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ttpwatch/ttpwatch/event"
)

// Replay is a Source that reads a capture file and delivers its events, at
// the recorded pace scaled by a speed factor or as fast as possible. It
// rebuilds a process table from the capture's images for the ui's process
// views.
type Replay struct {
	path  string
	speed float64
	f     *os.File
	cr    *captureReader
	table *ProcTable
	close sync.Once
	err   error
}

// OpenReplay opens a capture (plain or gzip JSON Lines) and checks its
// header. speed scales the recorded pace (2 = twice as fast); 0 replays as
// fast as the consumer takes events.
func OpenReplay(path string, speed float64) (*Replay, error) {
	if speed < 0 {
		return nil, fmt.Errorf("replay speed %v: must be a positive factor, or 0 for as fast as possible", speed)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	table, _ := NewProcTable(ProcTableConfig{}) // no /proc: cannot fail
	cr, err := newCaptureReader(f, filepath.Base(path), table)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Replay{path: path, speed: speed, f: f, cr: cr, table: table}, nil
}

// Header returns the capture's header (host and start time of the recording).
func (r *Replay) Header() CaptureHeader { return r.cr.header }

// Procs returns the process table rebuilt from the capture as replay
// proceeds; it is safe to read while Run runs.
func (r *Replay) Procs() *ProcTable { return r.table }

// Run delivers the capture's events in order to emit until the end of the
// capture (nil), ctx is done (nil) or the capture turns out corrupt (an error
// naming the file and line). The event passed to emit is reused afterwards.
// Run can be called once; it closes the file.
func (r *Replay) Run(ctx context.Context, emit func(*event.Event)) error {
	defer r.Close()
	var (
		first, wall int64
		n           int
	)
	for {
		ev, err := r.cr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n++; n&255 == 0 && ctx.Err() != nil {
			return nil
		}
		if r.speed > 0 {
			if first == 0 {
				first, wall = ev.Time, time.Now().UnixNano()
			}
			due := wall + int64(float64(ev.Time-first)/r.speed)
			if d := time.Duration(due - time.Now().UnixNano()); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				}
			}
		}
		emit(ev)
	}
}

// Close releases the capture file; Run does it when it returns, and further
// calls do nothing.
func (r *Replay) Close() error {
	r.close.Do(func() { r.err = r.f.Close() })
	return r.err
}

// ReadCapture decodes a whole capture into memory: its header and a copy of
// every event. name labels errors. Tests and benchmarks use it to replay
// without I/O.
func ReadCapture(rd io.Reader, name string) (CaptureHeader, []*event.Event, error) {
	cr, err := newCaptureReader(rd, name, nil)
	if err != nil {
		return CaptureHeader{}, nil, err
	}
	var out []*event.Event
	for {
		ev, err := cr.next()
		if errors.Is(err, io.EOF) {
			return cr.header, out, nil
		}
		if err != nil {
			return cr.header, out, err
		}
		out = append(out, ev.Clone())
	}
}

// SliceSource is a Source over events in memory, delivered in order as fast
// as the consumer takes them. The consumer must not modify them.
type SliceSource struct {
	Events []*event.Event
}

// Run emits every event, or stops early (nil) when ctx is done.
func (s *SliceSource) Run(ctx context.Context, emit func(*event.Event)) error {
	for i, ev := range s.Events {
		if i&255 == 0 && ctx.Err() != nil {
			return nil
		}
		emit(ev)
	}
	return nil
}

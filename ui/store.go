package ui

import (
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// ring is a bounded drop-oldest buffer addressed by sequence number: the
// n-th item ever pushed has seq n. Old sequence numbers stop resolving once
// their slot is reused.
type ring[T any] struct {
	buf  []T
	next uint64 // seq of the next push
}

func newRing[T any](capacity int) *ring[T] {
	return &ring[T]{buf: make([]T, capacity)}
}

// push stores v and returns its seq.
func (r *ring[T]) push(v T) uint64 {
	seq := r.next
	r.buf[seq%uint64(len(r.buf))] = v
	r.next++
	return seq
}

// oldest is the seq of the oldest item still held.
func (r *ring[T]) oldest() uint64 {
	if r.next > uint64(len(r.buf)) {
		return r.next - uint64(len(r.buf))
	}
	return 0
}

// len is the number of items held.
func (r *ring[T]) len() int { return int(r.next - r.oldest()) }

// get returns the item of seq if it is still held.
func (r *ring[T]) get(seq uint64) (T, bool) {
	var zero T
	if seq >= r.next || seq < r.oldest() {
		return zero, false
	}
	return r.buf[seq%uint64(len(r.buf))], true
}

// alertRec is one alert kept by the ui; its display form is built on first
// use so that a storm of alerts costs the ui little until they are seen.
type alertRec struct {
	seq   uint64
	a     *ruleset.Detection
	view  *alertView
	key   procKey
	hasPK bool
}

// procKey identifies a process image across pid reuse.
type procKey struct {
	pid   uint32
	start int64
}

func keyOf(p *event.Process) procKey { return procKey{pid: p.Pid, start: p.StartTime} }

// Bounds of the per-process history.
const (
	histEvents = 24   // recent events kept per process
	histAlerts = 16   // recent alerts kept per process
	histProcs  = 2048 // processes with a history
)

// procHist is the recent activity of one process.
type procHist struct {
	events  [histEvents]*event.Event
	nEvents int // total seen; the last histEvents are kept
	alerts  [histAlerts]uint64
	nAlerts int
}

// recentEvents returns the kept events, newest first.
func (h *procHist) recentEvents() []*event.Event {
	n := min(h.nEvents, histEvents)
	out := make([]*event.Event, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, h.events[(h.nEvents-i)%histEvents])
	}
	return out
}

// recentAlerts returns the seqs of the kept alerts, newest first.
func (h *procHist) recentAlerts() []uint64 {
	n := min(h.nAlerts, histAlerts)
	out := make([]uint64, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, h.alerts[(h.nAlerts-i)%histAlerts])
	}
	return out
}

// store is everything the ui keeps from the batches: a bounded alert list,
// a bounded raw event list and a bounded per-process history.
type store struct {
	alerts *ring[*alertRec]
	events *ring[*event.Event]
	hist   map[procKey]*procHist
	order  *ring[procKey] // insertion order of hist, for eviction
	// alertsTotal counts every alert received, kept or not.
	alertsTotal uint64
	eventsTotal uint64
}

func newStore(maxAlerts, maxEvents int) *store {
	return &store{
		alerts: newRing[*alertRec](maxAlerts),
		events: newRing[*event.Event](maxEvents),
		hist:   make(map[procKey]*procHist),
		order:  newRing[procKey](histProcs),
	}
}

// history returns the history of p, creating it (and evicting the oldest
// history beyond the cap) when create is set.
func (s *store) history(k procKey, create bool) *procHist {
	h := s.hist[k]
	if h != nil || !create {
		return h
	}
	if s.order.len() == len(s.order.buf) {
		old, _ := s.order.get(s.order.oldest())
		delete(s.hist, old)
	}
	h = &procHist{}
	s.hist[k] = h
	s.order.push(k)
	return h
}

// add takes in one batch.
func (s *store) add(b Batch) {
	for _, e := range b.Events {
		if e == nil {
			continue
		}
		s.eventsTotal++
		s.events.push(e)
		if e.Proc != nil {
			h := s.history(keyOf(e.Proc), true)
			h.events[h.nEvents%histEvents] = e
			h.nEvents++
		}
	}
	for _, a := range b.Alerts {
		if a == nil {
			continue
		}
		s.alertsTotal++
		rec := &alertRec{a: a}
		if a.Event != nil && a.Event.Proc != nil {
			rec.key, rec.hasPK = keyOf(a.Event.Proc), true
		}
		rec.seq = s.alerts.push(rec)
		if rec.hasPK {
			h := s.history(rec.key, true)
			h.alerts[h.nAlerts%histAlerts] = rec.seq
			h.nAlerts++
		}
	}
}

// alertCount returns how many alerts the process of k raised (0 if its
// history was evicted).
func (s *store) alertCount(k procKey) int {
	if h := s.hist[k]; h != nil {
		return h.nAlerts
	}
	return 0
}

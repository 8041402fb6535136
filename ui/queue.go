package ui

import (
	"sync"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// Queue is the bounded, drop-oldest hand-off from the pipeline to the ui:
// the pipeline adds events and alerts as they come, never blocking, and
// the ui takes everything since the last call as one ordered Batch every
// tick (pass Queue.Poll as Deps.Poll). What overflows is dropped oldest
// first and counted as the "ui" stage's drops.
type Queue struct {
	mu sync.Mutex
	// events are copies held in place, so adding one allocates nothing.
	events      []event.Event
	evHead, evN int
	alerts      []*ruleset.Detection
	alHead, alN int
	dropped     uint64
	// Stats, when set, fills Batch.Stats at each Poll; the queue adds its
	// own drops under Drops["ui"].
	Stats func() Stats
}

// NewQueue returns a queue holding at most maxEvents events and maxAlerts
// alerts between two polls.
func NewQueue(maxEvents, maxAlerts int) *Queue {
	return &Queue{events: make([]event.Event, max(maxEvents, 1)), alerts: make([]*ruleset.Detection, max(maxAlerts, 1))}
}

// Event adds a copy of e (the pipeline may reuse e at once).
func (q *Queue) Event(e *event.Event) {
	q.mu.Lock()
	if q.evN == len(q.events) {
		q.evHead = (q.evHead + 1) % len(q.events)
		q.evN--
		q.dropped++
	}
	q.events[(q.evHead+q.evN)%len(q.events)] = *e
	q.evN++
	q.mu.Unlock()
}

// Alert adds an alert; alerts are durable already and kept by pointer.
func (q *Queue) Alert(a *ruleset.Detection) {
	q.mu.Lock()
	if q.alN == len(q.alerts) {
		q.alerts[q.alHead] = nil
		q.alHead = (q.alHead + 1) % len(q.alerts)
		q.alN--
		q.dropped++
	}
	q.alerts[(q.alHead+q.alN)%len(q.alerts)] = a
	q.alN++
	q.mu.Unlock()
}

// Dropped is how many events and alerts overflowed so far.
func (q *Queue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Poll takes everything added since the last call, oldest first.
func (q *Queue) Poll() Batch {
	q.mu.Lock()
	var b Batch
	if q.evN > 0 {
		// One allocation per batch: the ui keeps pointers into it.
		evs := make([]event.Event, q.evN)
		b.Events = make([]*event.Event, q.evN)
		for i := range evs {
			evs[i] = q.events[(q.evHead+i)%len(q.events)]
			b.Events[i] = &evs[i]
		}
		q.evHead, q.evN = 0, 0
	}
	if q.alN > 0 {
		b.Alerts = make([]*ruleset.Detection, q.alN)
		for i := range b.Alerts {
			j := (q.alHead + i) % len(q.alerts)
			b.Alerts[i], q.alerts[j] = q.alerts[j], nil
		}
		q.alHead, q.alN = 0, 0
	}
	dropped := q.dropped
	q.mu.Unlock()
	if q.Stats != nil {
		b.Stats = q.Stats()
		drops := make(map[string]uint64, len(b.Stats.Drops)+1)
		for k, v := range b.Stats.Drops {
			drops[k] = v
		}
		drops["ui"] += dropped
		b.Stats.Drops = drops
	}
	return b
}

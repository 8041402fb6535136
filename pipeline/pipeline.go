// Package pipeline wires an event source to the rule engine and the
// engine's alerts to the sinks and the ui:
//
//	source -> [queue] -> engine -> alert -> alert log -> outputs -> ui ring
//	                          \-> raw-event ring (ui raw mode) and recorder
//
// Every alert is written to the alert log before anything else sees it. The
// ui is fed by bounded drop-oldest rings and receives one batch per tick
// (Batches or TakeBatch), never a message per event. Every stage counts what
// it drops, and the first drops raise an internal alert.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sensor"
	"github.com/ttpwatch/ttpwatch/sink"
)

// Engine evaluates an event and reports each matching rule; *ruleset.Engine
// implements it. An engine that also has OnChange(func()) and
// NeededTypes() []event.Type drives Options.OnRulesChanged.
type Engine interface {
	Process(ev *event.Event, emit func(ruleset.Match))
}

// changeNotifier is an engine whose enabled rule set changes live.
type changeNotifier interface {
	OnChange(func())
	NeededTypes() []event.Type
}

// dropCounter is a source that counts the events it lost (the live sensor:
// failed kernel ring reservations).
type dropCounter interface {
	Drops() uint64
}

// Recorder receives every event in record mode; *sensor.Recorder
// implements it.
type Recorder interface {
	Write(ev *event.Event) error
	Close() error
}

// Defaults for Options left zero.
const (
	DefaultAlertRing      = 4096
	DefaultEventRing      = 8192
	DefaultBatchEvery     = 50 * time.Millisecond
	DefaultDropAlertEvery = 10 * time.Second
)

// Options configure a Pipeline. The pipeline owns the sinks and the recorder
// given here: Run closes them when it returns.
type Options struct {
	// Hostname goes into every alert; empty means os.Hostname().
	Hostname string
	// AlertLog receives every alert first, synchronously. Nil disables it.
	AlertLog sink.Sink
	// Outputs receive every alert after the log, in order (--json stdout).
	Outputs []sink.Sink
	// QueueLen is the length of the queue between the source and the engine.
	// 0 runs the engine on the source's goroutine: nothing is dropped and a
	// slow engine slows the source (replay). A live source wants a queue so
	// that engine hiccups are absorbed here, and counted when they overflow,
	// rather than in the kernel.
	QueueLen int
	// AlertRing and EventRing size the ui's rings (Default* when zero).
	AlertRing int
	EventRing int
	// Recorder, when set, gets every event (record mode).
	Recorder Recorder
	// OnRulesChanged is called with the event types the enabled rules need
	// whenever the engine's enabled set changes, on the pipeline's monitor
	// goroutine (so toggling a rule in the ui does not wait for hooks to
	// attach). main passes the live source's SetTypes.
	OnRulesChanged func(types []event.Type)
	// BatchEvery is the ui batch period; DropAlertEvery the minimum interval
	// between internal drop alerts.
	BatchEvery     time.Duration
	DropAlertEvery time.Duration
	// History keeps copying the notable events (execs, file changes,
	// connections, privilege and kernel changes; not reads, sends or dups)
	// to the ui while raw mode is off, for the process drill-down's recent
	// events, at a fraction of the cost of copying every event.
	History bool
	// Headless is set when no interface reads the batches (--json, record):
	// alerts then go to the sinks only, and no ui ring overflows.
	Headless bool
	// KernelDrops reports the source's own losses (failed kernel ring
	// reservations, undecodable records). When nil, a source with a
	// Drops() uint64 method is asked.
	KernelDrops func() uint64
	// StatsEvery, with StatsOut, prints a stats line that often (--stats).
	StatsEvery time.Duration
	StatsOut   io.Writer
}

// Batch is what the ui receives per tick: the alerts and (in raw mode) the
// events since the previous batch, oldest first, and the current counters.
type Batch struct {
	Alerts []*ruleset.Detection
	Events []event.Event
	Stats  Stats
}

// Pipeline runs a source through an engine into sinks and ui rings.
type Pipeline struct {
	src sensor.Source
	eng Engine
	opt Options

	alerts *Ring[*ruleset.Detection]
	events *Ring[event.Event]
	raw    atomic.Bool

	emitFn func(ruleset.Match) // bound once: passing it does not allocate

	// deliverMu orders alert delivery between the engine goroutine and the
	// monitor's drop alerts, so sinks see one alert at a time.
	deliverMu sync.Mutex

	start      time.Time // set by New: Stats reads it from other goroutines
	nEvents    atomic.Uint64
	byType     [event.NumTypes]atomic.Uint64
	nAlerts    atomic.Uint64
	queueDrops atomic.Uint64
	sinkErrs   atomic.Uint64
	lastErrMu  sync.Mutex
	lastErr    string

	rec    Recorder
	recErr error
	cancel context.CancelFunc

	changed   chan struct{}
	done      chan struct{}
	batchOnce sync.Once
	batches   chan Batch
	dropBase  dropMark
}

// dropMark is the counters at the last drop alert.
type dropMark struct {
	kernel, queue, ui, events uint64
	at                        time.Time
	alerted                   bool
}

// New returns a pipeline; call Run to start it.
func New(src sensor.Source, eng Engine, opt Options) *Pipeline {
	if opt.Hostname == "" {
		opt.Hostname, _ = os.Hostname()
	}
	if opt.AlertRing <= 0 {
		opt.AlertRing = DefaultAlertRing
	}
	if opt.EventRing <= 0 {
		opt.EventRing = DefaultEventRing
	}
	if opt.BatchEvery <= 0 {
		opt.BatchEvery = DefaultBatchEvery
	}
	if opt.DropAlertEvery <= 0 {
		opt.DropAlertEvery = DefaultDropAlertEvery
	}
	p := &Pipeline{
		src: src, eng: eng, opt: opt,
		alerts:  NewRing[*ruleset.Detection](opt.AlertRing),
		events:  NewRing[event.Event](opt.EventRing),
		rec:     opt.Recorder,
		changed: make(chan struct{}, 1),
		done:    make(chan struct{}),
		batches: make(chan Batch, 1),
		start:   time.Now(),
	}
	p.dropBase.at = p.start
	p.emitFn = p.onMatch
	if cn, ok := eng.(changeNotifier); ok && opt.OnRulesChanged != nil {
		cn.OnChange(func() {
			select {
			case p.changed <- struct{}{}:
			default: // a change is already pending; NeededTypes reads the latest
			}
		})
	}
	return p
}

// SetRawEvents turns the raw-event ring on or off (the ui's raw mode). Off,
// events are not copied for the ui at all.
func (p *Pipeline) SetRawEvents(on bool) { p.raw.Store(on) }

// Run delivers the source's events to the engine until the source ends or
// ctx is done. On return everything the source delivered has been
// evaluated, every alert written, the sinks and recorder closed. It returns
// nil on a clean stop (end of a capture or ctx done), else the source's or
// the recorder's error. Run is called once per Pipeline.
func (p *Pipeline) Run(ctx context.Context) error {
	defer close(p.done)
	ctx, p.cancel = context.WithCancel(ctx)
	defer p.cancel()

	monCtx, stopMon := context.WithCancel(context.Background())
	monDone := make(chan struct{})
	go func() {
		defer close(monDone)
		p.monitor(monCtx)
	}()

	var srcErr error
	if p.opt.QueueLen <= 0 {
		srcErr = p.src.Run(ctx, p.process)
	} else {
		srcErr = p.runQueued(ctx)
	}
	stopMon()
	<-monDone
	// Drops of the last interval are reported even if rate-limited.
	p.checkDrops(time.Now(), true)
	if p.opt.StatsEvery > 0 && p.opt.StatsOut != nil {
		fmt.Fprintln(p.opt.StatsOut, FormatStats(p.Stats(), Stats{Start: p.start, At: p.start}))
	}

	errs := []error{}
	if srcErr != nil && !errors.Is(srcErr, context.Canceled) {
		errs = append(errs, srcErr)
	}
	if p.recErr != nil {
		errs = append(errs, p.recErr)
	}
	if p.opt.Recorder != nil {
		if err := p.opt.Recorder.Close(); err != nil && p.recErr == nil {
			errs = append(errs, err)
		}
	}
	for _, s := range p.sinks() {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runQueued runs the source on this goroutine and the engine on another,
// with an eventQueue between them: the source copies each event into it, or
// counts a queue drop when it is full.
func (p *Pipeline) runQueued(ctx context.Context) error {
	q := newEventQueue(p.opt.QueueLen)
	engDone := make(chan struct{})
	go func() {
		defer close(engDone)
		for i := range q.work {
			p.process(&q.slots[i])
			q.done(i)
		}
	}()
	err := p.src.Run(ctx, func(ev *event.Event) {
		if !q.push(ev) {
			p.queueDrops.Add(1)
		}
	})
	close(q.work)
	<-engDone
	return err
}

// process evaluates one event. It runs on one goroutine at a time.
func (p *Pipeline) process(ev *event.Event) {
	p.nEvents.Add(1)
	if ev.Type < event.NumTypes {
		p.byType[ev.Type].Add(1)
	}
	if p.rec != nil {
		if err := p.rec.Write(ev); err != nil {
			// Recording is the point of record mode: stop rather than
			// produce a capture with a hole.
			p.recErr = fmt.Errorf("recording stopped: %w", err)
			p.rec = nil
			p.cancel()
		}
	}
	if p.raw.Load() || p.opt.History && notable(ev) {
		// Raw mode is a view the user turns on; its copies (and the
		// history's, of notable events only) are the one per-event
		// allocation of the pipeline.
		c := *ev
		c.OwnStrings()
		p.events.Push(c)
	}
	p.eng.Process(ev, p.emitFn)
}

func (p *Pipeline) onMatch(m ruleset.Match) {
	d := ruleset.NewAlert(m, p.opt.Hostname)
	// The alert outlives the event (NewAlert's clone owns its strings); the
	// field values must not point into the source's reused buffers either.
	d.Output = strings.Clone(d.Output)
	for k, v := range d.OutputFields {
		if s, ok := v.(string); ok {
			d.OutputFields[k] = strings.Clone(s)
		}
	}
	p.deliver(d)
}

// deliver hands an alert to the alert log, then the outputs, then the ui.
func (p *Pipeline) deliver(d *ruleset.Detection) {
	line, err := d.JSON()
	if err != nil {
		p.sinkError(fmt.Errorf("encode alert %q: %w", d.Rule.Name, err))
		return
	}
	p.deliverMu.Lock()
	for _, s := range p.sinks() {
		if err := s.WriteAlert(line); err != nil {
			p.sinkError(err)
		}
	}
	if !p.opt.Headless {
		p.alerts.Push(d)
	}
	p.deliverMu.Unlock()
	p.nAlerts.Add(1)
}

// sinks returns the alert log (if any) followed by the outputs.
func (p *Pipeline) sinks() []sink.Sink {
	if p.opt.AlertLog == nil {
		return p.opt.Outputs
	}
	return append([]sink.Sink{p.opt.AlertLog}, p.opt.Outputs...)
}

// sinkError counts a failed alert write; the pipeline keeps running (the
// other sinks and the ui still get the alert) and Stats shows the error.
func (p *Pipeline) sinkError(err error) {
	if n := p.sinkErrs.Add(1); n == 1 || n%1000 == 0 {
		slog.Error("alert not written", "err", err, "failures", n)
	}
	p.lastErrMu.Lock()
	p.lastErr = err.Error()
	p.lastErrMu.Unlock()
}

// monitor raises drop alerts, prints stats and forwards rule changes until
// ctx is done.
func (p *Pipeline) monitor(ctx context.Context) {
	tick := min(time.Second, p.opt.DropAlertEvery)
	if p.opt.StatsEvery > 0 {
		tick = min(tick, p.opt.StatsEvery)
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	prev := p.Stats()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.changed:
			if cn, ok := p.eng.(changeNotifier); ok {
				p.opt.OnRulesChanged(cn.NeededTypes())
			}
		case now := <-t.C:
			p.checkDrops(now, false)
			// Half a tick of slack: prev.At is read a little after its tick,
			// so a strict comparison would skip every other tick.
			if p.opt.StatsEvery > 0 && p.opt.StatsOut != nil && now.Sub(prev.At) >= p.opt.StatsEvery-tick/2 {
				cur := p.Stats()
				fmt.Fprintln(p.opt.StatsOut, FormatStats(cur, prev))
				prev = cur
			}
		}
	}
}

// checkDrops raises the internal drop alert when any stage dropped since
// the last one, at most once per DropAlertEvery unless final.
func (p *Pipeline) checkDrops(now time.Time, final bool) {
	s := p.Stats()
	b := &p.dropBase
	if s.KernelDrops == b.kernel && s.QueueDrops == b.queue && s.AlertRingDrops == b.ui {
		return
	}
	if !final && b.alerted && now.Sub(b.at) < p.opt.DropAlertEvery {
		return
	}
	d := ruleset.Drops{
		Kernel: s.KernelDrops - b.kernel, Queue: s.QueueDrops - b.queue, UI: s.AlertRingDrops - b.ui,
		Events: s.Events - b.events, Interval: now.Sub(b.at).Round(time.Millisecond),
	}
	*b = dropMark{kernel: s.KernelDrops, queue: s.QueueDrops, ui: s.AlertRingDrops, events: s.Events, at: now, alerted: true}
	p.deliver(ruleset.NewDropAlert(now, p.opt.Hostname, d))
}

// Batches returns the channel on which the ui receives one Batch per
// BatchEvery tick: every tick that has alerts or events, and at least once a
// second for the counters. While the ui has not taken a batch the next one
// waits and the rings absorb (and count) the overflow, so a slow ui never
// slows the engine. After Run returns, a final batch is sent, then the
// channel is closed; the ui should read until then. Use Batches or
// TakeBatch, not both.
func (p *Pipeline) Batches() <-chan Batch {
	p.batchOnce.Do(func() { go p.batchLoop() })
	return p.batches
}

func (p *Pipeline) batchLoop() {
	defer close(p.batches)
	t := time.NewTicker(p.opt.BatchEvery)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-p.done:
			p.batches <- p.TakeBatch()
			return
		case <-t.C:
		}
		b := p.TakeBatch()
		if len(b.Alerts) == 0 && len(b.Events) == 0 && b.Stats.At.Sub(last) < time.Second {
			continue
		}
		select {
		case p.batches <- b:
			last = b.Stats.At
		case <-p.done:
			f := p.TakeBatch()
			b.Alerts = append(b.Alerts, f.Alerts...)
			b.Events = append(b.Events, f.Events...)
			b.Stats = f.Stats
			p.batches <- b
			return
		}
	}
}

// TakeBatch drains the rings now, for a ui that polls instead of using
// Batches.
func (p *Pipeline) TakeBatch() Batch {
	b := Batch{Alerts: p.alerts.Drain(nil)}
	if p.events.Len() > 0 {
		b.Events = p.events.Drain(nil)
	}
	b.Stats = p.Stats()
	return b
}

// Stats are the pipeline's counters since New (Start).
type Stats struct {
	Start, At time.Time
	// Events counts events evaluated, ByType by event type.
	Events uint64
	ByType [event.NumTypes]uint64
	Alerts uint64
	// KernelDrops is the source's own count (failed kernel ring
	// reservations); QueueDrops the pipeline queue's overflows;
	// AlertRingDrops alerts the ui skipped (they are in the alert log);
	// EventRingDrops raw events the ui skipped (no detection lost, so they
	// raise no drop alert).
	KernelDrops, QueueDrops, AlertRingDrops, EventRingDrops uint64
	// SinkErrors counts failed alert writes; LastSinkError is the latest.
	SinkErrors    uint64
	LastSinkError string
}

// Stats returns the current counters. Safe from any goroutine.
func (p *Pipeline) Stats() Stats {
	s := Stats{
		Start: p.start, At: time.Now(),
		Events: p.nEvents.Load(), Alerts: p.nAlerts.Load(), QueueDrops: p.queueDrops.Load(),
		AlertRingDrops: p.alerts.Drops(), EventRingDrops: p.events.Drops(), SinkErrors: p.sinkErrs.Load(),
	}
	for i := range s.ByType {
		s.ByType[i] = p.byType[i].Load()
	}
	if p.opt.KernelDrops != nil {
		s.KernelDrops = p.opt.KernelDrops()
	} else if dc, ok := p.src.(dropCounter); ok {
		s.KernelDrops = dc.Drops()
	}
	if s.SinkErrors > 0 {
		p.lastErrMu.Lock()
		s.LastSinkError = p.lastErr
		p.lastErrMu.Unlock()
	}
	return s
}

// Drops returns the events and alerts lost at every stage.
func (s Stats) Drops() uint64 {
	return s.KernelDrops + s.QueueDrops + s.AlertRingDrops + s.EventRingDrops
}

// Rates are per-second rates between two Stats.
type Rates struct {
	Interval time.Duration
	Events   float64
	Alerts   float64
	ByType   [event.NumTypes]float64
}

// Since returns the rates from prev to s.
func (s Stats) Since(prev Stats) Rates {
	r := Rates{Interval: s.At.Sub(prev.At)}
	sec := r.Interval.Seconds()
	if sec <= 0 {
		return r
	}
	r.Events = float64(s.Events-prev.Events) / sec
	r.Alerts = float64(s.Alerts-prev.Alerts) / sec
	for i := range r.ByType {
		r.ByType[i] = float64(s.ByType[i]-prev.ByType[i]) / sec
	}
	return r
}

// FormatStats renders the --stats line: totals, rates since prev, the
// busiest event types and the drops per stage.
func FormatStats(cur, prev Stats) string {
	r := cur.Since(prev)
	type tr struct {
		t event.Type
		r float64
	}
	var types []tr
	for i, v := range r.ByType {
		if cur.ByType[i] != prev.ByType[i] {
			types = append(types, tr{event.Type(i), v})
		}
	}
	sort.Slice(types, func(i, j int) bool {
		if types[i].r != types[j].r {
			return types[i].r > types[j].r
		}
		return types[i].t < types[j].t
	})
	var b strings.Builder
	fmt.Fprintf(&b, "ttpwatch stats: %d events (%.1f/s", cur.Events, r.Events)
	for i, t := range types {
		if i == 8 {
			fmt.Fprintf(&b, " +%d types", len(types)-i)
			break
		}
		fmt.Fprintf(&b, " %s=%.1f", t.t, t.r)
	}
	fmt.Fprintf(&b, "), %d alerts (%.1f/s), drops kernel=%d queue=%d ui_alerts=%d ui_events=%d",
		cur.Alerts, r.Alerts, cur.KernelDrops, cur.QueueDrops, cur.AlertRingDrops, cur.EventRingDrops)
	if cur.SinkErrors > 0 {
		fmt.Fprintf(&b, ", %d alert write errors (last: %s)", cur.SinkErrors, cur.LastSinkError)
	}
	return b.String()
}

// notable reports whether an event belongs in a process's recent history
// when raw mode is off: it changes something or talks to the network.
func notable(ev *event.Event) bool {
	switch ev.Type {
	case event.TypeOpen, event.TypeOpenat, event.TypeOpenat2:
		const write = 0x3 | 0x40 | 0x200 // O_ACCMODE (write or rdwr), O_CREAT, O_TRUNC
		return ev.Flags&write != 0
	case event.TypeSendto, event.TypeSendmsg, event.TypeRecvfrom, event.TypeRecvmsg,
		event.TypeDup, event.TypeDup2, event.TypeDup3, event.TypeSocket,
		event.TypeClone, event.TypeProcexit, event.TypeUnknown:
		return false
	}
	return true
}

package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sensor"
)

// slabSource behaves like the live decoder: one reused Event whose strings
// point into one reused byte buffer, overwritten by the next record.
type slabSource struct {
	n     int
	paths func(i int) string
	procs *event.Process
}

func (s *slabSource) Run(ctx context.Context, emit func(*event.Event)) error {
	slab := make([]byte, 0, 4096)
	var ev event.Event
	for i := 1; i <= s.n; i++ {
		path := s.paths(i)
		slab = append(slab[:0], path...)
		ev = event.Event{Num: uint64(i), Type: event.TypeOpenat, Proc: s.procs, Res: 3,
			Path: unsafe.String(&slab[0], len(path))}
		emit(&ev)
		clear(slab[:cap(slab)]) // the buffer's next use
	}
	return nil
}

func pathOf(i int) string { return fmt.Sprintf("/data/file-%06d", i) }

// checkEngine records whether every event it sees carries the path of its
// number, and is slow enough that the queue fills.
type checkEngine struct {
	bad  atomic.Uint64
	seen atomic.Uint64
}

func (c *checkEngine) Process(ev *event.Event, _ func(ruleset.Match)) {
	c.seen.Add(1)
	if ev.Path != pathOf(int(ev.Num)) {
		c.bad.Add(1)
	}
	for i := 0; i < 200; i++ {
		_ = strings.Count(ev.Path, "/")
	}
}

func TestQueuedEventsKeepTheirStrings(t *testing.T) {
	proc := &event.Process{Pid: 1, Comm: "x"}
	src := &slabSource{n: 20000, paths: pathOf, procs: proc}
	eng := &checkEngine{}
	p := New(src, eng, Options{QueueLen: 64})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if eng.bad.Load() != 0 {
		t.Errorf("%d of %d queued events had a path overwritten by the source", eng.bad.Load(), eng.seen.Load())
	}
	if s.Events+s.QueueDrops != 20000 || s.Events != eng.seen.Load() {
		t.Errorf("events %d + drops %d != 20000 (engine saw %d)", s.Events, s.QueueDrops, eng.seen.Load())
	}
}

func TestAlertsAndRawEventsKeepTheirStrings(t *testing.T) {
	bash := &event.Process{Pid: 100, Ppid: 1, Comm: "bash", UserName: "alice", Cmdline: "bash"}
	shadow := func(i int) string {
		if i%2 == 0 {
			return "/etc/shadow"
		}
		return "/etc/hostname-is-a-longer-path"
	}
	for _, queue := range []int{0, 16} {
		src := &slabSource{n: 10, paths: shadow, procs: bash}
		p := New(src, testEngine(t), Options{QueueLen: queue})
		p.SetRawEvents(true)
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		b := p.TakeBatch()
		if len(b.Alerts) != 5 {
			t.Fatalf("queue %d: %d alerts, want 5", queue, len(b.Alerts))
		}
		for _, a := range b.Alerts {
			if a.Event.Path != "/etc/shadow" {
				t.Errorf("queue %d: alert on event %d kept path %q", queue, a.Event.Num, a.Event.Path)
			}
		}
		if len(b.Events) != 10 {
			t.Fatalf("queue %d: %d raw events, want 10", queue, len(b.Events))
		}
		for _, ev := range b.Events {
			if ev.Path != shadow(int(ev.Num)) {
				t.Errorf("queue %d: raw event %d kept path %q", queue, ev.Num, ev.Path)
			}
		}
	}
}

func TestQueueArenaFullDropsAndWraps(t *testing.T) {
	q := newEventQueue(4)
	size := len(q.arena)
	big := strings.Repeat("a", size*2/5) // two fit, a third does not
	for i := 0; i < 2; i++ {
		if !q.push(&event.Event{Num: uint64(i), Path: big}) {
			t.Fatalf("push %d failed with room left", i)
		}
	}
	if q.push(&event.Event{Num: 2, Path: big}) {
		t.Fatal("push succeeded into a full arena")
	}
	if !q.push(&event.Event{Num: 3}) {
		t.Fatal("an event without strings was refused while slots are free")
	}
	i := <-q.work
	if q.slots[i].Path != big || q.slots[i].Num != 0 {
		t.Fatalf("first slot = %d %d bytes", q.slots[i].Num, len(q.slots[i].Path))
	}
	q.done(i)
	// The first region is free again: the ring wraps to it.
	if !q.push(&event.Event{Num: 4, Path: big}) {
		t.Fatal("push failed after the consumer released space")
	}
	var nums []uint64
	for len(nums) < 3 {
		i := <-q.work
		if q.slots[i].Num != 3 && q.slots[i].Path != big {
			t.Errorf("slot %d path corrupted", q.slots[i].Num)
		}
		nums = append(nums, q.slots[i].Num)
		q.done(i)
	}
	if fmt.Sprint(nums) != "[1 3 4]" {
		t.Errorf("order %v, want [1 3 4]", nums)
	}
	if q.push(&event.Event{Path: strings.Repeat("b", size+1)}) {
		t.Error("an event larger than the arena was accepted")
	}
}

func TestQueuePushZeroAlloc(t *testing.T) {
	q := newEventQueue(8)
	ev := &event.Event{Type: event.TypeOpenat, Path: "/etc/passwd", Path2: "/tmp/x"}
	n := testing.AllocsPerRun(1000, func() {
		q.push(ev)
		q.done(<-q.work)
	})
	if n != 0 {
		t.Errorf("push+done allocates %v times", n)
	}
}

var _ sensor.Source = (*slabSource)(nil)

package ui

import (
	"sync"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

func TestQueueDropsOldestAndCounts(t *testing.T) {
	q := NewQueue(3, 2)
	q.Stats = func() Stats { return Stats{Drops: map[string]uint64{"kernel": 7}} }
	e := &event.Event{}
	for i := range 5 {
		e.Num = uint64(i)
		q.Event(e) // the caller reuses e, as the pipeline does
	}
	for i := range 3 {
		q.Alert(&ruleset.Detection{Priority: ruleset.Priority(i)})
	}
	b := q.Poll()
	var nums []uint64
	for _, ev := range b.Events {
		nums = append(nums, ev.Num)
	}
	if len(nums) != 3 || nums[0] != 2 || nums[2] != 4 {
		t.Fatalf("events = %v, want the newest 3 (2 3 4) in order", nums)
	}
	if len(b.Alerts) != 2 || b.Alerts[0].Priority != 1 || b.Alerts[1].Priority != 2 {
		t.Fatalf("alerts = %v, want the newest 2 in order", b.Alerts)
	}
	if b.Stats.Drops["ui"] != 3 || b.Stats.Drops["kernel"] != 7 {
		t.Fatalf("drops = %v, want ui 3 (2 events, 1 alert) and kernel 7", b.Stats.Drops)
	}
	if b2 := q.Poll(); len(b2.Events) != 0 || len(b2.Alerts) != 0 {
		t.Fatalf("second poll not empty: %d events, %d alerts", len(b2.Events), len(b2.Alerts))
	}
}

func TestQueueConcurrent(t *testing.T) {
	q := NewQueue(64, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e := &event.Event{}
		for i := range 10000 {
			e.Num = uint64(i)
			q.Event(e)
		}
	}()
	var got, last uint64
	first := true
	for got+q.Dropped() < 10000 {
		for _, e := range q.Poll().Events {
			if !first && e.Num <= last {
				t.Fatalf("event %d after %d: order lost", e.Num, last)
			}
			first, last = false, e.Num
			got++
		}
	}
	wg.Wait()
	got += uint64(len(q.Poll().Events))
	if got+q.Dropped() != 10000 {
		t.Fatalf("received %d + dropped %d != 10000 sent", got, q.Dropped())
	}
}

func BenchmarkQueueEvent(b *testing.B) {
	q := NewQueue(8192, 1024)
	e := &event.Event{Type: event.TypeOpenat, Path: "/etc/passwd"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.Event(e)
		if i%1000 == 999 { // one poll per 50 ms at 20,000 events/s
			q.Poll()
		}
	}
}

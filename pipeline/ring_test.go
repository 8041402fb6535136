package pipeline

import (
	"reflect"
	"sync"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
)

func TestRingOrderAndDrops(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		push      []int
		wantItems []int
		wantDrops uint64
	}{
		{"empty", 3, nil, nil, 0},
		{"under capacity", 3, []int{1, 2}, []int{1, 2}, 0},
		{"exactly full", 3, []int{1, 2, 3}, []int{1, 2, 3}, 0},
		{"overflow keeps newest", 3, []int{1, 2, 3, 4, 5}, []int{3, 4, 5}, 2},
		{"wraps many times", 2, []int{1, 2, 3, 4, 5, 6, 7}, []int{6, 7}, 5},
		{"size zero means one", 0, []int{1, 2}, []int{2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRing[int](tt.size)
			for _, v := range tt.push {
				r.Push(v)
			}
			if r.Len() != len(tt.wantItems) {
				t.Errorf("Len = %d, want %d", r.Len(), len(tt.wantItems))
			}
			got := r.Drain(nil)
			if !reflect.DeepEqual(got, tt.wantItems) {
				t.Errorf("Drain = %v, want %v", got, tt.wantItems)
			}
			if r.Drops() != tt.wantDrops || r.Pushed() != uint64(len(tt.push)) {
				t.Errorf("drops %d pushed %d, want %d %d", r.Drops(), r.Pushed(), tt.wantDrops, len(tt.push))
			}
			if r.Len() != 0 || len(r.Drain(nil)) != 0 {
				t.Error("ring not empty after Drain")
			}
		})
	}
}

func TestRingInterleavedPushDrain(t *testing.T) {
	r := NewRing[int](4)
	var got []int
	next := 0
	for round := 0; round < 50; round++ {
		for i := 0; i < round%6; i++ {
			r.Push(next)
			next++
		}
		got = r.Drain(got)
	}
	// Every value pushed appears once, in order, except those dropped.
	if uint64(len(got))+r.Drops() != uint64(next) {
		t.Fatalf("%d drained + %d dropped != %d pushed", len(got), r.Drops(), next)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("out of order at %d: %v", i, got)
		}
	}
}

func TestRingConcurrent(t *testing.T) {
	r := NewRing[int](64)
	var wg sync.WaitGroup
	const n = 20000
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			r.Push(i)
		}
	}()
	var got []int
	for r.Pushed() < n {
		got = r.Drain(got)
	}
	wg.Wait()
	got = r.Drain(got)
	if uint64(len(got))+r.Drops() != n {
		t.Fatalf("%d drained + %d dropped != %d", len(got), r.Drops(), n)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("out of order at %d", i)
		}
	}
}

func TestRingPushEventZeroAlloc(t *testing.T) {
	r := NewRing[event.Event](128)
	ev := event.Event{Type: event.TypeOpenat, Path: "/etc/passwd"}
	if n := testing.AllocsPerRun(1000, func() { r.Push(ev) }); n != 0 {
		t.Errorf("Push allocates %v times", n)
	}
}

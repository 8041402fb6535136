package pipeline

import (
	"sync"
	"sync/atomic"
)

// Ring is a bounded FIFO that never blocks its producer: when full, Push
// overwrites the oldest item and counts a drop. The ui side drains it in
// batches. Items are stored by value, so a ring of event.Event copies
// events without allocating. It is safe for one or more producers and
// consumers.
type Ring[T any] struct {
	mu    sync.Mutex
	buf   []T
	head  int // index of the oldest item
	n     int
	drops atomic.Uint64
	total atomic.Uint64
}

// NewRing returns a ring holding at most size items (at least 1).
func NewRing[T any](size int) *Ring[T] {
	if size < 1 {
		size = 1
	}
	return &Ring[T]{buf: make([]T, size)}
}

// Push appends v, dropping the oldest item when the ring is full.
func (r *Ring[T]) Push(v T) {
	r.mu.Lock()
	if r.n == len(r.buf) {
		r.buf[r.head] = v
		r.head++
		if r.head == len(r.buf) {
			r.head = 0
		}
		r.mu.Unlock()
		r.drops.Add(1)
		r.total.Add(1)
		return
	}
	i := r.head + r.n
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	r.buf[i] = v
	r.n++
	r.mu.Unlock()
	r.total.Add(1)
}

// Drain appends every item, oldest first, to into and empties the ring.
func (r *Ring[T]) Drain(into []T) []T {
	var zero T
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; r.n > 0; r.n-- {
		into = append(into, r.buf[r.head])
		r.buf[r.head] = zero // release what the item references
		r.head++
		if r.head == len(r.buf) {
			r.head = 0
		}
	}
	r.head = 0
	return into
}

// Len returns the number of items waiting.
func (r *Ring[T]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Cap returns the ring's capacity.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// Drops returns how many items were overwritten before being drained.
func (r *Ring[T]) Drops() uint64 { return r.drops.Load() }

// Pushed returns how many items were ever pushed.
func (r *Ring[T]) Pushed() uint64 { return r.total.Load() }

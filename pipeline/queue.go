package pipeline

import (
	"sync/atomic"
	"unsafe"

	"github.com/ttpwatch/ttpwatch/event"
)

// The live decoder's event strings (paths, fs type, unix socket path) point
// into a buffer it reuses for the next record, and a replay or any source
// may reuse its event. So an event that outlives the emit call must carry
// its own copy of those strings: the queue copies them into its arena, and
// whatever is kept longer (alerts, raw events for the ui) gets heap copies.

// arenaBytesPerSlot sizes the queue's string arena: room for paths of about
// this length in every slot at once (most are far shorter).
const arenaBytesPerSlot = 256

// eventQueue is the bounded queue between the source goroutine (producer)
// and the engine goroutine (consumer): fixed event slots plus a byte ring
// for their strings, both reused, so queuing allocates nothing. When either
// is full the event is dropped and counted.
type eventQueue struct {
	slots []event.Event
	ends  []uint64 // arena position after each slot's strings
	free  chan int
	work  chan int

	arena []byte
	head  uint64        // producer's next arena position (monotonic)
	tail  atomic.Uint64 // arena position the consumer has released up to
}

func newEventQueue(n int) *eventQueue {
	q := &eventQueue{
		slots: make([]event.Event, n),
		ends:  make([]uint64, n),
		free:  make(chan int, n),
		work:  make(chan int, n),
		arena: make([]byte, max(n*arenaBytesPerSlot, 1<<20)),
	}
	for i := range n {
		q.free <- i
	}
	return q
}

// push copies ev into a free slot and hands it to the consumer; it reports
// false when the queue is full.
func (q *eventQueue) push(ev *event.Event) bool {
	var i int
	select {
	case i = <-q.free:
	default:
		return false
	}
	need := len(ev.Path) + len(ev.Path2) + len(ev.PathRaw) + len(ev.FSType) + len(ev.Sock.UnixPath)
	pos, ok := q.reserve(need)
	if !ok {
		q.free <- i
		return false
	}
	s := &q.slots[i]
	*s = *ev
	buf := q.arena[pos%uint64(len(q.arena)):][:0:need]
	s.Path = arenaString(&buf, ev.Path)
	s.Path2 = arenaString(&buf, ev.Path2)
	s.PathRaw = arenaString(&buf, ev.PathRaw)
	s.FSType = arenaString(&buf, ev.FSType)
	s.Sock.UnixPath = arenaString(&buf, ev.Sock.UnixPath)
	q.ends[i] = q.head
	q.work <- i // never blocks: at most len(slots) indices circulate
	return true
}

// reserve claims n contiguous arena bytes, skipping the end of the ring when
// they would not fit before it. Called by the producer only.
func (q *eventQueue) reserve(n int) (uint64, bool) {
	size := uint64(len(q.arena))
	pos := q.head
	if off := pos % size; off+uint64(n) > size {
		pos += size - off
	}
	if uint64(n) > size || pos+uint64(n)-q.tail.Load() > size {
		return 0, false
	}
	q.head = pos + uint64(n)
	return pos, true
}

// done releases slot i and its strings after the consumer processed it.
// Slots complete in the order they were pushed (the channels are FIFO), so
// the arena's tail only moves forward.
func (q *eventQueue) done(i int) {
	q.tail.Store(q.ends[i])
	q.free <- i
}

// arenaString appends s to buf (whose capacity was reserved) and returns
// the copy.
func arenaString(buf *[]byte, s string) string {
	if s == "" {
		return ""
	}
	start := len(*buf)
	*buf = append(*buf, s...)
	return unsafe.String(&(*buf)[start], len(s))
}

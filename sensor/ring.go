package sensor

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring buffer record header bits (include/uapi/linux/bpf.h).
const (
	ringBusyBit    = 1 << 31
	ringDiscardBit = 1 << 30
	ringHeaderSize = 8
)

// errRingClosed is returned by ring.Drain once Close was called.
var errRingClosed = errors.New("ring buffer closed")

// ring reads a BPF ring buffer map through its memory mapping.
//
// How the reader follows the producer decides what the sensor costs the
// traced tasks: every cache line the reader touches while a producer on
// another CPU writes next to it comes back to the producer as a miss, in
// the traced syscall. cilium/ebpf's ringbuf.Reader stores the consumer
// position after every record (which the producer's next reservation
// reads) and chases the producer record by record. ring instead
//   - publishes the consumer position once per batch (and every
//     ringPublishBytes within a long one),
//   - reads only up to the producer position seen when the batch began,
//   - and after a batch smaller than the kernel's wake-up step
//     (wake_bytes, see wake_flags in bpf/sensor.bpf.c) sleeps until the
//     next wake-up or the poll interval instead of coming straight back,
//
// so that the producer writes well ahead of the reader rather than
// beside it.
type ring struct {
	cons  []byte // consumer page, read-write
	prod  []byte // producer page and the data pages, mapped twice, read-only
	data  []byte // the data area: prod past the first page
	mask  uint64
	consP *uint64
	prodP *uint64

	epfd    int
	closeFd int // an eventfd that wakes a Drain waiting in epoll_wait
	// batchBytes is the kernel's wake-up step: a batch at least this large
	// is followed by another at once, a smaller one by a wait.
	batchBytes uint64
	lastBatch  uint64 // bytes consumed by the last drain

	mu     sync.Mutex // guards the mappings against Close during Drain
	closed atomic.Bool
}

// ringPublishBytes is how much a batch consumes before the consumer
// position is published mid-batch.
const ringPublishBytes = 256 << 10

// newRing maps the ring buffer map mapFD of size bytes (a power of two);
// wakeBytes is the kernel side's wake-up step.
func newRing(mapFD int, size int, wakeBytes uint64) (*ring, error) {
	page := os.Getpagesize()
	cons, err := unix.Mmap(mapFD, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map the ring's consumer page: %w", err)
	}
	// The data pages are mapped twice back to back, so a record that wraps
	// around the end is contiguous.
	prod, err := unix.Mmap(mapFD, int64(page), page+2*size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		unix.Munmap(cons)
		return nil, fmt.Errorf("map the ring's data pages: %w", err)
	}
	r := &ring{
		cons:       cons,
		prod:       prod,
		data:       prod[page:],
		mask:       uint64(size - 1),
		consP:      (*uint64)(unsafe.Pointer(&cons[0])),
		prodP:      (*uint64)(unsafe.Pointer(&prod[0])),
		epfd:       -1,
		closeFd:    -1,
		batchBytes: wakeBytes,
	}
	if r.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		r.unmap()
		return nil, fmt.Errorf("create an epoll instance for the ring: %w", err)
	}
	if r.closeFd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		r.Close()
		return nil, fmt.Errorf("create the ring's close eventfd: %w", err)
	}
	for _, fd := range []int{mapFD, r.closeFd} {
		// Edge-triggered: the ring's poll reports readable while any byte
		// is pending, which would end every wait at once; an edge comes
		// with each wake-up the kernel sends (one per wake_bytes written).
		// A wake-up while Drain is busy stays queued for its next wait.
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(fd)}
		if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			r.Close()
			return nil, fmt.Errorf("watch the ring with epoll: %w", err)
		}
	}
	return r, nil
}

// Drain hands every committed record to fn, in order, then returns the
// number handed. Unless the previous batch was a large one, it first waits
// up to wait for the kernel's next wake-up. A record is valid only until
// fn returns. After Close, Drain returns errRingClosed.
func (r *ring) Drain(wait time.Duration, fn func(rec []byte)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return 0, errRingClosed
	}
	if r.lastBatch < r.batchBytes {
		var events [2]unix.EpollEvent
		// Unlocked while waiting: Close wakes the wait through closeFd
		// and then takes the lock to unmap.
		r.mu.Unlock()
		_, err := unix.EpollWait(r.epfd, events[:], int(wait/time.Millisecond))
		r.mu.Lock()
		if r.closed.Load() {
			return 0, errRingClosed
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			return 0, fmt.Errorf("wait for the ring: %w", err)
		}
	}
	return r.drain(fn), nil
}

// drain walks the records committed before it began, from the consumer
// position.
func (r *ring) drain(fn func(rec []byte)) int {
	cons := atomic.LoadUint64(r.consP)
	prod := atomic.LoadUint64(r.prodP)
	first, published := cons, cons
	n := 0
	for cons < prod {
		at := cons & r.mask
		// An atomic load of the length pairs with the kernel's xchg at
		// commit: once the busy bit is clear, the record's bytes are visible.
		hdr := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.data[at])))
		if hdr&ringBusyBit != 0 {
			break // not committed yet: later records wait for it
		}
		size := uint64(hdr &^ (ringBusyBit | ringDiscardBit))
		start := at + ringHeaderSize
		cons += (ringHeaderSize + size + 7) &^ 7
		if hdr&ringDiscardBit == 0 {
			fn(r.data[start : start+size : start+size])
			n++
		}
		if cons-published >= ringPublishBytes {
			atomic.StoreUint64(r.consP, cons)
			published = cons
		}
	}
	if cons != published {
		atomic.StoreUint64(r.consP, cons)
	}
	r.lastBatch = cons - first
	return n
}

// Close wakes a waiting Drain and unmaps the ring. It is safe to call more
// than once.
func (r *ring) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if r.closeFd >= 0 {
		var one = [8]byte{1}
		unix.Write(r.closeFd, one[:])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.epfd >= 0 {
		unix.Close(r.epfd)
	}
	if r.closeFd >= 0 {
		unix.Close(r.closeFd)
	}
	return r.unmap()
}

func (r *ring) unmap() error {
	return errors.Join(unix.Munmap(r.prod), unix.Munmap(r.cons))
}

package sensor

import (
	"encoding/binary"
	"fmt"
	"testing"
	"unsafe"
)

// fakeRing builds a ring over plain memory laid out as the kernel's: the
// data area twice (a record may run past the end into the second copy).
type fakeRing struct {
	r          *ring
	cons, prod uint64
	size       uint64
}

func newFakeRing(size uint64) *fakeRing {
	f := &fakeRing{size: size}
	data := make([]byte, 2*size)
	f.r = &ring{
		data:  data,
		mask:  size - 1,
		consP: &f.cons,
		prodP: &f.prod,
	}
	return f
}

// put writes a record at the producer position with the given header bits.
func (f *fakeRing) put(payload string, bits uint32) {
	at := f.prod & f.r.mask
	hdr := uint32(len(payload)) | bits
	f.write(at, binary.LittleEndian.AppendUint32(nil, hdr))
	f.write(at+8, []byte(payload))
	f.prod += (8 + uint64(len(payload)) + 7) &^ 7
}

// write stores b at the ring offset at in both copies of the data area, as
// the double mapping would show it.
func (f *fakeRing) write(at uint64, b []byte) {
	for i, c := range b {
		p := (at + uint64(i)) & f.r.mask
		f.r.data[p] = c
		f.r.data[p+f.size] = c
	}
}

func (f *fakeRing) collect() ([]string, int) {
	var got []string
	n := f.r.drain(func(rec []byte) { got = append(got, string(rec)) })
	return got, n
}

func TestRingDrain(t *testing.T) {
	f := newFakeRing(64)
	f.put("one", 0)
	f.put("discarded", ringDiscardBit)
	f.put("two", 0)
	got, n := f.collect()
	if fmt.Sprint(got) != "[one two]" || n != 2 {
		t.Fatalf("drain = %q (%d), want [one two]", got, n)
	}
	if f.cons != f.prod {
		t.Errorf("consumer position %d after the batch, want the producer's %d", f.cons, f.prod)
	}

	// a record still being written stops the batch there, and the
	// consumer position stays before it
	f.put("three", 0)
	busyAt := f.prod
	f.put("four", ringBusyBit)
	f.put("five", 0)
	got, _ = f.collect()
	if fmt.Sprint(got) != "[three]" || f.cons != busyAt {
		t.Fatalf("drain with a busy record = %q, cons %d; want [three], cons %d", got, f.cons, busyAt)
	}
	// once committed, the rest follows
	hdr := (*uint32)(unsafe.Pointer(&f.r.data[busyAt&f.r.mask]))
	*hdr &^= ringBusyBit
	f.write(busyAt&f.r.mask, binary.LittleEndian.AppendUint32(nil, *hdr))
	got, _ = f.collect()
	if fmt.Sprint(got) != "[four five]" {
		t.Fatalf("drain after the commit = %q, want [four five]", got)
	}

	// records that wrap past the end of the area arrive whole
	for i := range 10 {
		s := fmt.Sprintf("record-%02d-wraps", i)
		f.put(s, 0)
		got, _ = f.collect()
		if len(got) != 1 || got[0] != s {
			t.Fatalf("record %d: drain = %q, want %q", i, got, s)
		}
	}
	if got, n := f.collect(); n != 0 {
		t.Errorf("drain of an empty ring = %q", got)
	}
}

// TestRingPublishesMidBatch checks that a long batch frees space as it goes
// rather than only at its end.
func TestRingPublishesMidBatch(t *testing.T) {
	f := newFakeRing(1 << 20)
	payload := string(make([]byte, 4088)) // 4 KiB records with the header
	for range 200 {
		f.put(payload, 0)
	}
	var seen []uint64
	f.r.drain(func([]byte) { seen = append(seen, f.cons) })
	moved := 0
	for i := 1; i < len(seen); i++ {
		if seen[i] != seen[i-1] {
			moved++
		}
	}
	if want := int(200*4096/ringPublishBytes) - 1; moved < want {
		t.Errorf("consumer position moved %d times during a batch of 800 KiB, want at least %d", moved, want)
	}
	if f.cons != f.prod {
		t.Errorf("consumer position %d after the batch, want %d", f.cons, f.prod)
	}
}

// BenchmarkRingDrain measures the reader's own cost per record (the
// callback does nothing) over a batch of openat-sized records: it must
// allocate nothing.
func BenchmarkRingDrain(b *testing.B) {
	f := newFakeRing(1 << 20)
	payload := string(make([]byte, 248))
	const batch = 256
	for range batch {
		f.put(payload, 0)
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		f.cons = 0 // the same committed batch, read again
		n += f.r.drain(func([]byte) {})
	}
	if n != b.N*batch {
		b.Fatalf("drained %d records in %d loops, want %d", n, b.N, b.N*batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

// Package sensor produces enriched events: from the kernel through eBPF
// (live) or from a capture file (replay). It keeps the process table that
// gives every event its process, ancestry, user and container.
package sensor

import (
	"context"

	"github.com/ttpwatch/ttpwatch/event"
)

// TaskInfo is what every kernel record says about the task that produced it.
// The decoder fills it from the record header; the process table uses it to
// find or create the event's process.
type TaskInfo struct {
	Time     int64 // unix ns
	Pid      uint32
	Tid      uint32
	Ppid     uint32
	Uid      uint32
	Gid      uint32
	Euid     uint32
	LoginUID uint32
	Sid      uint32
	Pgid     uint32
	Vpid     uint32
	Tty      uint32
	CgroupID uint64
	CapEff   uint64
	CapPrm   uint64
	Comm     string
}

// ExecInfo is what an exec record adds to the task's header.
type ExecInfo struct {
	ExePath       string
	Argv          []string // argv[0] included
	ArgsTruncated bool
	Cwd           string
	FromMemfd     bool
	UpperLayer    bool
	// Env is the environment the image was started with: KEY=VALUE entries
	// separated by NUL (no final NUL), nil when unknown. From a live record it
	// points into the record and is valid only during ProcessTable.Exec, which
	// interns it. At most envCap bytes: EnvTruncated says the rest was cut
	// (the partial last variable is dropped).
	Env          []byte
	EnvTruncated bool
	// ExeIno and ExeMtime describe the executable's inode (unix ns), 0
	// when unknown.
	ExeIno   uint64
	ExeMtime int64
}

// Source delivers events in order to a single consumer. Run blocks until ctx
// is done or the source ends (end of a capture), then returns; the event
// passed to emit is reused after emit returns.
type Source interface {
	Run(ctx context.Context, emit func(*event.Event)) error
}

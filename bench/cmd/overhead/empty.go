package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// lifecycle are the raw tracepoints the sensor always attaches, with the
// empty object's program for each (bpf/empty.bpf.c).
var lifecycle = [...]struct{ tracepoint, program string }{
	{"sched_process_exec", "tw_exec"},
	{"sched_process_fork", "tw_fork"},
	{"sched_process_exit", "tw_exit"},
}

// tracepointOf names the syscalls/sys_{enter,exit}_X tracepoint of an event
// type: the Falco name, except umount2 whose tracepoint is "umount".
func tracepointOf(t event.Type) string {
	if t == event.TypeUmount2 {
		return "umount"
	}
	return t.String()
}

// defaultSyscalls returns the syscall tracepoints the sensor attaches for
// the default rules: those of the event types the enabled rules need that
// the empty object has programs for (execve's success, fork and exit come
// from the lifecycle hooks).
func defaultSyscalls(spec *ebpf.CollectionSpec) ([]string, error) {
	rs, err := ruleset.LoadDefaults()
	if err != nil {
		return nil, fmt.Errorf("load the default rules: %w", err)
	}
	e, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("compile the default rules: %w", err)
	}
	var out []string
	for _, t := range e.NeededTypes() {
		sys := tracepointOf(t)
		if spec.Programs["tw_en_"+sys] != nil && spec.Programs["tw_ex_"+sys] != nil {
			out = append(out, sys)
		}
	}
	return out, nil
}

// emptyHooks is the empty-program object attached to the sensor's hooks.
type emptyHooks struct {
	coll  *ebpf.Collection
	links []link.Link
	// skipped are tracepoints this kernel lacks (as the sensor skips them).
	skipped []string
}

// attachEmpty loads the empty-program object at path and attaches it to the
// lifecycle hooks and to syscalls' enter and exit tracepoints.
func attachEmpty(spec *ebpf.CollectionSpec, syscalls []string) (*emptyHooks, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raise the locked-memory limit: %w", err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load the empty programs: %w", err)
	}
	h := &emptyHooks{coll: coll}
	for _, lc := range lifecycle {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: lc.tracepoint, Program: coll.Programs[lc.program]})
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("attach empty program to %s: %w", lc.tracepoint, err)
		}
		h.links = append(h.links, l)
	}
	for _, sys := range syscalls {
		for _, dir := range []string{"exit", "enter"} {
			prog := "tw_ex_" + sys
			if dir == "enter" {
				prog = "tw_en_" + sys
			}
			l, err := link.Tracepoint("syscalls", "sys_"+dir+"_"+sys, coll.Programs[prog], nil)
			if errors.Is(err, os.ErrNotExist) {
				h.skipped = append(h.skipped, "sys_"+dir+"_"+sys)
				continue
			}
			if err != nil {
				h.Close()
				return nil, fmt.Errorf("attach empty program to sys_%s_%s: %w", dir, sys, err)
			}
			h.links = append(h.links, l)
		}
	}
	return h, nil
}

// Close detaches and unloads everything.
func (h *emptyHooks) Close() {
	for _, l := range h.links {
		l.Close()
	}
	h.links = nil
	h.coll.Close()
}

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// bpfObjects are the BPF objects one process holds open, by kernel id, as
// its /proc/PID/fdinfo tells.
type bpfObjects struct {
	progs, maps, links map[uint32]bool
	// linked are the programs attached through the process's links.
	linked map[uint32]bool
}

// heldBPF reads the BPF program, map and link file descriptors of pid.
func heldBPF(pid int) (bpfObjects, error) {
	o := bpfObjects{progs: map[uint32]bool{}, maps: map[uint32]bool{}, links: map[uint32]bool{}, linked: map[uint32]bool{}}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		return o, fmt.Errorf("list fds of %d: %w", pid, err)
	}
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		var kind string
		switch target {
		case "anon_inode:bpf-prog":
			kind = "prog"
		case "anon_inode:bpf-map":
			kind = "map"
		case "anon_inode:bpf_link":
			kind = "link"
		default:
			continue
		}
		info, err := fdinfo(pid, e.Name())
		if err != nil {
			continue
		}
		switch kind {
		case "prog":
			o.progs[info["prog_id"]] = true
		case "map":
			o.maps[info["map_id"]] = true
		case "link":
			o.links[info["link_id"]] = true
			o.linked[info["prog_id"]] = true
		}
	}
	return o, nil
}

// fdinfo parses the numeric "key:\tvalue" lines of /proc/PID/fdinfo/FD.
func fdinfo(pid int, fd string) (map[string]uint32, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]uint32{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
			out[k] = uint32(n)
		}
	}
	return out, sc.Err()
}

// kernelBPF lists every program, map and link id the kernel has loaded.
func kernelBPF() (bpfObjects, error) {
	o := bpfObjects{progs: map[uint32]bool{}, maps: map[uint32]bool{}, links: map[uint32]bool{}}
	for id := ebpf.ProgramID(0); ; {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return o, fmt.Errorf("iterate programs: %w", err)
		}
		o.progs[uint32(next)] = true
		id = next
	}
	for id := ebpf.MapID(0); ; {
		next, err := ebpf.MapGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return o, fmt.Errorf("iterate maps: %w", err)
		}
		o.maps[uint32(next)] = true
		id = next
	}
	it := new(link.Iterator)
	defer it.Close()
	for it.Next() {
		o.links[uint32(it.ID)] = true
	}
	if err := it.Err(); err != nil {
		return o, fmt.Errorf("iterate links: %w", err)
	}
	return o, nil
}

// remaining returns the ids of held that the kernel still has, described.
func remaining(held, kernel bpfObjects) []string {
	var out []string
	add := func(kind string, h, k map[uint32]bool) {
		for id := range h {
			if k[id] {
				out = append(out, fmt.Sprintf("%s %d", kind, id))
			}
		}
	}
	add("program", held.progs, kernel.progs)
	add("map", held.maps, kernel.maps)
	add("link", held.links, kernel.links)
	sort.Strings(out)
	return out
}

// programNames returns the kernel names of program ids (truncated by the
// kernel to 15 bytes, e.g. tw_en_userfault).
func programNames(ids map[uint32]bool) (map[string]bool, error) {
	out := map[string]bool{}
	for id := range ids {
		p, err := ebpf.NewProgramFromID(ebpf.ProgramID(id))
		if err != nil {
			return nil, fmt.Errorf("program %d: %w", id, err)
		}
		info, err := p.Info()
		p.Close()
		if err != nil {
			return nil, fmt.Errorf("program %d info: %w", id, err)
		}
		out[info.Name] = true
	}
	return out, nil
}

package sensor

// The eBPF objects are generated from bpf/ and committed, so that building
// ttpwatch needs no clang. Regenerate with `go generate ./sensor` (clang and
// llvm-strip on PATH); the output is byte for byte reproducible for a given
// clang, which CI checks with git diff.
//
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -strip llvm-strip -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86 -fdebug-prefix-map=${PWD}/..=. -fdebug-compilation-dir=." -target bpfel -type hdr -type sysrec -type execrec sensorBPF ../bpf/sensor.bpf.c
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -strip llvm-strip -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86 -fdebug-prefix-map=${PWD}/..=. -fdebug-compilation-dir=." -target bpfel -no-global-types emptyBPF ../bpf/empty.bpf.c

// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Empty programs on exactly the hooks of sensor.bpf.c. The overhead benchmark
 * attaches them to measure what the hooks themselves cost, apart from the
 * sensor's work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define SYSCALL(name, T, N, P1, D1, P2, D2, S3, SA, SAL, FDP, SOCK)                     \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                  \
	int tw_en_##name(void *ctx) { return 0; }                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                   \
	int tw_ex_##name(void *ctx) { return 0; }
#include "syscalls.h"

SEC("raw_tracepoint/sched_process_exec")
int tw_exec(void *ctx) { return 0; }

SEC("raw_tracepoint/sched_process_fork")
int tw_fork(void *ctx) { return 0; }

SEC("raw_tracepoint/sched_process_exit")
int tw_exit(void *ctx) { return 0; }

/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * The traced syscalls, one X-macro line each, shared by sensor.bpf.c (the
 * real programs) and empty.bpf.c (the empty twins used to measure hook cost).
 *
 * SYSCALL(tracepoint name, event type, N, P1, D1, P2, D2, S3, SA, SAL, FDP, SOCK)
 *   N       number of arguments: the tracepoint record has only these (a
 *           program reading past them is refused at attach)
 *   P1, P2  argument index of a user path string (NA: none)
 *   D1, D2  how a relative P1/P2 is made absolute: a dirfd argument index,
 *           CWD (the task's cwd) or RAW (not a path: kept as passed)
 *   S3      argument index of a short user string (mount's fstype)
 *   SA, SAL argument indexes of a user sockaddr and its length
 *   FDP     argument index of an fd whose file path is recorded (fchmod)
 *   SOCK    where the socket whose addresses are read at exit comes from:
 *           NA, ARG0 (first argument) or RET (the returned fd); for dup*
 *           it tells a reverse shell (a TCP socket duplicated onto 0-2)
 *           from a shell's everyday pipes and files
 * Event type numbers are event.Type in event/event.go.
 */
#ifndef TW_SYSCALL_ARGS
#define TW_SYSCALL_ARGS
#define NA 255
#define CWD 254
#define RAW 253
#define ARG0 1
#define RET 2
#endif

#ifdef SYSCALL

/*      name           type N  P1  D1   P2  D2   S3  SA  SAL FDP SOCK */
SYSCALL(execve,         1, 3,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(execveat,       2, 5,    1,   0,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(open,           5, 3,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(openat,         6, 4,    1,   0,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(openat2,        7, 4,    1,   0,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(creat,          8, 2,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(unlink,         9, 1,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(unlinkat,      10, 3,    1,   0,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(rmdir,         11, 1,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(rename,        12, 2,    0, CWD,   1, CWD, NA, NA, NA, NA, NA)
SYSCALL(renameat,      13, 4,    1,   0,   3,  2,  NA, NA, NA, NA, NA)
SYSCALL(renameat2,     14, 5,    1,   0,   3,  2,  NA, NA, NA, NA, NA)
SYSCALL(mkdir,         15, 2,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(mkdirat,       16, 3,    1,   0,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(chmod,         17, 2,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(fchmod,        18, 2,   NA,  NA,  NA, NA,  NA, NA, NA,  0, NA)
SYSCALL(fchmodat,      19, 3,    1,   0,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(link,          20, 2,    0, CWD,   1, CWD, NA, NA, NA, NA, NA)
SYSCALL(linkat,        21, 5,    1,   0,   3,  2,  NA, NA, NA, NA, NA)
SYSCALL(symlink,       22, 2,    0, RAW,   1, CWD, NA, NA, NA, NA, NA)
SYSCALL(symlinkat,     23, 3,    0, RAW,   2,  1,  NA, NA, NA, NA, NA)
SYSCALL(connect,       24, 3,   NA,  NA,  NA, NA,  NA,  1,  2, NA, ARG0)
SYSCALL(accept,        25, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, RET)
SYSCALL(accept4,       26, 4,   NA,  NA,  NA, NA,  NA, NA, NA, NA, RET)
SYSCALL(bind,          27, 3,   NA,  NA,  NA, NA,  NA,  1,  2, NA, ARG0)
SYSCALL(listen,        28, 2,   NA,  NA,  NA, NA,  NA, NA, NA, NA, ARG0)
SYSCALL(socket,        29, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(sendto,        30, 6,   NA,  NA,  NA, NA,  NA,  4,  5, NA, ARG0)
SYSCALL(sendmsg,       31, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, ARG0)
SYSCALL(recvfrom,      32, 6,   NA,  NA,  NA, NA,  NA, NA, NA, NA, ARG0)
SYSCALL(recvmsg,       33, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, ARG0)
SYSCALL(dup,           34, 1,   NA,  NA,  NA, NA,  NA, NA, NA, NA, ARG0)
SYSCALL(dup2,          35, 2,   NA,  NA,  NA, NA,  NA, NA, NA, NA, ARG0)
SYSCALL(dup3,          36, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, ARG0)
SYSCALL(ptrace,        37, 4,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(setuid,        38, 1,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(setgid,        39, 1,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(setresuid,     40, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(setresgid,     41, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(init_module,   42, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(finit_module,  43, 3,   NA,  NA,  NA, NA,  NA, NA, NA,  0, NA)
SYSCALL(delete_module, 44, 2,    0, RAW,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(bpf,           45, 3,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(memfd_create,  46, 2,    0, RAW,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(mount,         47, 5,    1, CWD,   0, RAW,  2, NA, NA, NA, NA)
SYSCALL(umount,        48, 2,    0, CWD,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(setns,         49, 2,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(unshare,       50, 1,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(kill,          51, 2,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
SYSCALL(userfaultfd,   52, 1,   NA,  NA,  NA, NA,  NA, NA, NA, NA, NA)
#undef SYSCALL
#endif

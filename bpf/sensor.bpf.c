// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * ttpwatch sensor: tracepoint programs that turn process lifecycle and
 * syscalls into records on one ring buffer. CO-RE against the kernel's BTF.
 *
 * Syscalls are traced on their own sys_enter_X/sys_exit_X tracepoints: the
 * enter program copies the arguments (user strings and sockaddrs are read at
 * enter, since user memory can change before exit) into a per-task storage
 * slot; the exit program adds the result and the socket behind the fd and
 * sends the slot. Process lifecycle comes from the sched_process_* raw
 * tracepoints. Record layouts are mirrored by sensor/decode.go.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "syscalls.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define REC_SYSCALL 1
#define REC_EXEC 2
#define REC_FORK 3
#define REC_EXIT 4

#define T_EXECVE 1
#define T_EXECVEAT 2
#define T_CLONE 3
#define T_PROCEXIT 4
#define T_OPENAT2 7
#define T_SENDMSG 31
#define T_RECVFROM 32
#define T_RECVMSG 33
#define T_SETUID 38
#define T_SETGID 39
#define T_SETRESUID 40
#define T_SETRESGID 41

/* String area of a syscall record: fields are packed one after the other. */
#define DATA_SZ 8192
#define DATA_MASK (DATA_SZ - 1)
#define STR_CAP 1024  /* user path strings, NUL included */
#define SHORT_CAP 64  /* fstype */
#define NAME_CAP 256  /* one path component */
#define WALK_CAP 2048 /* a dentry walk, all components */
#define WALK_DEPTH 32 /* components and mount crossings walked */
#define ARGV_CAP 4096
#define ENV_CAP 4096  /* environment block of an exec */
#define UNIX_PATH 108

/* String fields of a syscall record, in data order. */
#define F_P1 0  /* first user path or name */
#define F_D1 1  /* directory of F_P1 (dentry walk), or the file of FDP */
#define F_P2 2  /* second user path */
#define F_D2 3  /* directory of F_P2 */
#define F_S3 4  /* short string */
#define F_SA 5  /* a user sockaddr (raw, at most 110 bytes) */
#define F_UN 6  /* unix socket path of the traced socket */
#define NFIELDS 7

/* Record flags. */
#define FL_D1 1        /* F_D1 holds a walk (possibly of "/": no components) */
#define FL_D2 2        /* F_D2 holds a walk */
#define FL_TRUNC 4     /* a walk hit WALK_DEPTH or WALK_CAP */
#define FL_ARGV_TRUNC 8
#define FL_UPPER 16 /* exe on an overlayfs upper layer */
#define FL_SA 32    /* F_SA holds a user sockaddr */
#define FL_ENV_TRUNC 64 /* the environment exceeded ENV_CAP */

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define AT_FDCWD -100
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* Syscall tracepoint contexts (see events/syscalls/sys_*_X/format): a plain
 * layout without CO-RE, since the verifier wants direct ctx loads. */
struct sys_enter_ctx {
	u64 common;
	s64 nr;
	u64 args[6];
};

struct sys_exit_ctx {
	u64 common;
	s64 nr;
	s64 ret;
};

/* Header common to every record. */
struct hdr {
	u64 ts; /* CLOCK_BOOTTIME ns */
	u64 cgroup;
	u64 cap_eff;
	u64 cap_prm;
	u16 kind; /* REC_* */
	u16 type; /* event type */
	u32 pid;
	u32 tid;
	u32 ppid;
	u32 uid;
	u32 gid;
	u32 euid;
	u32 loginuid;
	u32 sid;
	u32 pgid;
	u32 vpid;
	u32 tty;
	u32 cpu;
	u32 pad;
	char comm[16];
};

struct sockinfo {
	u16 family;
	u16 type;
	u16 proto;
	u16 lport;
	u16 rport;
	u16 pad[3];
	u8 laddr[16];
	u8 raddr[16];
};

struct sysrec {
	struct hdr h;
	s64 ret;
	u64 args[6];
	struct sockinfo sk;
	u16 len[NFIELDS];
	u16 flags;
	/* Bookkeeping between enter and exit, sent but meaningless. */
	u32 active; /* event type whose enter ran, 0 when idle */
	u32 off;    /* bytes used in data */
	u8 data[DATA_SZ + WALK_CAP + 2 * NAME_CAP];
};

/* The exec string area: argv, filename and the walks stay below DATA_SZ
 * (walks stop there), the environment comes last and may reach past it. */
#define EXEC_DATA_SZ (DATA_SZ + ENV_CAP)

struct execrec {
	struct hdr h;
	u16 len[5]; /* argv, filename, exe walk, cwd walk, env: in data order */
	u16 flags;
	u16 pad[2];
	u32 off;
	u32 pad2;
	u64 busy; /* set while a program builds the record (not meaningful when sent) */
	u64 exe_mtime; /* the exe's modification time, unix ns (0 when unknown) */
	u64 exe_ino;
	u8 data[EXEC_DATA_SZ];
};

struct forkrec {
	struct hdr h;
	u32 child_pid;
	u32 child_tid;
};

struct exitrec {
	struct hdr h;
	s32 code;
	u32 pad;
};


struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* mapped twice by the reader: 16 MiB of its RSS */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sysrec);
} pending SEC(".maps");

/* Scratch for records built and sent by one program run. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct execrec);
} exec_scratch SEC(".maps");

/* ttpwatch's own tgid, set by the loader: its syscalls are not traced. */
const volatile u32 self_tgid = 0;
/* When ttpwatch runs in a child pid namespace (a container), self_tgid is
 * its pid there and these name that namespace (nsfs device and inode). */
const volatile u64 self_ns_dev = 0;
const volatile u64 self_ns_ino = 0;
/* Wake the reader only when this much is pending; it also polls. */
const volatile u64 wake_bytes = 65536;

/* is_self reports whether the current task belongs to ttpwatch. */
static __always_inline bool is_self(void)
{
	if (self_ns_ino) {
		struct bpf_pidns_info ns = {};
		if (bpf_get_ns_current_pid_tgid(self_ns_dev, self_ns_ino, &ns, sizeof(ns)))
			return false; /* not in ttpwatch's namespace */
		return ns.tgid == self_tgid;
	}
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

static __always_inline void count_drop(void)
{
	u32 z = 0;
	u64 *n = bpf_map_lookup_elem(&drops, &z);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/*
 * wake_flags says whether committing a record of size bytes wakes the reader:
 * only when the pending data crosses a multiple of wake_bytes. Waking on every
 * record while wake_bytes or more are pending (as before) sent a self-IPI
 * (irq_work) per record for as long as the reader took to wake up and catch
 * up; a crossing wakes it once per wake_bytes written. Two CPUs racing past a
 * multiple may both miss it: the next multiple, or the reader's poll
 * interval, covers that.
 */
static __always_inline u64 wake_flags(u64 size)
{
	u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	/* +8: the ring's own record header */
	if (avail / wake_bytes != (avail + size + 8) / wake_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* send puts a record of head bytes plus n bytes of strings on the ring. */
static __always_inline void send(void *data, u32 head, u32 n)
{
	barrier_var(n);
	n &= DATA_MASK;
	if (bpf_ringbuf_output(&events, data, head + n, wake_flags(head + n)))
		count_drop();
}

/* pid_nr is pid_nr(p) (ns false) or its number in its own namespace (the
 * innermost: pid_vnr as seen from inside). Level 0, the common case, is a
 * direct load; a deeper level needs a variable index, which only a probe
 * read allows. */
static __always_inline u32 pid_nr(struct pid *p, bool ns)
{
	if (!p)
		return 0;
	u32 level = ns ? p->level : 0;
	if (level == 0)
		return p->numbers[0].nr;
	u32 nr = 0;
	void *at = (void *)p + bpf_core_field_offset(struct pid, numbers) +
		   (level & 31) * bpf_core_type_size(struct upid) +
		   bpf_core_field_offset(struct upid, nr);
	bpf_probe_read_kernel(&nr, sizeof(nr), at);
	return nr;
}

/* cap_read reads a kernel_cap_t: a u64 since 6.3, two u32 before (8 bytes
 * either way, which only a probe read can load as one). */
#define cap_read(dst, capp)                                                        \
	do {                                                                       \
		if (bpf_core_field_exists((capp)->val))                            \
			(dst) = (capp)->val;                                       \
		else                                                               \
			bpf_probe_read_kernel(&(dst), 8,                           \
				__builtin_preserve_access_index(capp));            \
	} while (0)

/*
 * fill_hdr fills the header from the current task. The task pointer comes
 * from bpf_get_current_task_btf, so the chains below are direct loads the
 * verifier turns into fault-tolerant PROBE_MEM loads (a NULL or bad pointer
 * reads as 0), not one bpf_probe_read_kernel helper call each.
 */
static __always_inline void fill_hdr(struct hdr *h, u16 kind, u16 type)
{
	struct task_struct *t = bpf_get_current_task_btf();
	u64 pt = bpf_get_current_pid_tgid();

	h->ts = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->type = type;
	h->pid = pt >> 32;
	h->tid = (u32)pt;
	h->cgroup = bpf_get_current_cgroup_id();
	h->cpu = bpf_get_smp_processor_id();
	h->pad = 0;
	/* comm as two direct loads (it is NUL padded by set_task_comm), not a
	 * helper call with a string copy */
	((u64 *)h->comm)[0] = *(u64 *)&t->comm[0];
	((u64 *)h->comm)[1] = *(u64 *)&t->comm[8];
	h->ppid = t->real_parent->tgid;

	/* kuid values: what bpf_get_current_uid_gid returns (mapped into the
	 * initial user namespace, where the mapping is the identity), without
	 * its helper call and namespace lookup */
	const struct cred *c = t->cred;
	h->uid = c->uid.val;
	h->gid = c->gid.val;
	h->euid = c->euid.val;
	cap_read(h->cap_eff, &c->cap_effective);
	cap_read(h->cap_prm, &c->cap_permitted);

	h->loginuid = (u32)-1;
	if (bpf_core_field_exists(t->loginuid))
		h->loginuid = t->loginuid.val;

	struct signal_struct *s = t->signal;
	h->sid = pid_nr(s->pids[PIDTYPE_SID], false);
	h->pgid = pid_nr(s->pids[PIDTYPE_PGID], false);
	h->vpid = pid_nr(s->pids[PIDTYPE_TGID], true);

	h->tty = 0;
	struct tty_struct *tty = s->tty;
	if (tty) {
		int index = tty->index;
		struct tty_driver *drv = tty->driver;
		u32 major = drv->major;
		u32 minor = drv->minor_start + index;
		/* new_encode_dev, as /proc/PID/stat tty_nr */
		h->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
	}
}

struct walk_ctx {
	u8 *base;
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	u32 off;
	u32 start;
	u16 flags;
};

/* One step of a walk: one component written, or one mount crossed. */
static long walk_step(u64 i, struct walk_ctx *w)
{
	/* locals: BPF_CORE_READ must not relocate walk_ctx itself */
	struct dentry *d = w->d;
	struct vfsmount *vm = w->vm;
	struct mount *mnt = w->mnt;
	struct dentry *root = BPF_CORE_READ(vm, mnt_root);
	if (d == root) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt)
			return 1; /* reached the root */
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vm = (struct vfsmount *)((void *)up + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	/* no room left in the string area: the walk is cut */
	if (w->off + NAME_CAP > DATA_MASK) {
		w->flags |= FL_TRUNC;
		return 1;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	const u8 *name = BPF_CORE_READ(d, d_name.name);
	long n = bpf_probe_read_kernel_str(&w->base[w->off & DATA_MASK], NAME_CAP, name);
	if (n <= 0) {
		w->flags |= FL_TRUNC;
		return 1;
	}
	/* masked: keeps the range the verifier tracks fixed, so the loop
	 * converges after one step (offsets stay below DATA_MASK anyway) */
	w->off = (w->off + n) & DATA_MASK;
	/* a pseudo or disconnected dentry (memfd, pipe, deleted directory):
	 * its own name is all there is */
	if (d == parent)
		return 1;
	if (w->off - w->start >= WALK_CAP) {
		w->flags |= FL_TRUNC;
		return 1;
	}
	w->d = parent;
	if (i == WALK_DEPTH - 1)
		w->flags |= FL_TRUNC;
	return 0;
}

/*
 * walk writes the components of (dentry, vfsmount) leaf first, each NUL
 * terminated, at base[off...] and returns the bytes written. Mounts are
 * crossed up to the root of the mount tree. *flags gets FL_TRUNC when the
 * walk stopped before the root. bpf_loop keeps verification linear.
 */
static __always_inline u32 walk(u8 *base, u32 off, struct dentry *d,
				struct vfsmount *vm, u16 *flags)
{
	struct walk_ctx w = {
		.base = base,
		.d = d,
		.vm = vm,
		.mnt = container_of(vm, struct mount, mnt),
		.off = off,
		.start = off,
	};
	bpf_loop(WALK_DEPTH, walk_step, &w, 0);
	*flags |= w.flags;
	return w.off - w.start;
}

static __always_inline struct file *fd_file(struct task_struct *t, int fd)
{
	if (fd < 0)
		return 0;
	/* t is a BTF pointer: direct loads up to the fd array, whose variable
	 * index needs probe reads */
	struct fdtable *fdt = t->files->fdt;
	if ((u32)fd >= fdt->max_fds)
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* walk_dir records in field f the directory a relative path is against. */
static __always_inline void walk_dir(struct sysrec *r, int f, int dirfd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct dentry *d;
	struct vfsmount *vm;

	if (dirfd == AT_FDCWD) {
		/* the walk's pointers must be scalars (probe reads), or the
		 * verifier's states for the bpf_loop callback never converge */
		struct fs_struct *fs = t->fs;
		d = BPF_CORE_READ(fs, pwd.dentry);
		vm = BPF_CORE_READ(fs, pwd.mnt);
	} else {
		struct file *file = fd_file(t, dirfd);
		if (!file)
			return;
		d = BPF_CORE_READ(file, f_path.dentry);
		vm = BPF_CORE_READ(file, f_path.mnt);
	}
	u32 off = r->off & DATA_MASK;
	u32 n = walk(r->data, off, d, vm, &r->flags);
	r->len[f] = n;
	r->off = off + n;
	r->flags |= (f == F_D1) ? FL_D1 : FL_D2;
}

static __always_inline long put_ustr(struct sysrec *r, int f, const void *u)
{
	u32 off = r->off & DATA_MASK;
	long n = bpf_probe_read_user_str(&r->data[off], STR_CAP, u);
	if (n < 0)
		n = 0;
	r->len[f] = n;
	r->off = off + n;
	return n;
}

/* path_arg records a user path and, when relative, what it is against. */
static __always_inline void path_arg(struct sysrec *r, int f, int pa, int da)
{
	const char *u = (const char *)r->args[pa];
	u32 off = r->off & DATA_MASK;
	/* An empty path (AT_EMPTY_PATH) still gets its dirfd walked. */
	if (put_ustr(r, f, u) <= 0 || da == RAW)
		return;
	if (r->data[off & DATA_MASK] == '/')
		return;
	int dirfd = AT_FDCWD;
	if (da != CWD)
		dirfd = (int)r->args[da];
	walk_dir(r, f + 1, dirfd);
}

static __always_inline void user_sockaddr(struct sysrec *r, const void *u, u32 len)
{
	if (!u)
		return;
	/* sockaddr_un (110 bytes) is the largest family decoded */
	if (len > 110)
		len = 110;
	barrier_var(len);
	len &= 0x7f;
	u32 off = r->off & DATA_MASK;
	if (len > 0 && bpf_probe_read_user(&r->data[off], len, u) == 0) {
		r->len[F_SA] = len;
		r->off = off + len;
		r->flags |= FL_SA;
	}
}

static __always_inline void msg_sockaddr(struct sysrec *r, const void *umsg)
{
	struct user_msghdr m = {};
	if (bpf_probe_read_user(&m, sizeof(m), umsg))
		return;
	user_sockaddr(r, m.msg_name, (u32)m.msg_namelen);
}

static __always_inline int do_enter(struct sys_enter_ctx *ctx, u32 type, int nargs,
				    int p1, int d1, int p2, int d2, int s3, int sa,
				    int sal, int fdp)
{
	if (is_self())
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct sysrec *r = bpf_task_storage_get(&pending, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!r)
		return 0;

	r->active = type;
	r->off = 0;
	r->flags = 0;
#pragma unroll
	for (int i = 0; i < NFIELDS; i++)
		r->len[i] = 0;
	/* One load each (the verifier refuses a derived ctx pointer), and only
	 * the syscall's own arguments: the record ends after them. */
	r->args[0] = nargs > 0 ? ctx->args[0] : 0;
	r->args[1] = nargs > 1 ? ctx->args[1] : 0;
	r->args[2] = nargs > 2 ? ctx->args[2] : 0;
	r->args[3] = nargs > 3 ? ctx->args[3] : 0;
	r->args[4] = nargs > 4 ? ctx->args[4] : 0;
	r->args[5] = nargs > 5 ? ctx->args[5] : 0;
	__builtin_memset(&r->sk, 0, sizeof(r->sk));

	if (type >= T_SETUID && type <= T_SETRESGID) {
		/* the caller's ids before the call (args 4 and 5 are free): the
		 * header, filled at exit, has the new ones */
		const struct cred *c = t->cred;
		bool uids = type == T_SETUID || type == T_SETRESUID;
		r->args[4] = uids ? c->uid.val : c->gid.val;
		r->args[5] = uids ? c->euid.val : c->egid.val;
	}

	if (type == T_OPENAT2) {
		/* openat2 passes its flags in struct open_how: args 2..4 become
		 * how.flags, how.mode, how.resolve. */
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), (void *)r->args[2]);
		r->args[2] = how.flags;
		r->args[3] = how.mode;
		r->args[4] = how.resolve;
	}

	if (p1 != NA)
		path_arg(r, F_P1, p1, d1);
	if (fdp != NA) {
		struct file *file = fd_file(t, (int)r->args[fdp]);
		if (file) {
			u32 off = r->off & DATA_MASK;
			u32 n = walk(r->data, off,
				     BPF_CORE_READ(file, f_path.dentry),
				     BPF_CORE_READ(file, f_path.mnt), &r->flags);
			r->len[F_D1] = n;
			r->off = off + n;
			r->flags |= FL_D1;
		}
	}
	if (p2 != NA)
		path_arg(r, F_P2, p2, d2);
	if (s3 != NA) {
		u32 off = r->off & DATA_MASK;
		long n = bpf_probe_read_user_str(&r->data[off], SHORT_CAP, (void *)r->args[s3]);
		if (n < 0)
			n = 0;
		r->len[F_S3] = n;
		r->off = off + n;
	}
	if (sa != NA)
		user_sockaddr(r, (void *)r->args[sa], (u32)r->args[sal]);
	if (type == T_SENDMSG)
		msg_sockaddr(r, (void *)r->args[1]);
	return 0;
}

/* sock_info records the addresses of the socket behind fd. */
static __always_inline void sock_info(struct sysrec *r, int fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *f = fd_file(t, fd);
	if (!f)
		return;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return;
	struct socket *so = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return;
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r->sk.family = family;
	r->sk.type = BPF_CORE_READ(sk, sk_type);
	r->sk.proto = BPF_CORE_READ(sk, sk_protocol);
	if (family == AF_INET) {
		bpf_core_read(r->sk.laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(r->sk.raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == AF_INET6) {
		bpf_core_read(r->sk.laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(r->sk.raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else if (family == AF_UNIX) {
		struct unix_sock *us = (struct unix_sock *)sk;
		struct unix_address *ua = BPF_CORE_READ(us, addr);
		if (!ua) {
			/* unnamed end: report the peer's name (a client's server) */
			struct sock *peer = BPF_CORE_READ(us, peer);
			if (peer)
				ua = BPF_CORE_READ((struct unix_sock *)peer, addr);
		}
		if (ua) {
			u32 len = (u32)BPF_CORE_READ(ua, len);
			len = len > 2 ? len - 2 : 0; /* minus sun_family */
			if (len > UNIX_PATH)
				len = UNIX_PATH;
			barrier_var(len);
			len &= 0x7f;
			if (len > 0) {
				u32 off = r->off & DATA_MASK;
				void *src = (void *)ua + bpf_core_field_offset(struct unix_address, name) + 2;
				if (bpf_probe_read_kernel(&r->data[off], len, src) == 0) {
					r->len[F_UN] = len;
					r->off = off + len;
				}
			}
		}
		return;
	}
	r->sk.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->sk.rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline int do_exit(struct sys_exit_ctx *ctx, u32 type, int sock)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct sysrec *r = bpf_task_storage_get(&pending, t, 0, 0);
	if (!r || r->active != type)
		return 0;
	r->active = 0;
	long ret = ctx->ret;
	/* A successful exec is reported by sched_process_exec. */
	if ((type == T_EXECVE || type == T_EXECVEAT) && ret == 0)
		return 0;
	r->ret = ret;
	if (type == T_RECVFROM && ret >= 0 && r->args[4] && r->args[5]) {
		u32 len = 0;
		bpf_probe_read_user(&len, sizeof(len), (void *)r->args[5]);
		user_sockaddr(r, (void *)r->args[4], len);
	}
	if (type == T_RECVMSG && ret >= 0)
		msg_sockaddr(r, (void *)r->args[1]);
	if (sock == ARG0)
		sock_info(r, (int)r->args[0]);
	else if (sock == RET && ret >= 0)
		sock_info(r, (int)ret);
	fill_hdr(&r->h, REC_SYSCALL, type);
	send(r, __builtin_offsetof(struct sysrec, data), r->off);
	return 0;
}

#define SYSCALL(name, T, N, P1, D1, P2, D2, S3, SA, SAL, FDP, SOCK)                     \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                  \
	int tw_en_##name(struct sys_enter_ctx *ctx)                      \
	{                                                                            \
		return do_enter(ctx, T, N, P1, D1, P2, D2, S3, SA, SAL, FDP);          \
	}                                                                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                   \
	int tw_ex_##name(struct sys_exit_ctx *ctx)                       \
	{                                                                            \
		return do_exit(ctx, T, SOCK);                                        \
	}
#include "syscalls.h"

/* struct inode's mtime before 6.11 (a CO-RE flavour): a timespec64. */
struct inode___ts {
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

/*
 * inode_mtime reads an inode's modification time as unix ns. (Not the
 * ctime: on 6.18 the in-memory i_ctime of an executable was seen moved to
 * the exec's time while stat(2) still reported the old one, so it is not
 * offered.)
 */
static __always_inline u64 inode_mtime(struct inode *ino)
{
	if (bpf_core_field_exists(ino->i_mtime_sec))
		return (u64)BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_mtime_nsec);
	struct inode___ts *old = (void *)ino;
	if (bpf_core_field_exists(old->i_mtime)) {
		struct timespec64 ts = BPF_CORE_READ(old, i_mtime);
		return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	return 0;
}

/*
 * launder passes off through the record's memory: the verifier reads it
 * back as any u32, so the paths that reach a walk with different known
 * ranges of off (argv cut or not, a failed read...) become one state there
 * and the walk is verified once, not once per path (tw_exec took ~0.5 s
 * to verify, most of ttpwatch's start-up).
 */
static __always_inline u32 launder(struct execrec *e, u32 off)
{
	e->off = off;
	barrier();
	return *(volatile u32 *)&e->off;
}

SEC("raw_tracepoint/sched_process_exec")
int tw_exec(struct bpf_raw_tracepoint_args *ctx)
{
	u32 z = 0;
	struct execrec *e = bpf_map_lookup_elem(&exec_scratch, &z);
	if (!e)
		return 0;
	/* A preempted exec on this CPU may hold the scratch: never share it;
	 * the lost record is counted like a full ring. */
	if (__sync_lock_test_and_set(&e->busy, 1)) {
		count_drop();
		return 0;
	}
	struct task_struct *t = bpf_get_current_task_btf();
	u16 type = T_EXECVE;
	struct sysrec *r = bpf_task_storage_get(&pending, t, 0, 0);
	if (r && r->active == T_EXECVEAT)
		type = T_EXECVEAT;
	fill_hdr(&e->h, REC_EXEC, type);
	e->flags = 0;
	e->off = 0;

	struct mm_struct *mm = t->mm;
	u64 as = mm->arg_start;
	u64 ae = mm->arg_end;
	u64 n = ae > as ? ae - as : 0;
	if (n > ARGV_CAP) {
		n = ARGV_CAP;
		e->flags |= FL_ARGV_TRUNC;
	}
	if (bpf_probe_read_user(e->data, n, (void *)as))
		n = 0;
	e->len[0] = n;
	u32 off = n;

	/* filename first: every walk must start below DATA_MASK */
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	const char *fn = BPF_CORE_READ(bprm, filename);
	long m = bpf_probe_read_kernel_str(&e->data[off & DATA_MASK], STR_CAP, fn);
	if (m < 0)
		m = 0;
	e->len[1] = m;
	off += m;

	/* walks take probe-read (scalar) pointers: see walk_dir */
	struct file *exe = mm->exe_file;
	off = launder(e, off);
	u32 w = walk(e->data, off & DATA_MASK, BPF_CORE_READ(exe, f_path.dentry),
		     BPF_CORE_READ(exe, f_path.mnt), &e->flags);
	e->len[2] = w;
	off += w;

	struct inode *ino = exe->f_inode;
	e->exe_mtime = inode_mtime(ino);
	e->exe_ino = ino->i_ino;
	if (ino->i_sb->s_magic == OVERLAYFS_SUPER_MAGIC) {
		/* an overlay inode with an upper dentry was copied up or created
		 * in the upper layer: written after the container started */
		struct dentry *upper = 0;
		void *at = (void *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode) +
			   bpf_core_field_offset(struct ovl_inode, __upperdentry);
		bpf_probe_read_kernel(&upper, sizeof(upper), at);
		if (upper)
			e->flags |= FL_UPPER;
	}

	struct fs_struct *fs = t->fs;
	off = launder(e, off);
	w = walk(e->data, off & DATA_MASK, BPF_CORE_READ(fs, pwd.dentry),
		 BPF_CORE_READ(fs, pwd.mnt), &e->flags);
	e->len[3] = w;
	off += w;
	if (off > DATA_MASK)
		off = DATA_MASK;

	/* the environment last, like argv: one bounded read of the block */
	u64 es = mm->env_start;
	u64 ee = mm->env_end;
	u64 en = ee > es ? ee - es : 0;
	if (en > ENV_CAP) {
		en = ENV_CAP;
		e->flags |= FL_ENV_TRUNC;
	}
	/* masked after a barrier: the compiler drops a mask it can prove
	 * redundant, and the verifier needs it to bound the read */
	off = launder(e, off);
	barrier_var(off);
	off &= DATA_MASK;
	if (bpf_probe_read_user(&e->data[off], en, (void *)es))
		en = 0;
	e->len[4] = en;
	off += en;

	u32 size = off;
	barrier_var(size);
	if (size > EXEC_DATA_SZ)
		size = EXEC_DATA_SZ;
	u32 head = __builtin_offsetof(struct execrec, data);
	if (bpf_ringbuf_output(&events, e, head + size, wake_flags(head + size)))
		count_drop();
	__sync_lock_test_and_set(&e->busy, 0);
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int tw_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	u32 tgid = BPF_CORE_READ(child, tgid);
	u32 pid = BPF_CORE_READ(child, pid);
	if (tgid != pid)
		return 0; /* a new thread, not a new process */
	/* asked before the reserve, as send asks before its output */
	u64 wake = wake_flags(sizeof(struct forkrec));
	struct forkrec *f = bpf_ringbuf_reserve(&events, sizeof(*f), 0);
	if (!f) {
		count_drop();
		return 0;
	}
	fill_hdr(&f->h, REC_FORK, T_CLONE);
	f->child_pid = tgid;
	f->child_tid = pid;
	bpf_ringbuf_submit(f, wake);
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int tw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	/* signal->live reaches 0 when the last thread of the group exits */
	if (t->signal->live.counter != 0)
		return 0;
	/* asked before the reserve, as send asks before its output */
	u64 wake = wake_flags(sizeof(struct exitrec));
	struct exitrec *x = bpf_ringbuf_reserve(&events, sizeof(*x), 0);
	if (!x) {
		count_drop();
		return 0;
	}
	fill_hdr(&x->h, REC_EXIT, T_PROCEXIT);
	x->code = t->exit_code;
	x->pad = 0;
	bpf_ringbuf_submit(x, wake);
	return 0;
}

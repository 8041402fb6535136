#!/usr/bin/env bash
# `make bench`: engine, decode and ui benchmarks, then (as root) the sensor's
# overhead on syscall loops and redis, drops and peak RSS under a generated
# storm, and the interface's CPU and key latency under a storm. Prints one
# markdown table and writes it to bench/results.md. DESIGN.md §9 says why
# everything is a ratio measured in the same run.
#
#   make bench                 full run (~6 minutes)
#   BENCH_QUICK=1 make bench   shorter loops and storms (~2 minutes)
#
# A section that cannot run (not root, a package missing, a benchmark not
# written yet) adds a row saying so and the rest goes on.
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
# sudo's secure_path often lacks Go's directory
if ! command -v "$GO" >/dev/null && [ -x /usr/local/go/bin/go ]; then
	GO=/usr/local/go/bin/go
fi
QUICK=${BENCH_QUICK:-0}
BIN=bench/bin            # not /tmp: binaries there trip the scratch-space rules
WORK=$PWD/$BIN/last-run # logs of this run, kept for a look afterwards
rm -rf "$WORK"
mkdir -p "$WORK"
ROWS=$WORK/rows.tsv
: >"$ROWS"

if [ "$QUICK" = 1 ]; then
	BENCHTIME=300ms ROUNDS=3 SAMPLES=3 GETPPID=100000 OPENCLOSE=20000 EXECS=100 REDIS_N=20000
	DROPS_SECS=10 UI_SECS=10
else
	BENCHTIME=1s ROUNDS=7 SAMPLES=5 GETPPID=300000 OPENCLOSE=50000 EXECS=200 REDIS_N=50000
	DROPS_SECS=60 UI_SECS=20
fi

say() { printf '\n== [%ds] %s\n' "$SECONDS" "$*" >&2; }
skip() { # section metric why
	echo "skipped $1 ($2): $3" >&2
	"$BIN/report" skip -results "$ROWS" -section "$1" -metric "$2" -note "$3"
}

say "build"
if ! $GO build -o "$BIN/" ./bench/cmd/...; then
	echo "bench: the benchmark programs do not build; nothing measured" >&2
	exit 1
fi
TTPWATCH=""
if $GO build -trimpath -o "$BIN/ttpwatch" . 2>"$WORK/build.log"; then
	TTPWATCH=$BIN/ttpwatch
else
	cat "$WORK/build.log" >&2
fi

# --- go benchmarks -----------------------------------------------------------
# -cpu 1: the engine figure is events/s per core.
gobench() { # package regexp
	local cmd="go test -cpu 1 -run '^\$' -bench '$2' -benchmem -benchtime $BENCHTIME $1"
	say "$cmd"
	$GO test -count 1 -cpu 1 -run '^$' -bench "$2" -benchmem -benchtime "$BENCHTIME" "$1" 2>&1 |
		tee "$WORK/gobench.txt" >&2
	"$BIN/report" gobench -results "$ROWS" -cmd "$cmd" <"$WORK/gobench.txt"
}
gobench ./ruleset '^BenchmarkEngineMix$'
gobench ./sensor '^Benchmark(Decode|RingDrain)'
gobench ./event '^Benchmark'
gobench ./ui '^BenchmarkView$'

# --- what needs the sensor ---------------------------------------------------
SENSOR_WHY=""
if [ "$(id -u)" != 0 ]; then
	SENSOR_WHY="needs root to load BPF programs: run sudo make bench"
elif [ -z "$TTPWATCH" ]; then
	SENSOR_WHY="ttpwatch does not build (see the build errors above)"
fi

if [ -n "$SENSOR_WHY" ]; then
	skip overhead "getppid, open+close and exec loops" "$SENSOR_WHY"
	skip redis "redis-benchmark throughput kept" "$SENSOR_WHY"
	skip drops "drops and peak RSS under the generator" "$SENSOR_WHY"
	skip ui "ui frames, CPU and key latency under a storm" "$SENSOR_WHY"
else
	REDIS_ARGS=()
	if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
		say "apt-get install -y redis-server redis-tools"
		DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools >"$WORK/apt-redis.log" 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools >"$WORK/apt-redis.log" 2>&1; } ||
			tail -3 "$WORK/apt-redis.log" >&2
	fi
	if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
		REDIS_ARGS=(-redis-server "$(command -v redis-server)" -redis-benchmark "$(command -v redis-benchmark)" -redis-n "$REDIS_N")
	else
		skip redis "redis-benchmark throughput kept" "redis-server/redis-benchmark missing and apt-get install failed"
	fi

	say "sensor overhead: $ROUNDS interleaved rounds of none / empty programs / sensor, $SAMPLES runs of each loop per round"
	"$BIN/overhead" -loops "$BIN/loops" -ttpwatch "$TTPWATCH" -empty sensor/emptybpf_bpfel.o \
		-rounds "$ROUNDS" -samples "$SAMPLES" -getppid "$GETPPID" -openclose "$OPENCLOSE" -exec "$EXECS" \
		"${REDIS_ARGS[@]}" -workdir "$WORK" -results "$ROWS"

	say "drops and peak RSS: 50,000 ops/s for ${DROPS_SECS}s"
	"$BIN/storm" -mode drops -ttpwatch "$TTPWATCH" -loadgen "$BIN/loadgen" \
		-rate 50000 -duration "${DROPS_SECS}s" -workdir "$WORK" -results "$ROWS"

	if ! command -v tmux >/dev/null; then
		say "apt-get install -y tmux"
		DEBIAN_FRONTEND=noninteractive apt-get install -y tmux >"$WORK/apt-tmux.log" 2>&1 || tail -3 "$WORK/apt-tmux.log" >&2
	fi
	if command -v tmux >/dev/null; then
		say "ui under a storm: 20,000 ops/s for ${UI_SECS}s in tmux 200x50"
		"$BIN/storm" -mode ui -ttpwatch "$TTPWATCH" -loadgen "$BIN/loadgen" \
			-rate 20000 -duration "${UI_SECS}s" -width 200 -height 50 -workdir "$WORK" -results "$ROWS"
	else
		skip ui "ui frames, CPU and key latency under a storm" "tmux missing and apt-get install failed"
	fi
fi

# --- the table ---------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mode="full run"
[ "$QUICK" = 1 ] && mode="BENCH_QUICK=1"
header="# ttpwatch benchmarks

\`make bench\` ($mode) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown):
Linux $(uname -r), $(nproc) × $cpu, $($GO env GOVERSION). Overhead ratios compare
the fastest of many short runs of each setup in this one run (bench/README.md says
why); on a shared VM compare ratios, not absolute numbers."
say "results (also in bench/results.md; logs in $BIN/last-run/)"
echo
"$BIN/report" table -results "$ROWS" -o bench/results.md -header "$header"

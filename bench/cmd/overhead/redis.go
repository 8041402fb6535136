package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// redis is a private redis-server on a loopback port, without persistence,
// so that the benchmark measures request handling and not disk writes.
type redis struct {
	cmd  *exec.Cmd
	port int
}

func startRedis(bin string, port int, workDir string) (*redis, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("port %d is already in use: pick another with -redis-port", port)
	}
	logPath := filepath.Join(workDir, "redis-server.log")
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", logPath, "--dir", workDir)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	r := &redis{cmd: cmd, port: port}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return r, nil
		}
	}
	r.stop()
	return nil, fmt.Errorf("redis-server did not listen on %s within 10s (log: %s)", addr, logPath)
}

func (r *redis) stop() {
	r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
}

type redisResult struct {
	name string
	rps  float64
}

// bench runs redis-benchmark's SET and GET tests, one request at a time
// (-P 1) as Falco's maintainers measured.
func (r *redis) bench(bin string, n int) ([]redisResult, error) {
	out, err := exec.Command(bin, "-h", "127.0.0.1", "-p", strconv.Itoa(r.port),
		"-q", "-n", strconv.Itoa(n), "-t", "set,get", "-P", "1").Output()
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark: %w", err)
	}
	res := parseRedis(string(out))
	if len(res) == 0 {
		return nil, fmt.Errorf("redis-benchmark printed no result: %q", out)
	}
	return res, nil
}

// parseRedis reads redis-benchmark -q output: "SET: 87183.96 requests per
// second, p50=0.303 msec" after progress lines separated by carriage
// returns.
func parseRedis(out string) []redisResult {
	var res []redisResult
	for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if !ok || strings.ContainsAny(name, " \t") {
			continue
		}
		num, tail, ok := strings.Cut(rest, " ")
		if !ok || !strings.HasPrefix(tail, "requests per second") {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v <= 0 {
			continue
		}
		res = append(res, redisResult{name, v})
	}
	return res
}

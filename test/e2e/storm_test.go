package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// stormEnv switches the test binary into the event generator: its value is
// the number of open+close pairs per second.
const stormEnv = "TTPW_E2E_STORM"

// runStorm opens and closes /etc/hostname at rate pairs per second (each
// pair is four traced events: enter and exit of openat and close, of which
// the sensor keeps the openat) until SIGTERM. It paces in 1 ms slices so the
// load is even rather than bursty.
func runStorm(rate string) int {
	r, err := strconv.Atoi(rate)
	if err != nil || r <= 0 {
		fmt.Fprintf(os.Stderr, "%s=%q: want a positive rate\n", stormEnv, rate)
		return 2
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	path := []byte("/etc/hostname\x00")
	start := time.Now()
	done := 0
	for {
		select {
		case <-stop:
			return 0
		default:
		}
		due := int(time.Since(start).Seconds() * float64(r))
		for ; done < due; done++ {
			fd, err := syscall.Open(string(path[:len(path)-1]), syscall.O_RDONLY, 0)
			if err == nil {
				syscall.Close(fd)
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// startStorm runs the generator at rate opens per second until the test
// ends.
func startStorm(t *testing.T, rate int) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", stormEnv, rate))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the storm generator: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
}

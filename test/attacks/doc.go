// Package attacks is the live integration suite of the default ruleset: for
// each rule it performs a safe, self-cleaning action on this host (temporary
// files, loopback connections, harmless stand-in binaries for destructive
// tools) while the real ttpwatch binary watches with --json, and asserts that
// the expected rule fires with its ATT&CK technique tag.
//
// It needs root and a kernel with BTF and tracepoints: without root the tests
// skip, unless REQUIRE_BPF=1, in which case they fail.
//
//	sudo go test ./test/attacks/ -count=1 -v
package attacks

// Command ttpwatch is a live, MITRE ATT&CK-mapped runtime security monitor
// for one Linux host: an eBPF sensor feeds a Falco-compatible rule engine
// whose alerts reach a terminal interface, JSON lines and an alert log.
//
// main.go wires the command line; each subcommand lives in a cmd_*.go file
// of this package.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// exitError carries a process exit code through cobra without printing
// cobra's usage text.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	root := newRootCommand()
	if err := root.Execute(); err != nil {
		var ee *exitError
		code := 1
		if errors.As(err, &ee) {
			code = ee.code
		}
		if err.Error() != "" {
			fmt.Fprintln(os.Stderr, "ttpwatch:", err)
		}
		os.Exit(code)
	}
}

func newRootCommand() *cobra.Command {
	opts := &runOptions{}
	root := &cobra.Command{
		Use:   "ttpwatch",
		Short: "Live, MITRE ATT&CK-mapped runtime security monitor for this Linux host",
		Long: `ttpwatch watches this host through eBPF, evaluates Falco-compatible rules
mapped to MITRE ATT&CK techniques, and shows what fires in a terminal
interface (or as Falco JSON lines with --json).

Run it as root: sudo ttpwatch. Without root, try the interface on a
capture: ttpwatch replay FILE.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(cmd, opts)
		},
	}
	opts.bind(root)
	runCmd := &cobra.Command{
		Use:   "run",
		Short: "Watch the live host (the default command)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(cmd, opts)
		},
	}
	// run is the root command by another name: same options, same flags.
	opts.bind(runCmd)
	root.AddCommand(runCmd,
		newRulesCommand(),
		newFieldsCommand(),
		newAttackCommand(),
		newRecordCommand(),
		newReplayCommand(),
		newVersionCommand(),
	)
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of ttpwatch and of its ATT&CK data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "ttpwatch %s\n%s\n", version, attackVersion())
			return nil
		},
	}
}

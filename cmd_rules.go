package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ttpwatch/ttpwatch/attack"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
	"github.com/ttpwatch/ttpwatch/termsafe"
)

// ruleFlags are the rule-loading and selection flags shared by every command
// that loads rules.
type ruleFlags struct {
	paths          []string
	noDefaults     bool
	enable         []string
	disable        []string
	minPriority    string
	ruleMatching   string
	selectionOrder []selectionStep
}

// selectionStep remembers --enable/--disable in command-line order: later
// steps win, so their relative order matters.
type selectionStep struct {
	enable  bool
	pattern string
}

// orderedPatterns is a pflag.Value that appends to a shared ordered list.
type orderedPatterns struct {
	rf     *ruleFlags
	enable bool
	vals   *[]string
}

func (o orderedPatterns) String() string { return strings.Join(*o.vals, ",") }
func (o orderedPatterns) Type() string   { return "pattern" }
func (o orderedPatterns) Set(v string) error {
	*o.vals = append(*o.vals, v)
	o.rf.selectionOrder = append(o.rf.selectionOrder, selectionStep{o.enable, v})
	return nil
}

func (rf *ruleFlags) bind(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&rf.paths, "rules", "r", nil, "rules file or directory to load (repeatable; added to the defaults unless --no-default-rules)")
	fs.BoolVar(&rf.noDefaults, "no-default-rules", false, "do not load the embedded default rules")
	fs.Var(orderedPatterns{rf, true, &rf.enable}, "enable", "enable rules by name glob or tag:NAME (repeatable, applied in order)")
	fs.Var(orderedPatterns{rf, false, &rf.disable}, "disable", "disable rules by name glob or tag:NAME (repeatable, applied in order)")
	fs.StringVar(&rf.minPriority, "min-priority", "", "disable rules less urgent than this priority (emergency … debug)")
	fs.StringVar(&rf.ruleMatching, "rule-matching", "all", "report all matching rules for an event, or only the first (all|first)")
}

// load reads the rule files the flags name and returns the ruleset and the
// selection the flags describe.
func (rf *ruleFlags) load() (*ruleset.Ruleset, *ruleset.Selection, error) {
	var sources []ruleset.Source
	if !rf.noDefaults {
		sources = append(sources, ruleset.DefaultSources()...)
	}
	if len(rf.paths) > 0 {
		more, err := ruleset.ReadPaths(rf.paths...)
		if err != nil {
			return nil, nil, err
		}
		sources = append(sources, more...)
	}
	if len(sources) == 0 {
		return nil, nil, errors.New("no rules to load: give -r FILE|DIR or drop --no-default-rules")
	}
	rs, err := ruleset.Load(sources...)
	if err != nil {
		return nil, nil, err
	}
	sel, err := rf.selection()
	if err != nil {
		return nil, nil, err
	}
	return rs, sel, nil
}

func (rf *ruleFlags) selection() (*ruleset.Selection, error) {
	sel := &ruleset.Selection{}
	for _, st := range rf.selectionOrder {
		var err error
		if st.enable {
			err = sel.Enable(st.pattern)
		} else {
			err = sel.Disable(st.pattern)
		}
		if err != nil {
			return nil, err
		}
	}
	if rf.minPriority != "" {
		p, ok := ruleset.ParsePriority(rf.minPriority)
		if !ok {
			return nil, fmt.Errorf("--min-priority %q: not a priority; use one of emergency, alert, critical, error, warning, notice, info, debug", rf.minPriority)
		}
		sel.SetMinPriority(p)
	}
	return sel, nil
}

func newRulesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Validate, list and show rules",
	}
	cmd.AddCommand(newRulesValidateCommand(), newRulesListCommand(), newRulesShowCommand())
	return cmd
}

func newRulesValidateCommand() *cobra.Command {
	var withDefaults bool
	cmd := &cobra.Command{
		Use:   "validate FILE…",
		Short: "Check rules files; print each error as file:line:col and exit 1 on errors",
		Long: `Check rules files. Each file is loaded after the embedded defaults (so it
may use their macros and lists) unless --no-default-rules is given. Errors
are printed as file:line:col: item "name": message; warnings too, marked.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sources []ruleset.Source
			if withDefaults {
				sources = append(sources, ruleset.DefaultSources()...)
			}
			files, err := ruleset.ReadPaths(args...)
			if err != nil {
				return &exitError{1, err}
			}
			sources = append(sources, files...)
			out := cmd.OutOrStdout()
			rs, err := ruleset.Load(sources...)
			var le *ruleset.LoadError
			if errors.As(err, &le) {
				for _, d := range le.Diagnostics {
					fmt.Fprintln(out, termsafe.Escape(d.String(), 0))
				}
				return &exitError{1, fmt.Errorf("%d error(s) in %s", len(le.Diagnostics), strings.Join(args, " "))}
			}
			if err != nil {
				return &exitError{1, err}
			}
			for _, w := range rs.Warnings {
				fmt.Fprintln(out, "warning: "+termsafe.Escape(w.String(), 0))
			}
			rules, macros, lists := countFrom(rs, files)
			fmt.Fprintf(out, "%s: ok (%d rules, %d macros, %d lists)\n",
				strings.Join(args, " "), rules, macros, lists)
			return nil
		},
	}
	var noDefaults bool
	cmd.Flags().BoolVar(&withDefaults, "defaults", true, "load the embedded defaults first (their macros and lists are visible)")
	cmd.Flags().BoolVar(&noDefaults, "no-default-rules", false, "validate the files alone, without the embedded defaults")
	cmd.PreRun = func(*cobra.Command, []string) {
		if noDefaults {
			withDefaults = false
		}
	}
	return cmd
}

// ruleJSON is one rule in `rules list -o json`.
type ruleJSON struct {
	Name       string   `json:"name"`
	Priority   string   `json:"priority"`
	Enabled    bool     `json:"enabled"`
	Tags       []string `json:"tags"`
	Techniques []string `json:"techniques"`
	Tactics    []string `json:"tactics"`
	Source     string   `json:"source_file"`
	Line       int      `json:"line"`
}

func newRulesListCommand() *cobra.Command {
	var rf ruleFlags
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the loaded rules (-o json for machines)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, sel, err := rf.load()
			if err != nil {
				return err
			}
			cat := attack.Default()
			rows := make([]ruleJSON, 0, len(rs.Rules))
			for _, r := range rs.Rules {
				m := cat.MapTags(r.Tags)
				row := ruleJSON{Name: r.Name, Priority: r.Priority.String(), Enabled: sel.Enabled(r),
					Tags: nonNil(r.Tags), Techniques: []string{}, Tactics: []string{}, Source: r.File, Line: r.Line}
				for _, t := range m.Techniques {
					row.Techniques = append(row.Techniques, t.ID)
				}
				for _, t := range m.Tactics {
					row.Tactics = append(row.Tactics, t.Name)
				}
				rows = append(rows, row)
			}
			return printRules(cmd.OutOrStdout(), output, rows)
		},
	}
	rf.bind(cmd.Flags())
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func printRules(w io.Writer, format string, rows []ruleJSON) error {
	switch format {
	case "json":
		return writeJSON(w, rows)
	case "text", "":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ON\tPRIORITY\tRULE\tTECHNIQUES\tFILE")
		for _, r := range rows {
			on := "-"
			if r.Enabled {
				on = "✓"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s:%d\n", on, r.Priority, termsafe.Escape(r.Name, 80),
				strings.Join(r.Techniques, ","), termsafe.Escape(r.Source, 60), r.Line)
		}
		return tw.Flush()
	}
	return fmt.Errorf("--output %q: use text or json", format)
}

func newRulesShowCommand() *cobra.Command {
	var rf ruleFlags
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a rule: desc, condition, exceptions, expanded condition and compiled expr form",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, sel, err := rf.load()
			if err != nil {
				return err
			}
			r := rs.Rule(args[0])
			if r == nil {
				return fmt.Errorf("no rule named %q: see `ttpwatch rules list`", args[0])
			}
			prog, err := ruleset.Compile(r.Expanded)
			if err != nil {
				return fmt.Errorf("compile rule %q: %w", r.Name, err)
			}
			w := cmd.OutOrStdout()
			esc := func(s string) string { return termsafe.Escape(s, 0) }
			fmt.Fprintf(w, "rule:      %s\n", esc(r.Name))
			fmt.Fprintf(w, "file:      %s:%d\n", esc(r.File), r.Line)
			fmt.Fprintf(w, "priority:  %s\n", r.Priority)
			fmt.Fprintf(w, "enabled:   %v\n", sel.Enabled(r))
			fmt.Fprintf(w, "tags:      %s\n", esc(strings.Join(r.Tags, ", ")))
			m := attack.Default().MapTags(r.Tags)
			for _, t := range m.Techniques {
				fmt.Fprintf(w, "technique: %s %s\n", t.ID, t.Name)
			}
			fmt.Fprintf(w, "desc:      %s\n", esc(r.Desc))
			fmt.Fprintf(w, "output:    %s\n", esc(r.Output))
			fmt.Fprintf(w, "\ncondition:\n%s\n", indentEscaped(strings.TrimSpace(r.Condition)))
			if len(r.Exceptions) > 0 {
				fmt.Fprintln(w, "\nexceptions:")
				for _, e := range r.Exceptions {
					fmt.Fprintf(w, "  - %s: fields %v comps %v values %v\n", esc(e.Name), e.Fields, e.Comps, e.Values)
				}
			}
			fmt.Fprintf(w, "\nexpanded condition:\n  %s\n", esc(condition.Format(r.Expanded)))
			fmt.Fprintf(w, "\ncompiled (expr):\n  %s\n", esc(prog.Expr))
			if len(prog.Types) > 0 {
				names := make([]string, len(prog.Types))
				for i, t := range prog.Types {
					names[i] = t.String()
				}
				fmt.Fprintf(w, "\nevent types: %s\n", strings.Join(names, " "))
			} else {
				fmt.Fprintln(w, "\nevent types: all")
			}
			return nil
		},
	}
	rf.bind(cmd.Flags())
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// indentEscaped escapes each line of a multi-line text for the terminal and
// indents it, keeping the author's line breaks.
func indentEscaped(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "  " + termsafe.Escape(l, 0)
	}
	return strings.Join(lines, "\n")
}

// writeJSON prints v as indented JSON, for the -o json outputs.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// countFrom counts the rules, macros and lists defined in the given files
// (not in the defaults loaded before them).
func countFrom(rs *ruleset.Ruleset, files []ruleset.Source) (rules, macros, lists int) {
	mine := map[string]bool{}
	for _, f := range files {
		mine[f.Name] = true
	}
	for _, r := range rs.Rules {
		if mine[r.File] {
			rules++
		}
	}
	for _, m := range rs.Macros {
		if mine[m.File] {
			macros++
		}
	}
	for _, l := range rs.Lists {
		if mine[l.File] {
			lists++
		}
	}
	return rules, macros, lists
}

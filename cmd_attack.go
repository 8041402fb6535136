package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ttpwatch/ttpwatch/attack"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

func attackVersion() string {
	return "ATT&CK data: " + attack.Default().Version()
}

func newAttackCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "ATT&CK coverage of the enabled rules",
	}
	cmd.AddCommand(newAttackCoverageCommand(), newAttackLayerCommand())
	return cmd
}

// ruleRefs turns the loaded rules into the catalog's coverage input.
func ruleRefs(rs *ruleset.Ruleset, sel *ruleset.Selection) []attack.RuleRef {
	refs := make([]attack.RuleRef, 0, len(rs.Rules))
	for _, r := range rs.Rules {
		refs = append(refs, attack.RuleRef{Name: r.Name, Tags: r.Tags, Enabled: sel.Enabled(r)})
	}
	return refs
}

func newAttackCoverageCommand() *cobra.Command {
	var rf ruleFlags
	var output string
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "List the ATT&CK techniques covered by the enabled rules, by tactic",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, sel, err := rf.load()
			if err != nil {
				return err
			}
			cov := attack.Default().Coverage(ruleRefs(rs, sel))
			return printCoverage(cmd.OutOrStdout(), output, cov)
		},
	}
	rf.bind(cmd.Flags())
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, markdown or json")
	return cmd
}

// coverageRow is one covered technique under one tactic.
type coverageRow struct {
	Tactic    string   `json:"tactic"`
	Technique string   `json:"technique"`
	Name      string   `json:"name"`
	Rules     []string `json:"rules"`
}

func coverageRows(cov *attack.Coverage) []coverageRow {
	var rows []coverageRow
	add := func(ta *attack.Tactic, c *attack.Cell) {
		if len(c.Rules) == 0 {
			return
		}
		names := make([]string, len(c.Rules))
		for i, r := range c.Rules {
			names[i] = r.Name
		}
		rows = append(rows, coverageRow{ta.Name, c.Technique.ID, c.Technique.Name, names})
	}
	for _, tc := range cov.Tactics {
		for _, c := range tc.Techniques {
			add(tc.Tactic, c)
			for _, s := range c.Subs {
				add(tc.Tactic, s)
			}
		}
	}
	return rows
}

func printCoverage(w io.Writer, format string, cov *attack.Coverage) error {
	rows := coverageRows(cov)
	switch format {
	case "json":
		if rows == nil {
			rows = []coverageRow{}
		}
		return writeJSON(w, rows)
	case "markdown", "md":
		fmt.Fprintln(w, "| Tactic | Technique | Rules |")
		fmt.Fprintln(w, "| --- | --- | --- |")
		for _, r := range rows {
			fmt.Fprintf(w, "| %s | %s %s | %s |\n", r.Tactic, r.Technique, r.Name, strings.Join(r.Rules, "; "))
		}
	case "text", "":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, tc := range cov.Tactics {
			fmt.Fprintf(tw, "%s (%s)\t%d/%d techniques\t\n", tc.Tactic.Name, tc.Tactic.ID, tc.Covered, tc.Total)
			for _, r := range rows {
				if r.Tactic == tc.Tactic.Name {
					fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Technique, r.Name, strings.Join(r.Rules, "; "))
				}
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		techs := map[string]bool{}
		for _, r := range rows {
			techs[r.Technique] = true
		}
		fmt.Fprintf(w, "\n%d techniques and sub-techniques covered\n", len(techs))
		for _, u := range cov.Unknown {
			fmt.Fprintf(w, "warning: tag %q is not in the ATT&CK Linux catalog (rules: %s)\n", u.Tag, strings.Join(u.Rules, ", "))
		}
	default:
		return fmt.Errorf("--output %q: use text, markdown or json", format)
	}
	return nil
}

func newAttackLayerCommand() *cobra.Command {
	var rf ruleFlags
	var name string
	cmd := &cobra.Command{
		Use:   "layer",
		Short: "Print an ATT&CK Navigator layer (format 4.5) scoring the covered techniques",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, sel, err := rf.load()
			if err != nil {
				return err
			}
			cat := attack.Default()
			out, err := cat.Layer(cat.Coverage(ruleRefs(rs, sel)), name)
			if err != nil {
				return fmt.Errorf("build layer: %w", err)
			}
			_, err = cmd.OutOrStdout().Write(append(out, '\n'))
			return err
		},
	}
	rf.bind(cmd.Flags())
	cmd.Flags().StringVar(&name, "name", "ttpwatch coverage", "layer name")
	return cmd
}

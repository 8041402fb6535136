package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ttpwatch/ttpwatch/event"
)

// fieldJSON is one field in `fields -o json`.
type fieldJSON struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Arg    string `json:"arg,omitempty"`
	Filled bool   `json:"filled"`
	Desc   string `json:"desc"`
}

func argForm(k event.ArgKind) string {
	switch k {
	case event.ArgIndexOptional:
		return "[N] optional"
	case event.ArgIndexRequired:
		return "[N] required"
	case event.ArgKeyRequired:
		return "[KEY] required"
	case event.ArgKeyOptional:
		return "[KEY] optional"
	}
	return ""
}

func newFieldsCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "fields",
		Short: "List every field rules can use, with its type and whether this sensor fills it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all := event.All()
			rows := make([]fieldJSON, len(all))
			for i, f := range all {
				rows[i] = fieldJSON{f.Name, f.Type.String(), argForm(f.Arg), f.Filled, f.Desc}
			}
			w := cmd.OutOrStdout()
			switch output {
			case "json":
				return writeJSON(w, rows)
			case "text", "":
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FIELD\tTYPE\tFILLED\tDESCRIPTION")
				for _, r := range rows {
					filled := "yes"
					if !r.Filled {
						filled = "no"
					}
					name := r.Name
					if r.Arg != "" {
						name += " " + r.Arg
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, r.Type, filled, r.Desc)
				}
				return tw.Flush()
			}
			return fmt.Errorf("--output %q: use text or json", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

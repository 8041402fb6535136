package ruleset

import "embed"

// defaultRules holds the embedded default ruleset, one file per ATT&CK
// tactic plus the shared macros and lists (000-macros.yaml loads first).
//
//go:embed rules/*.yaml
var defaultRules embed.FS

package ui

import "charm.land/bubbles/v2/key"

// navKeys move a cursor in any list; every view shares them.
type navKeys struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
}

var nav = navKeys{
	Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
	Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
	End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),
}

func (k navKeys) list() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

// globalKeys work in every view unless a text prompt has the focus.
type globalKeys struct {
	Tab1, Tab2, Tab3, Tab4, Next, Prev, Back, Help, Theme, Quit, ForceQuit key.Binding
}

var global = globalKeys{
	Tab1:      key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "feed")),
	Tab2:      key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "matrix")),
	Tab3:      key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "rules")),
	Tab4:      key.NewBinding(key.WithKeys("4"), key.WithHelp("4", "processes")),
	Next:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next view")),
	Prev:      key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous view")),
	Back:      key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
	Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Theme:     key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "theme")),
	Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
	ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
}

func (k globalKeys) list() []key.Binding {
	return []key.Binding{k.Tab1, k.Tab2, k.Tab3, k.Tab4, k.Next, k.Prev, k.Back, k.Theme, k.Help, k.Quit}
}

// Keys of the views.
var (
	keyEnter  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
	keyFilter = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))
	keyPause  = key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "pause"))
	keyFollow = key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow"))
	keyDetail = key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "detail pane"))
	keyRaw    = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "raw events"))

	keyLeft      = key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "tactic"))
	keyRight     = key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "tactic"))
	keyExpand    = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "sub-techniques"))
	keyExpandAll = key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "expand all"))
	keyUncovered = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "uncovered"))
	keyIDs       = key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "IDs/names"))

	keyToggle     = key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "toggle"))
	keySearch     = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search"))
	keySave       = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save overrides"))
	keyTagEnable  = key.NewBinding(key.WithKeys("+"), key.WithHelp("+", "enable tag"))
	keyTagDisable = key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "disable tag"))

	keyKill    = key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "kill"))
	keyAlerted = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "alerted only"))
	keyYes     = key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes"))
	keyNo      = key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no"))
	keySubmit  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply"))
	keyCancel  = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
)

#!/usr/bin/env bash
# Renders each view of ttpwatch, replaying sensor/testdata/capture/demo.jsonl.gz in a real
# terminal (tmux), to PNG: tmux capture-pane keeps the ANSI colours, freeze
# turns them into SVG, rsvg-convert into PNG. Needs tmux and librsvg2-bin
# (installed when missing); freeze comes from the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
out=screenshots
capture=${CAPTURE:-sensor/testdata/capture/demo.jsonl.gz}
cols=${COLS:-120}
rows=${ROWS:-36}
freeze_version=v0.2.2

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v rsvg-convert >/dev/null || need+=(librsvg2-bin)
fc-list 2>/dev/null | grep -q "DejaVu Sans Mono" || need+=(fonts-dejavu-core fontconfig)
if [ "${#need[@]}" -gt 0 ]; then
	apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
go build -o "$out/.ttpwatch" .
GOBIN=$(pwd)/$out/.bin go install "github.com/charmbracelet/freeze@$freeze_version"
freeze=$out/.bin/freeze

session=ttpwatch-shots-$$
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$out/.ttpwatch" "$out/.bin" "$out"/*.ans.tmp' EXIT
tmux new-session -d -s "$session" -x "$cols" -y "$rows" \
	"COLORTERM=truecolor $out/.ttpwatch replay $capture --speed max --theme dark --color truecolor; sleep 600"

keys() { tmux send-keys -t "$session" "$@"; sleep 0.7; }
shot() {
	local name=$1
	tmux capture-pane -e -p -t "$session" >"$out/$name.ans.tmp"
	"$freeze" --language ansi --window=false --padding 20 --font.family "DejaVu Sans Mono" --output "$out/$name.svg" "$out/$name.ans.tmp" >/dev/null
	rsvg-convert --width $((cols * 12)) "$out/$name.svg" -o "$out/$name.png"
	rm -f "$out/$name.svg" "$out/$name.ans.tmp"
	echo "wrote $out/$name.png"
}

sleep 3 # let the replay finish and the interface settle
keys 1; keys G; shot feed
keys Enter; shot process
keys Escape; keys 2; for _ in $(seq 11); do tmux send-keys -t "$session" l; done; sleep 0.7; shot matrix
keys 3; shot rules
keys 4; shot processes
keys '?'; shot help

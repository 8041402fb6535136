package ruleset

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// Rule regexes are mostly `.*(word|other).*` over command lines, and Go's
// regexp runs them in time linear in the input but with a large constant.
// Most inputs contain none of the words, so each regex gets a literal
// prefilter: a set of strings of which every match must contain one. The
// regex runs only when the input contains one of them.

// maxLiterals bounds the size of a literal set.
const maxLiterals = 32

// literalFilter is a prefilter: any of the strings must occur (compared
// ignoring ASCII case when fold is set; strings are then lower case).
type literalFilter struct {
	any  []string
	fold bool
	// need holds the bigram filter (bigramMask) of each string of any: one
	// pass over the input computes its own, and a string whose pairs are
	// not all in it cannot occur, so most inputs skip every search.
	need []uint64
}

// foldBigrams is bigramMask of s in ASCII lower case.
func foldBigrams(s string) uint64 {
	var m uint64
	for i := 0; i+1 < len(s); i++ {
		m |= bigramBit(lowerASCII(s[i]), lowerASCII(s[i+1]))
	}
	return m
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (f *literalFilter) pass(s string) bool {
	if f.fold {
		// Unicode case folding reaches ASCII from non-ASCII runes (the
		// Kelvin sign folds to k); only ASCII input folds like ASCII.
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return true
			}
		}
	}
	var have uint64
	if f.fold {
		have = foldBigrams(s)
	} else {
		have = bigramMask(s)
	}
	for i, l := range f.any {
		if f.need[i]&^have != 0 {
			continue
		}
		if f.fold {
			if containsFold(s, l) {
				return true
			}
		} else if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

// regexMatcher compiles a Falco regex (anchored at both ends, as libsinsp
// matches) with its prefilter.
func regexMatcher(pattern string) (func(string) bool, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, err
	}
	if f := literalPrefilter(pattern); f != nil {
		return func(s string) bool { return f.pass(s) && re.MatchString(s) }, nil
	}
	return re.MatchString, nil
}

// literalPrefilter derives the prefilter of a pattern, nil when none helps.
func literalPrefilter(pattern string) *literalFilter {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	fold := hasFoldCase(re)
	inf := literalsOf(re)
	set := inf.best()
	if len(set) == 0 {
		return nil
	}
	set = minimalSet(set)
	if fold {
		for i, s := range set {
			for j := 0; j < len(s); j++ {
				if s[j] >= 0x80 {
					return nil // see pass: ASCII folding would miss matches
				}
			}
			set[i] = strings.ToLower(s)
		}
	}
	need := make([]uint64, len(set))
	for i, l := range set {
		need[i] = bigramMask(l) // l is lower case when fold is set
	}
	return &literalFilter{any: set, fold: fold, need: need}
}

func hasFoldCase(re *syntax.Regexp) bool {
	if re.Flags&syntax.FoldCase != 0 {
		return true
	}
	for _, s := range re.Sub {
		if hasFoldCase(s) {
			return true
		}
	}
	return false
}

// litInfo describes what a sub-expression matches: exact, the complete set
// of strings it can match when small and known; need, a set of which every
// match contains one element.
type litInfo struct {
	exact []string
	need  []string
}

// best returns the most selective required set: the one whose shortest
// string is longest; sets containing "" say nothing.
func (l litInfo) best() []string {
	var cands [][]string
	if l.exact != nil {
		cands = append(cands, l.exact)
	}
	if l.need != nil {
		cands = append(cands, l.need)
	}
	return bestSet(cands)
}

func bestSet(cands [][]string) []string {
	var best []string
	bestLen := 0
	for _, c := range cands {
		if m := minLen(c); m > bestLen {
			best, bestLen = c, m
		}
	}
	return best
}

func minLen(set []string) int {
	if len(set) == 0 {
		return 0
	}
	m := len(set[0])
	for _, s := range set[1:] {
		m = min(m, len(s))
	}
	return m
}

func literalsOf(re *syntax.Regexp) litInfo {
	switch re.Op {
	case syntax.OpLiteral:
		return litInfo{exact: []string{string(re.Rune)}}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return litInfo{exact: []string{""}}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) >= 4 {
					return litInfo{}
				}
				out = append(out, string(r))
			}
		}
		if len(out) == 0 {
			return litInfo{}
		}
		return litInfo{exact: out}
	case syntax.OpCapture:
		return literalsOf(re.Sub[0])
	case syntax.OpPlus:
		return litInfo{need: literalsOf(re.Sub[0]).best()}
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return litInfo{need: literalsOf(re.Sub[0]).best()}
		}
	case syntax.OpAlternate:
		var exact, need []string
		exactOK, needOK := true, true
		for _, s := range re.Sub {
			inf := literalsOf(s)
			if inf.exact == nil {
				exactOK = false
			} else {
				exact = append(exact, inf.exact...)
			}
			b := inf.best()
			if b == nil {
				needOK = false
			} else {
				need = append(need, b...)
			}
		}
		var out litInfo
		if exactOK && len(exact) <= maxLiterals {
			out.exact = exact
		}
		if needOK && len(need) <= maxLiterals {
			out.need = need
		}
		return out
	case syntax.OpConcat:
		var cands [][]string
		run := []string{""}
		whole := true
		flush := func() {
			if len(run) > 0 && minLen(run) > 0 {
				cands = append(cands, run)
			}
			run = []string{""}
		}
		for _, s := range re.Sub {
			inf := literalsOf(s)
			if inf.exact != nil && len(run)*len(inf.exact) <= maxLiterals {
				next := make([]string, 0, len(run)*len(inf.exact))
				for _, a := range run {
					for _, b := range inf.exact {
						next = append(next, a+b)
					}
				}
				run = next
				continue
			}
			flush()
			whole = false
			if inf.exact != nil {
				run = inf.exact
			}
			if b := inf.best(); b != nil {
				cands = append(cands, b)
			}
		}
		out := litInfo{}
		if whole {
			out.exact = run
		} else {
			flush()
		}
		out.need = bestSet(cands)
		return out
	}
	return litInfo{}
}

// minimalSet drops strings that contain another string of the set: finding
// the shorter one suffices.
func minimalSet(set []string) []string {
	var out []string
	for i, s := range set {
		redundant := false
		for j, o := range set {
			if i != j && strings.Contains(s, o) && (len(o) < len(s) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, s)
		}
	}
	return out
}

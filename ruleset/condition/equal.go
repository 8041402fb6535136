package condition

// Equal reports whether a and b are the same tree, ignoring positions.
func Equal(a, b Node) bool {
	switch a := a.(type) {
	case *And:
		b, ok := b.(*And)
		return ok && equalTerms(a.Terms, b.Terms)
	case *Or:
		b, ok := b.(*Or)
		return ok && equalTerms(a.Terms, b.Terms)
	case *Not:
		b, ok := b.(*Not)
		return ok && Equal(a.X, b.X)
	case *MacroRef:
		b, ok := b.(*MacroRef)
		return ok && a.Name == b.Name
	case *BoolLit:
		b, ok := b.(*BoolLit)
		return ok && a.Value == b.Value
	case *Compare:
		b, ok := b.(*Compare)
		if !ok || a.Op != b.Op || a.List != b.List || len(a.Values) != len(b.Values) ||
			!equalField(&a.Field, &b.Field) || (a.RightField == nil) != (b.RightField == nil) {
			return false
		}
		if a.RightField != nil && !equalField(a.RightField, b.RightField) {
			return false
		}
		for i := range a.Values {
			if a.Values[i].Text != b.Values[i].Text || a.Values[i].Quoted != b.Values[i].Quoted {
				return false
			}
		}
		return true
	}
	return a == nil && b == nil
}

func equalTerms(a, b []Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func equalField(a, b *FieldRef) bool {
	if a.Name != b.Name || a.Arg != b.Arg || a.HasArg != b.HasArg || len(a.Transformers) != len(b.Transformers) {
		return false
	}
	for i := range a.Transformers {
		if a.Transformers[i] != b.Transformers[i] {
			return false
		}
	}
	return true
}

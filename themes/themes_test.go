package themes

import (
	"strings"
	"testing"
)

func TestEmbeddedThemesLoad(t *testing.T) {
	want := []string{"dark", "high-contrast", "light", "monochrome"}
	if got := strings.Join(Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("Names() = %s, want %s", got, strings.Join(want, ","))
	}
	for _, n := range want {
		th, err := Load(n)
		if err != nil {
			t.Fatalf("Load(%s): %v", n, err)
		}
		if th.Name != n {
			t.Errorf("theme file %s.yaml has name %q", n, th.Name)
		}
		if !th.Monochrome && (len(th.Heat) < 3 || th.Priority.Critical == "" || th.SelectedBg == "") {
			t.Errorf("colour theme %s lacks heat scale, priority or selection colours", n)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no name", "text: \"#fff\"\n", "missing name"},
		{"bad colour", "name: x\ntext: red\n", "text: \"red\" is not a colour"},
		{"unknown key", "name: x\ncolour: \"#fff\"\n", "colour"},
		{"monochrome with colour", "name: x\nmonochrome: true\naccent: \"#fff\"\n", "no colours"},
		{"bad heat", "name: x\nheat: [\"#zzzzzz\"]\n", "heat[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), "test.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLoadUnknownNamesChoices(t *testing.T) {
	_, err := Load("solarized")
	if err == nil || !strings.Contains(err.Error(), "dark, high-contrast, light, monochrome") {
		t.Fatalf("Load(unknown) error = %v, want the list of themes", err)
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		req     string
		noColor bool
		want    string
	}{
		{"", false, Default},
		{"", true, Monochrome},
		{"light", true, "light"},
		{"high-contrast", false, "high-contrast"},
	}
	for _, tt := range tests {
		if got := Choose(tt.req, tt.noColor); got != tt.want {
			t.Errorf("Choose(%q, %v) = %q, want %q", tt.req, tt.noColor, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		data, _ := files.ReadFile(n + ".yaml")
		f.Add(data)
	}
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := Parse(data, "fuzz")
		if err == nil && th.Name == "" {
			t.Fatal("Parse accepted a theme without a name")
		}
	})
}

package locale

import "testing"

func TestEnglish(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, true},
		{"C.utf8 in LC_ALL", map[string]string{"LC_ALL": "C.utf8", "LANG": "en_US.UTF-8"}, true},
		{"POSIX with a charset", map[string]string{"LC_MESSAGES": "POSIX.UTF-8"}, true},
		{"plain C", map[string]string{"LANG": "C"}, false},
		{"a real locale", map[string]string{"LANG": "de_DE.UTF-8"}, false},
		{"LC_ALL wins over a C LANG", map[string]string{"LC_ALL": "fr_FR.UTF-8", "LANG": "C.UTF-8"}, false},
		{"LANGUAGE already set", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "de"}, false},
		{"nothing set", map[string]string{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			lang, ok := English(func(k string) string { return c.env[k] })
			if ok != c.want || ok && lang != "en" {
				t.Errorf("English = %q, %v; want %v", lang, ok, c.want)
			}
		})
	}
}

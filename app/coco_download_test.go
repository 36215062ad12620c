package app

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/model/coco/fetch"
)

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.String())
}

// zipOf returns a zip holding files (name → body).
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cocoServer serves a tiny val2017 as cocodataset.org lays it out; a
// stalled server answers the image zip only when the client gives up.
type cocoServer struct {
	files   map[string][]byte
	stall   bool
	mu      sync.Mutex
	started chan struct{} // closed when the stalled request arrives
}

func (s *cocoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := s.files[strings.TrimPrefix(r.URL.Path, "/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.stall && strings.HasSuffix(r.URL.Path, "val2017.zip") {
		s.mu.Lock()
		select {
		case <-s.started:
		default:
			close(s.started)
		}
		s.mu.Unlock()
		<-r.Context().Done()
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// serveCOCO starts a server of a tiny val2017 and makes its zips the known
// archives (with their sizes and sums) for the test.
func serveCOCO(t *testing.T, stall bool) (*cocoServer, string) {
	t.Helper()
	img := mustRead(t, filepath.Join(cocoFixture, "images", "train2017", "000000000001.jpg"))
	ann := zipOf(t, map[string]string{"annotations/instances_val2017.json": `{"images": [], "annotations": [], "categories": []}`,
		"annotations/instances_train2017.json": `{"images": [], "annotations": [], "categories": []}`})
	imgs := zipOf(t, map[string]string{"val2017/000000000001.jpg": img})
	s := &cocoServer{stall: stall, started: make(chan struct{}), files: map[string][]byte{
		"annotations/annotations_trainval2017.zip": ann, "zips/val2017.zip": imgs}}
	saved := fetch.KnownArchives
	t.Cleanup(func() { fetch.KnownArchives = saved })
	fetch.KnownArchives = map[string]fetch.Archive{}
	for p, b := range s.files {
		sum := sha256.Sum256(b)
		fetch.KnownArchives[p] = fetch.Archive{Path: p, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func TestCOCODownload(t *testing.T) {
	_, url := serveCOCO(t, false)
	h := newHarness(t, t.TempDir())
	h.u.fetch.baseURL = url

	h.u.train.form.cocoDir.SetText(cocoFixture)
	d := h.u.fetch.dialog()
	if !strings.HasPrefix(d.split.Selected, "val2017: 5,000 images, ") {
		t.Errorf("download dialog offers %q first", d.split.Selected)
	}
	// Never into the form's COCO folder: the annotations would overwrite
	// its instances files.
	if d.dir.Text == cocoFixture || filepath.Base(d.dir.Text) != "coco" {
		t.Errorf("the download dialog suggests %q", d.dir.Text)
	}
	dir := filepath.Join(t.TempDir(), "coco")
	d.dir.SetText(dir)
	d.Submit()
	fetch := h.u.fetch.cur
	if fetch == nil || !h.u.train.form.download.Disabled() {
		t.Fatal("submitting the dialog started no download")
	}
	h.waitFor("the download", flowTimeout, func() bool { return h.u.fetch.cur == nil })
	if got := h.overlayText(); !strings.Contains(got, "COCO val2017 is ready in "+dir) ||
		!strings.Contains(got, "instances_val2017.json · val2017/") {
		t.Errorf("after the download the window says %q", got)
	}
	if fetch.bar.Max <= 1 || fetch.bar.Value != fetch.bar.Max {
		t.Errorf("download progress %v of %v, want the last zip complete", fetch.bar.Value, fetch.bar.Max)
	}
	f := h.u.train.form
	if !f.coco() || f.cocoDir.Text != dir || h.u.prefs.String(prefCOCODir) != dir || f.download.Disabled() {
		t.Errorf("after the download: dataset %q, folder %q, remembered %q", f.dataset.Selected, f.cocoDir.Text,
			h.u.prefs.String(prefCOCODir))
	}
	if _, err := os.Stat(filepath.Join(dir, "val2017", "000000000001.jpg")); err != nil {
		t.Error(err)
	}
	if d := h.u.fetch.dialog(); d.dir.Text != dir {
		t.Errorf("the next download suggests %q, want the last folder %q", d.dir.Text, dir)
	}
}

func TestCOCODownloadFails(t *testing.T) {
	_, url := serveCOCO(t, false)
	h := newHarness(t, t.TempDir())
	h.u.fetch.baseURL = url + "/missing"
	dir := t.TempDir()
	h.u.fetch.start("val2017", dir)
	h.waitFor("the download to fail", flowTimeout, func() bool { return h.u.fetch.cur == nil })
	if got := h.overlayText(); !containsFold(got, "downloading COCO val2017 into "+dir) || !strings.Contains(got, "404") {
		t.Errorf("a failed download says %q", got)
	}
	if h.u.train.form.cocoDir.Text != "" || h.u.train.form.coco() {
		t.Errorf("a failed download changed the form: %q", h.u.train.form.cocoDir.Text)
	}
}

func TestCOCODownloadStops(t *testing.T) {
	s, url := serveCOCO(t, true)
	h := newHarness(t, t.TempDir())
	h.u.fetch.baseURL = url
	h.u.fetch.start("val2017", t.TempDir())
	select {
	case <-s.started: // the annotations are in; the images stall
	case <-time.After(flowTimeout):
		t.Fatalf("the image zip was never asked for; the window says %q", h.overlayText())
	}
	test.Tap(h.u.fetch.cur.stop)
	if h.u.fetch.cur.label.Text != "Stopping…" {
		t.Errorf("after Stop the dialog says %q", h.u.fetch.cur.label.Text)
	}
	h.waitFor("the download to stop", flowTimeout, func() bool { return h.u.fetch.cur == nil })
	if got := h.overlayText(); !strings.Contains(got, "stopped") || !strings.Contains(got, "resume") {
		t.Errorf("a stopped download says %q", got)
	}

	// Closing the window mid-download stops it and waits for its goroutine
	// (goleak checks that none is left).
	h.u.fetch.start("val2017", t.TempDir())
	h.u.Close()
}

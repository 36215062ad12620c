package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/coco/fetch"
	"github.com/deformscope/deformscope/model/experiment"
)

// coco128Dir returns the shared COCO128 sample's instances file and image folder, or skips the
// test.
func coco128Dir(t *testing.T) (ann, images string) {
	t.Helper()
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "coco128")
	}
	ann = filepath.Join(dir, "annotations", "instances_train2017.json")
	if _, err := os.Stat(ann); err != nil {
		t.Skipf("COCO128 is not available (%v): set DEFORMSCOPE_COCO128 or provide ../shared/coco128", err)
	}
	return ann, filepath.Join(dir, "images", "train2017")
}

func jpegFile(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 3), uint8(y * 3), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cocoFixture writes an instances file and an image folder with a few good images and a few faults.
func cocoFixture(t *testing.T) (ann, images string) {
	t.Helper()
	dir := t.TempDir()
	images = filepath.Join(dir, "images")
	os.MkdirAll(images, 0o755)
	var ims, anns []string
	id := 1
	for i := range 6 {
		name := fmt.Sprintf("%03d.jpg", i)
		os.WriteFile(filepath.Join(images, name), jpegFile(t, 80, 60), 0o644)
		ims = append(ims, fmt.Sprintf(`{"id":%d,"file_name":%q,"width":80,"height":60}`, i+1, name))
		for _, c := range []int{1, 18} {
			anns = append(anns, fmt.Sprintf(`{"id":%d,"image_id":%d,"category_id":%d,"bbox":[5,5,40,40],"iscrowd":0}`,
				id, i+1, c))
			id++
		}
	}
	ims = append(ims, `{"id":50,"file_name":"../escape.jpg","width":80,"height":60}`,
		`{"id":51,"file_name":"missing.jpg","width":80,"height":60}`)
	anns = append(anns, `{"id":100,"image_id":1,"category_id":1,"bbox":[5,5,40,40],"iscrowd":1}`,
		`{"id":101,"image_id":1,"category_id":1,"bbox":[5,5,1e400,40]}`,
		`{"id":102,"image_id":99,"category_id":1,"bbox":[5,5,40,40]}`,
		`{"id":103,"image_id":51,"category_id":1,"bbox":[5,5,40,40]}`)
	text := fmt.Sprintf(`{"images":[%s],"annotations":[%s],"categories":[{"id":1,"name":"person"},{"id":18,"name":"dog"}]}`,
		strings.Join(ims, ","), strings.Join(anns, ","))
	ann = filepath.Join(dir, "instances.json")
	os.WriteFile(ann, []byte(text), 0o644)
	return ann, images
}

func TestCOCOReportJSON(t *testing.T) {
	ann, images := cocoFixture(t)
	code, out, errs := dcn(t, "coco", "report", "--ann", ann, "--images", images, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(keys, []string{"annotations", "images", "kept", "skipped"}) {
		t.Errorf("keys %v", keys)
	}
	var r struct {
		Images, Annotations int
		Kept, Skipped       map[string]int
	}
	json.Unmarshal([]byte(out), &r)
	wantSkipped := map[string]int{"path_escapes_folder": 1, "missing_file": 1, "crowd": 1, "bbox_not_finite": 1,
		"unknown_image_id": 1, "image_skipped": 1}
	if r.Images != 8 || r.Annotations != 16 || r.Kept["person"] != 6 || r.Kept["dog"] != 6 ||
		fmt.Sprint(r.Skipped) != fmt.Sprint(wantSkipped) {
		t.Errorf("report %+v", r)
	}
	// --top 1 keeps one category, and counts the other's boxes as skipped.
	_, out, _ = dcn(t, "coco", "report", "--ann", ann, "--images", images, "--json", "--top", "1")
	r.Kept, r.Skipped = nil, nil
	json.Unmarshal([]byte(out), &r)
	if len(r.Kept) != 1 || r.Skipped["not_in_top_k"] != 6 {
		t.Errorf("--top 1: %+v", r)
	}
	// --min-size 41 drops every box; without --images, the box on the missing image counts too.
	_, out, _ = dcn(t, "coco", "report", "--ann", ann, "--json", "--min-size", "41")
	r.Kept, r.Skipped = nil, nil
	json.Unmarshal([]byte(out), &r)
	if r.Skipped["too_small"] != 13 || len(r.Kept) != 0 {
		t.Errorf("--min-size 41: %+v", r)
	}
}

func TestCOCOReportText(t *testing.T) {
	ann, images := cocoFixture(t)
	code, out, errs := dcn(t, "coco", "report", "--ann", ann, "--images", images)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"8 images, 16 annotations", "person", "images       path_escapes_folder        1",
		"annotations  crowd"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCOCOReportUnusableFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"truncated", write("trunc.json", `{"images":[{"id":1,"file_na`), "trunc.json: byte 27: unexpected end of file"},
		{"top level array", write("array.json", `[{"images":[]}]`), "array.json: byte 0: the top level is not a JSON object"},
		{"images not an array", write("obj.json", `{"images":{"id":1}}`), `obj.json: byte 10: "images" is not an array`},
		{"binary", write("bin.json", "\x00\x01\x02"), "bin.json: byte 0"},
		{"missing", filepath.Join(dir, "none.json"), "none.json"},
		{"a folder", dir, "a folder, not a regular file"},
	} {
		code, out, errs := dcn(t, "coco", "report", "--ann", tc.path)
		if code != 1 || out != "" || !strings.Contains(errs, tc.want) || strings.Contains(errs, "panic") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", tc.name, code, out, errs, tc.want)
		}
	}
	if code, _, errs := dcn(t, "coco", "report"); code != 2 || !strings.Contains(errs, "--ann is required") {
		t.Errorf("no --ann: exit %d, %s", code, errs)
	}
	if code, _, _ := dcn(t, "coco", "nope"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
	if code, _, _ := dcn(t, "coco"); code != 2 {
		t.Errorf("no subcommand: exit %d", code)
	}
}

func TestCOCOReportCOCO128(t *testing.T) {
	ann, images := coco128Dir(t)
	code, out, errs := dcn(t, "coco", "report", "--ann", ann, "--images", images, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Images, Annotations int
		Kept, Skipped       map[string]int
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	// COCO128: 128 images, 929 boxes; 416 under 32×32 px and 231 outside the top 10 categories.
	if r.Images != 128 || r.Annotations != 929 || len(r.Kept) != 10 || r.Kept["person"] != 142 ||
		r.Skipped["too_small"] != 416 || r.Skipped["not_in_top_k"] != 231 {
		t.Errorf("report %+v", r)
	}
}

func TestCOCOCrops(t *testing.T) {
	ann, images := cocoFixture(t)
	cache := filepath.Join(t.TempDir(), "crops.cache")
	args := []string{"coco", "crops", "--ann", ann, "--images", images, "--cache", cache, "--size", "16",
		"--val", "0.2", "--test", "0.2", "--json"}
	code, out, errs := dcn(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Classes []string
		Splits  []struct {
			Name  string
			Crops int
		}
		Cache string
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	total := 0
	for _, s := range r.Splits {
		total += s.Crops
	}
	if len(r.Classes) != 2 || len(r.Splits) != 3 || total != 12 || !strings.HasPrefix(r.Cache, "built") {
		t.Errorf("crops %+v", r)
	}
	if !strings.Contains(errs, "100% 7/7 images") {
		t.Errorf("no progress bar on stderr: %q", errs)
	}
	_, out, _ = dcn(t, args...)
	json.Unmarshal([]byte(out), &r)
	if r.Cache != "hit" {
		t.Errorf("second run: cache %q", r.Cache)
	}
	// Without --cache, the crops go to the file that dcn train reads for the same options.
	cacheHome := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cacheHome)
	code, out, _ = dcn(t, "coco", "crops", "--ann", ann, "--images", images, "--size", "16")
	if code != 0 || !strings.Contains(out, "person") || !strings.Contains(out, "total") {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}
	shared, _ := filepath.Glob(filepath.Join(cacheHome, "deformscope", "coco", "crops-*.cache"))
	cd := experiment.DefaultCOCO(ann, images)
	cd.Size = 16
	if want, _ := cd.CachePath(1); len(shared) != 1 || shared[0] != want {
		t.Errorf("default cache %v, want the training run's %s", shared, want)
	}
	if code, _, errs := dcn(t, "coco", "crops", "--ann", ann, "--images", images, "--norm", "x"); code != 1 ||
		!strings.Contains(errs, "imagenet or dataset") {
		t.Errorf("--norm x: exit %d %s", code, errs)
	}
}

func TestCOCOFetch(t *testing.T) {
	zipOf := func(name string, body []byte) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create(name)
		w.Write(body)
		zw.Close()
		return b.Bytes()
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	annZip := zipOf("annotations/instances_val2017.json", []byte(`{"images":[],"annotations":[],"categories":[]}`))
	imgZip := zipOf("val2017/000000000139.jpg", jpegFile(t, 40, 30))
	files := map[string][]byte{"/annotations/annotations_trainval2017.zip": annZip, "/zips/val2017.zip": imgZip}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	}))
	defer srv.Close()
	saved := fetch.KnownArchives
	t.Cleanup(func() { fetch.KnownArchives = saved })
	fetch.KnownArchives = map[string]fetch.Archive{
		"annotations/annotations_trainval2017.zip": {Path: "annotations/annotations_trainval2017.zip",
			Size: int64(len(annZip)), SHA256: sum(annZip)},
		"zips/val2017.zip": {Path: "zips/val2017.zip", Size: int64(len(imgZip)), SHA256: sum(imgZip)},
	}
	dir := t.TempDir()
	code, out, errs := dcn(t, "coco", "fetch", "--split", "val2017", "--dir", dir, "--base-url", srv.URL)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "val2017 ready") || !strings.Contains(errs, "val2017.zip [") {
		t.Errorf("stdout %q, stderr %q", out, errs)
	}
	for _, p := range []string{"annotations/instances_val2017.json", "val2017/000000000139.jpg", "val2017.zip.sha256"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	// A wrong sum is refused with a clear message.
	fetch.KnownArchives["zips/val2017.zip"] = fetch.Archive{Path: "zips/val2017.zip", SHA256: strings.Repeat("ab", 32)}
	code, _, errs = dcn(t, "coco", "fetch", "--split", "val2017", "--dir", t.TempDir(), "--base-url", srv.URL)
	if code != 1 || !strings.Contains(errs, "SHA-256") {
		t.Errorf("wrong sum: exit %d, %s", code, errs)
	}
	if code, _, _ := dcn(t, "coco", "fetch", "--split", "test2017", "--dir", dir); code != 1 {
		t.Errorf("unknown split: exit %d", code)
	}
}

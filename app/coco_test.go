package app

import (
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/viz"
)

// coco128 is the small COCO subset beside the repository: 128 train2017
// images in images/train2017, with their instances file.
const coco128 = "../../shared/coco128"

// cocoFixture is a COCO folder of one image, committed in testdata.
const cocoFixture = "testdata/coco"

func needCOCO128(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(coco128, "annotations", "instances_train2017.json")); err != nil {
		t.Skipf("coco128 is not here (%v): the COCO flow needs ../shared/coco128", err)
	}
}

// tinyCOCO trains in seconds on coco128: 16×16 crops of the 3 most frequent
// categories, one epoch, every placement.
func tinyCOCO(t *testing.T, place string) experiment.RunConfig {
	t.Helper()
	rc := experiment.StudyProtocol()
	rc.Data, rc.Models, rc.Scales, rc.Val, rc.Limit, rc.TestLimit = "coco", cocoModels(place), nil, 0, 0, 0
	rc.Train.Epochs = 1
	rc.COCO = experiment.DefaultCOCO(filepath.Join(coco128, "annotations", "instances_train2017.json"),
		filepath.Join(coco128, "images", "train2017"))
	rc.COCO.Size, rc.COCO.TopK = 16, 3
	return rc
}

// writeFile writes body to path, making its folder.
func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveCOCO(t *testing.T) {
	type layout map[string]string // file → body
	for _, tc := range []struct {
		name   string
		files  layout
		pick   string // relative to the folder
		want   cocoSource
		errHas []string
	}{
		{name: "coco128 layout", files: layout{"annotations/instances_train2017.json": "{}", "images/train2017/a.jpg": "x"},
			want: cocoSource{Split: "train2017", Ann: "annotations/instances_train2017.json", Images: "images/train2017"}},
		{name: "official layout", files: layout{"annotations/instances_val2017.json": " {", "val2017/a.JPG": "x",
			"annotations/instances_train2017.json": "{}"},
			want: cocoSource{Split: "val2017", Ann: "annotations/instances_val2017.json", Images: "val2017"}},
		{name: "annotations folder picked", pick: "annotations",
			files: layout{"annotations/instances_val2017.json": "{}", "val2017/a.png": "x"},
			want:  cocoSource{Split: "val2017", Ann: "annotations/instances_val2017.json", Images: "val2017"}},
		{name: "train with val as test", files: layout{"annotations/instances_train2017.json": "{}", "train2017/a.jpg": "x",
			"annotations/instances_val2017.json": "{}", "val2017/b.jpg": "x"},
			want: cocoSource{Split: "train2017", Ann: "annotations/instances_train2017.json", Images: "train2017",
				TestAnn: "annotations/instances_val2017.json", TestImages: "val2017"}},
		{name: "missing", pick: "nowhere", errHas: []string{"nowhere", "does not exist"}},
		{name: "no instances file", files: layout{"images/train2017/a.jpg": "x"},
			errHas: []string{"no annotations/instances_*.json", "images/<split>/"}},
		{name: "no image folder", files: layout{"annotations/instances_train2017.json": "{}"},
			errHas: []string{"instances_train2017.json", "no image folder", "train2017"}},
		{name: "no images", files: layout{"annotations/instances_train2017.json": "{}", "images/train2017/notes.txt": "x"},
			errHas: []string{"images/train2017 holds no JPEG or PNG images"}},
		{name: "empty instances file", files: layout{"annotations/instances_train2017.json": " \n", "train2017/a.jpg": "x"},
			errHas: []string{"instances_train2017.json is empty"}},
		{name: "not JSON", files: layout{"annotations/instances_train2017.json": "<html>", "train2017/a.jpg": "x"},
			errHas: []string{"instances_train2017.json is not JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for f, body := range tc.files {
				writeFile(t, filepath.Join(root, f), body)
			}
			got, err := resolveCOCO(filepath.Join(root, tc.pick))
			if tc.errHas != nil {
				if err == nil {
					t.Fatalf("resolved %+v, want an error", got)
				}
				for _, want := range tc.errHas {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			abs := func(p string) string {
				if p == "" {
					return ""
				}
				return filepath.Join(root, p)
			}
			want := cocoSource{Root: root, Split: tc.want.Split, Ann: abs(tc.want.Ann), Images: abs(tc.want.Images),
				TestAnn: abs(tc.want.TestAnn), TestImages: abs(tc.want.TestImages)}
			if got != want {
				t.Errorf("resolved\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

func TestBadCOCOFolderShowsError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		early bool     // found in the folder, before any session
		want  []string // in the dialog; "$" stands for the folder
	}{
		{"no instances file", map[string]string{"images/train2017/a.jpg": "x"}, true,
			[]string{"$", "no annotations/instances_*.json"}},
		{"no images", map[string]string{"annotations/instances_train2017.json": "{}", "images/train2017/a.txt": "x"}, true,
			[]string{"$/images/train2017 holds no JPEG or PNG images"}},
		// Found when the crops are built: the session fails.
		{"bad JSON", map[string]string{"annotations/instances_train2017.json": `{"images": [`, "images/train2017/a.jpg": "x"}, false,
			[]string{"loading COCO crops", "$/annotations/instances_train2017.json", "unexpected end of file"}},
		{"unreadable images", map[string]string{
			"annotations/instances_train2017.json": `{"images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
				"categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
				"annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 40], "iscrowd": 0},
					{"id": 2, "image_id": 1, "category_id": 2, "bbox": [10, 5, 40, 40], "iscrowd": 0}]}`,
			"images/train2017/a.jpg": "not a JPEG"}, false,
			[]string{"loading COCO crops", "$/annotations/instances_train2017.json", "no training crops"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", t.TempDir())
			dir := t.TempDir()
			for f, body := range tc.files {
				writeFile(t, filepath.Join(dir, f), body)
			}
			h := newHarness(t, t.TempDir())
			h.u.train.form.dataset.SetSelected(dataCOCO)
			h.u.train.form.cocoDir.SetText(dir)
			h.u.train.form.cropSize.SetText("16")
			h.u.train.form.topK.SetText("2")
			test.Tap(h.u.train.start)
			h.waitFor("the error", flowTimeout, func() bool { return h.overlayText() != "" })
			got := h.overlayText()
			for _, want := range tc.want {
				if want = strings.ReplaceAll(want, "$", dir); !containsFold(got, want) {
					t.Errorf("dialog says %q, want %q", got, want)
				}
			}
			if h.u.last.Phase.Active() || h.u.train.start.Disabled() {
				t.Errorf("after the error: phase %s, start disabled %v", h.u.last.Phase, h.u.train.start.Disabled())
			}
			if early := h.u.train.form.cocoInfo.Importance == widget.DangerImportance; early != tc.early {
				t.Errorf("the folder's fault shown beside it: %v, want %v (%q)", early, tc.early, h.u.train.form.cocoInfo.Text)
			}
			if !tc.early && h.u.last.Phase != PhaseFailed {
				t.Errorf("phase %s, want failed", h.u.last.Phase)
			}
		})
	}

	// Picking an unusable folder says so at once, and does not remember it.
	h := newHarness(t, t.TempDir())
	bad := t.TempDir()
	h.u.useCOCODir(bad)
	if got := h.overlayText(); !strings.Contains(got, bad) || !strings.Contains(got, "no annotations/instances_*.json") {
		t.Errorf("picking an empty folder shows %q", got)
	}
	if got := h.u.prefs.String(prefCOCODir); got != "" {
		t.Errorf("an unusable folder was remembered: %q", got)
	}
}

// containsFold reports whether s holds sub, ignoring case (dialogs
// capitalise the first letter of an error).
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCOCOTrainingFlow trains cnn and the three placements on coco128 from
// the window, then looks at every view of the run.
func TestCOCOTrainingFlow(t *testing.T) {
	needCOCO128(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	h := newHarness(t, t.TempDir())
	h.u.train.form.set(tinyCOCO(t, placeAll))
	test.Tap(h.u.train.start)
	if p := h.u.last.Phase; p != PhaseLoading || !strings.HasPrefix(h.u.train.status.Text, "Loading the COCO crops") &&
		!strings.HasPrefix(h.u.train.status.Text, "Building the COCO crops") {
		t.Errorf("after Start: phase %s, status %q", p, h.u.train.status.Text)
	}
	h.waitFor("the run to finish", flowTimeout, func() bool { return h.u.last.Phase == PhaseDone })
	// coco128 holds a few dozen crops per category: the window says, once
	// (not again at the end), that this is too little to learn from, and
	// does not advise raising a cap of 0 (every crop already).
	if got := h.overlayText(); !strings.Contains(got, "too small to learn from") || !strings.Contains(got, "dcn coco fetch") ||
		strings.Contains(got, "has finished") || strings.Contains(got, "raise the crops per category") {
		t.Errorf("after a run on coco128 the dialog says %q; want the data-size advice, once", got)
	}
	if !strings.Contains(h.u.train.status.Text, "too few to learn from") {
		t.Errorf("status %q, want the data-size warning", h.u.train.status.Text)
	}
	h.tapDialogButton("OK") // the advice, shown once
	if got := h.overlayText(); got != "" {
		t.Errorf("a dialog after the advice: %q", got)
	}
	s := h.u.last
	models := cocoModels(placeAll)
	if !slices.Equal(s.Names(), models) || !slices.Equal(h.u.shown, models) {
		t.Fatalf("models %v, shown %v; want %v", s.Names(), h.u.shown, models)
	}
	if s.LoadTotal == 0 || s.LoadDone != s.LoadTotal {
		t.Errorf("crop progress %d of %d, want every image done", s.LoadDone, s.LoadTotal)
	}
	if len(s.Classes) != 3 || !slices.Contains(s.Classes, "person") {
		t.Errorf("classes %v, want coco128's 3 most frequent categories", s.Classes)
	}
	if !strings.Contains(h.u.train.status.Text, "test crops of 3 categories") {
		t.Errorf("status %q", h.u.train.status.Text)
	}
	for _, m := range models {
		if p := h.u.train.progress[m]; p.bar.Value != 1 || !strings.Contains(p.detail.Text, "done") {
			t.Errorf("%s: progress %v, %q", m, p.bar.Value, p.detail.Text)
		}
		if ms := s.Model(m); len(ms.Epochs) != 1 || len(ms.Epochs[0].Confusion) != 3 {
			t.Errorf("%s: %d epochs", m, len(ms.Epochs))
		}
	}

	// The results table: a column per model, each compared with the CNN.
	table := h.u.results.table.text()
	head := strings.Split(lineOf(table, "\t"), "\t")
	if want := []string{"", "CNN", "DCNN-FIRST", "DCNN-MIDDLE", "DCNN-LAST"}; !slices.Equal(head, want) {
		t.Errorf("table header %q, want %q", head, want)
	}
	row := strings.Split(lineOf(table, "Test accuracy"), "\t")
	if len(row) != 5 || strings.Contains(row[1], "(") || !strings.Contains(row[2], "%") || !strings.Contains(row[4], "(") {
		t.Errorf("test accuracy row %q: want a value per model, the deformable ones against the CNN", row)
	}
	if strings.Contains(table, "Scaled-MNIST") {
		t.Errorf("a COCO run's table has a Scaled-MNIST row:\n%s", table)
	}

	// Confusion matrices by category name, one per model; no Scaled-MNIST.
	in := h.u.rend.input()
	for _, m := range models {
		fd, err := viz.BuildFigure(viz.ConfusionFigure(m), in, viz.Zoom{})
		if err != nil || !slices.Equal(fd.Labels, s.Classes) {
			t.Errorf("%s confusion: labels %v (%v), want %v", m, fd.Labels, err, s.Classes)
		}
	}
	h.u.tabs.SelectIndex(1)
	h.settle()
	if len(h.u.results.confusions.Objects) != 4 {
		t.Errorf("%d confusion matrices, want 4", len(h.u.results.confusions.Objects))
	}
	for _, m := range models[:2] { // the first row is in view
		if v := viewOf(h.u, viz.ConfusionFigure(m)); v.img.Image == nil {
			t.Errorf("confusion of %s not drawn: %q", m, v.msg.Text)
		}
	}
	h.capture("coco-results")
	h.u.tabs.SelectIndex(0)
	h.settle()
	if v := viewOf(h.u, viz.FigScale); v.img.Image != nil || !strings.Contains(v.msg.Text, "MNIST runs only") {
		t.Errorf("Scaled-MNIST figure of a COCO run: image %v, %q", v.img.Image != nil, v.msg.Text)
	}
	h.capture("coco-curves")

	// Exports take every model's confusion matrix, with category names.
	dir := filepath.Join(t.TempDir(), "figs")
	files, err := exportFigures(context.Background(), in, viz.FiguresFor(h.u.shown), exportOptions{Dir: dir, PNG: true, Render: exportAllRender})
	if err != nil {
		t.Fatal(err)
	}
	if csv := mustRead(t, filepath.Join(dir, "confusion-dcnn-last.csv")); !strings.Contains(csv, "person") {
		t.Errorf("confusion CSV without category names:\n%s", csv)
	}
	if slices.Contains(files, filepath.Join(dir, "scale-accuracy.png")) {
		t.Error("a COCO run exported a Scaled-MNIST figure")
	}

	// The Offsets view: test crops in colour, a deformable model to pick,
	// and that model's own layers.
	v := h.u.offsets
	h.u.tabs.SelectIndex(2)
	r := waitShown(h, "the first model's overlay", hasScene)
	// A COCO run opens on a photo in context (offsets_photo_test.go); the
	// test crops are a choice away.
	if v.source.Selected != srcPhoto {
		t.Errorf("a COCO run opens on source %q, want %q", v.source.Selected, srcPhoto)
	}
	v.source.SetSelected(srcTest)
	r = waitShown(h, "the first model's overlay", func(r *offsetResult) bool { return r.scene != nil && !r.req.photo })
	if want := models[1:]; !slices.Equal(v.model.Options, want) || v.model.Selected != "dcnn-first" || v.model.Disabled() {
		t.Errorf("model picker %v (selected %q, disabled %v), want %v", v.model.Options, v.model.Selected, v.model.Disabled(), want)
	}
	if !slices.Equal(v.layer.Options, []string{"conv1", "conv2"}) || v.layer.Selected != "conv2" {
		t.Errorf("dcnn-first layers %v (selected %q)", v.layer.Options, v.layer.Selected)
	}
	if r.scene.in != [2]int{16, 16} || !r.scene.live || r.scene.Grid == nil {
		t.Errorf("scene: input %v, live %v, grid %v", r.scene.in, r.scene.live, r.scene.Grid != nil)
	}
	if _, ok := r.scene.Picture.(*image.NRGBA); !ok {
		t.Errorf("the test crop is a %T, want an RGB picture", r.scene.Picture)
	}
	label := s.Classes[h.firstTestLabel(t)]
	for _, want := range []string{"dcnn-first conv2", "epoch 1 of 1", "test crop 0 (" + label + ")"} {
		if !strings.Contains(v.caption.Text, want) {
			t.Errorf("caption %q lacks %q", v.caption.Text, want)
		}
	}
	v.model.SetSelected("dcnn-last")
	r = waitShown(h, "dcnn-last", func(r *offsetResult) bool { return r.scene != nil && r.scene.Model == "dcnn-last" })
	if !slices.Equal(v.layer.Options, []string{"conv5", "conv6"}) || !strings.Contains(v.caption.Text, "dcnn-last conv6") {
		t.Errorf("dcnn-last: layers %v, caption %q", v.layer.Options, v.caption.Text)
	}
	// A checkpoint's test crop beyond the inspected ones names what it predicts.
	v.index.SetText("9")
	waitShown(h, "test crop 9", hasScene)
	if !strings.Contains(v.caption.Text, "test crop 9 (") || !containsAny(v.caption.Text, s.Classes, "predicts ") {
		t.Errorf("test crop 9: caption %q", v.caption.Text)
	}
	h.capture("coco-offsets")

	// A picture larger than 640×640 runs whole, scaled down to 640.
	big := filepath.Join(t.TempDir(), "wide.png")
	writePNG(t, big, 900, 300)
	v.useImageFile(big)
	v.whole.SetChecked(true)
	r = waitShown(h, "the whole picture", func(r *offsetResult) bool { return r.scene != nil && r.req.whole })
	if r.scene.in != [2]int{213, 640} {
		t.Errorf("a 900×300 picture ran at %v, want 213×640", r.scene.in)
	}
	if got := h.overlayText(); got != "" {
		t.Errorf("a dialog: %q", got)
	}

	// The run folder opens in the Offsets view as well.
	v.useRunDir(s.RunDir)
	r = waitShown(h, "the opened run", func(r *offsetResult) bool { return r.scene != nil && r.req.dir != "" })
	if r.scene.live || !slices.Equal(r.models, models[1:]) {
		t.Errorf("opened run: live %v, models %v", r.scene.live, r.models)
	}

	// With the crop cache gone, a new window opening the run builds the test
	// crops again and says how far it is.
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(cache, "deformscope", "coco")); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, t.TempDir())
	h2.u.tabs.SelectIndex(2)
	// The test crops, not a photo.
	h2.u.prefs.SetString(offsetsPrefKey("coco", "source"), srcTest)
	h2.u.offsets.useRunDir(s.RunDir)
	h2.waitFor("a progress message", flowTimeout, func() bool { return h2.u.offsets.progressText != "" })
	h2.capture("coco-offsets-building")
	waitShown(h2, "the run without its crop cache", func(r *offsetResult) bool { return r.scene != nil && r.req.dir != "" })
	if got := h2.u.offsets.progressText; !strings.HasPrefix(got, "Building the run's COCO crops again: ") ||
		!strings.HasSuffix(got, " images…") {
		t.Errorf("last progress message %q, want the crops being built", got)
	}
}

// firstTestLabel returns the label of test crop 0 of the shown run.
func (h *harness) firstTestLabel(t *testing.T) int {
	t.Helper()
	rc := h.u.run.Config
	rc.Limit = 1
	d, err := experiment.LoadData(rc)
	if err != nil {
		t.Fatal(err)
	}
	return int(d.Test.Y[0])
}

func containsAny(s string, words []string, prefix string) bool {
	for _, w := range words {
		if strings.Contains(s, prefix+w) {
			return true
		}
	}
	return false
}

func TestStatusTextLoading(t *testing.T) {
	for _, tc := range []struct {
		s    Snapshot
		want string
	}{
		{Snapshot{Phase: PhaseLoading, Data: "mnist"}, "Loading MNIST…"},
		{Snapshot{Phase: PhaseLoading, Data: "coco"}, "Loading the COCO crops…"},
		{Snapshot{Phase: PhaseLoading, Data: "coco", LoadDone: 1200, LoadTotal: 4952, RunDir: "/r"},
			"Building the COCO crops: 1,200 of 4,952 images… — run folder /r"},
		{Snapshot{Phase: PhaseLoading, Data: "coco", LoadWaiting: "pid 4242, dcn, since 2026-12-04 18:00:00"},
			"Waiting for another build of the same COCO crops (pid 4242, dcn, since 2026-12-04 18:00:00)…"},
		{Snapshot{Phase: PhaseLoading, Data: "coco", LoadDone: 1200, LoadTotal: 4952, LoadETA: 95 * time.Second, RunDir: "/r"},
			"Building the COCO crops: 1,200 of 4,952 images… ETA " + formatDuration(95*time.Second) + " — run folder /r"},
		{Snapshot{Phase: PhaseDone, Data: "coco", DataInfo: "9 training crops"}, "Finished · 9 training crops"},
	} {
		if got := statusText(tc.s); got != tc.want {
			t.Errorf("statusText = %q, want %q", got, tc.want)
		}
	}
}

// sampleCOCOSnapshot is a finished COCO run of cnn and the three
// placements, with category names.
func sampleCOCOSnapshot(runDir string) Snapshot {
	s := sampleSnapshot(runDir)
	s.Phase, s.Data = PhaseDone, "coco"
	s.Classes = []string{"person", "car", "chair", "book", "bottle", "cup", "dining table", "bowl", "traffic light", "handbag"}
	s.DataInfo = "8,000 training, 1,000 validation, 1,000 test crops of 10 categories"
	base := s.Models[0]
	s.Models = nil
	for i, m := range cocoModels(placeAll) {
		ms := base
		ms.Name, ms.Arch, ms.State, ms.Params = m, "coco-"+m, "done", 287395+i*10000
		ms.Epochs = slices.Clone(base.Epochs)
		ms.Epochs[0].Model = m
		ms.Epochs[0].TestAcc += metrics.Num(i)
		ms.Epochs[0].Scaled, ms.Epochs[0].ScaledTestAcc = nil, metrics.Num(math.NaN())
		ms.Step.Epoch, ms.Step.Batch = 4, 100
		s.Models = append(s.Models, ms)
	}
	return s
}

func TestMarkupCOCO(t *testing.T) {
	h := newHarness(t, "/runs")
	h.u.train.form.dataset.SetSelected(dataCOCO)
	h.u.train.form.cocoDir.SetText(cocoFixture)
	h.u.train.form.place.SetSelected(placeAll)
	h.settle()
	h.capture("coco-idle")
	h.assertMarkup("coco_idle.xml")

	h.u.apply(sampleCOCOSnapshot("/runs/coco"))
	h.u.tabs.SelectIndex(1)
	h.settle()
	h.capture("coco-results-sample")
	h.assertMarkup("coco_results.xml")
}

// TestProgressRowsFollowDataset is #16's stale state: after a COCO run the
// progress rows kept its four models when the form switched to MNIST. They
// show what Start would train once the form no longer trains the shown
// run's models, while Curves and Results keep showing that run.
func TestProgressRowsFollowDataset(t *testing.T) {
	h := newHarness(t, t.TempDir())
	f := h.u.train.form
	f.dataset.SetSelected(dataCOCO)
	f.place.SetSelected(placeAll)
	coco := sampleCOCOSnapshot("/runs/coco")
	h.u.apply(coco)
	rows := func() []string {
		var names []string
		for _, o := range h.u.train.progressBox.Objects {
			for m, p := range h.u.train.progress {
				if containsObject(o, p.name) {
					names = append(names, m)
				}
			}
		}
		return names
	}
	if got := h.u.train.rows; !slices.Equal(got, cocoModels(placeAll)) || len(rows()) != 4 {
		t.Fatalf("after the COCO run the rows are %v (%d shown), want %v", got, len(rows()), cocoModels(placeAll))
	}
	if got := h.u.train.progress["dcnn-middle"].detail.Text; !strings.Contains(got, "epoch") {
		t.Errorf("the run's own rows show %q, want its progress", got)
	}
	f.dataset.SetSelected(dataMNIST)
	if got := h.u.train.rows; !slices.Equal(got, mnistModels) || !slices.Equal(rows(), mnistModels) {
		t.Errorf("after switching to MNIST the rows are %v (%v shown), want %v", got, rows(), mnistModels)
	}
	if got := h.u.train.progress["cnn"].detail.Text; !strings.HasPrefix(got, "not trained") {
		t.Errorf("the CNN row of the next MNIST run says %q, want not trained", got)
	}
	if !slices.Equal(h.u.shown, cocoModels(placeAll)) || h.u.last.RunDir != "/runs/coco" {
		t.Errorf("the window shows %v of %q, want the COCO run still", h.u.shown, h.u.last.RunDir)
	}
	// Back to COCO with the run's placement: the run's rows again.
	f.dataset.SetSelected(dataCOCO)
	f.place.SetSelected(placeAll)
	if got := h.u.train.rows; !slices.Equal(got, cocoModels(placeAll)) {
		t.Errorf("back on COCO the rows are %v, want %v", got, cocoModels(placeAll))
	}
	if got := h.u.train.progress["dcnn-middle"].detail.Text; !strings.Contains(got, "epoch") {
		t.Errorf("back on COCO the run's rows show %q, want its progress", got)
	}
}

// containsObject reports whether want is o or lies inside o.
func containsObject(o, want fyne.CanvasObject) bool {
	if o == want {
		return true
	}
	if c, ok := o.(*fyne.Container); ok {
		for _, child := range c.Objects {
			if containsObject(child, want) {
				return true
			}
		}
	}
	return false
}

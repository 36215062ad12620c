package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/coco/fetch"
	"github.com/deformscope/deformscope/model/experiment"
)

// COCO in the window: a folder the user picks (or downloads) is searched
// for an instances file and its images, and the official zips are fetched
// on a goroutine of their own.

// cocoLayout is how a COCO folder looks, for the messages.
const cocoLayout = "a COCO folder holds annotations/instances_<split>.json and its images in images/<split>/ or <split>/"

// cocoSource is what a COCO folder gives a run: the instances file and
// image folder to train on and, when the folder holds both train2017 and
// val2017, val2017 as the test set (as in the course study).
type cocoSource struct {
	Root, Split         string
	Ann, Images         string
	TestAnn, TestImages string
}

// describe says in one line what the run will use, relative to the folder.
func (s cocoSource) describe() string {
	rel := func(p string) string {
		if r, err := filepath.Rel(s.Root, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	text := fmt.Sprintf("%s · %s/", filepath.Base(s.Ann), rel(s.Images))
	if s.TestAnn != "" {
		text += fmt.Sprintf("; test set %s · %s/", filepath.Base(s.TestAnn), rel(s.TestImages))
	}
	return text
}

// cocoRoot returns the COCO folder an instances file belongs to: the
// folder above annotations/.
func cocoRoot(ann string) string {
	dir := filepath.Dir(ann)
	if filepath.Base(dir) == "annotations" {
		return filepath.Dir(dir)
	}
	return dir
}

// splitOf names the split of an instances file: instances_val2017.json
// gives val2017.
func splitOf(ann string) string {
	return strings.TrimSuffix(strings.TrimPrefix(filepath.Base(ann), "instances_"), ".json")
}

// resolveCOCO finds what the COCO folder dir holds for a run: the
// instances file of a split with an image folder of JPEG or PNG files,
// training splits first. The annotations folder itself is accepted too.
// Every error names the file or folder and what is wrong with it.
func resolveCOCO(dir string) (cocoSource, error) {
	dir = strings.TrimSpace(dir)
	if dir == "" {
		return cocoSource{}, fmt.Errorf("choose a COCO folder: %s (Download COCO… fetches one)", cocoLayout)
	}
	dir = filepath.Clean(dir)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return cocoSource{}, fmt.Errorf("COCO folder %s does not exist", dir)
	case err != nil:
		return cocoSource{}, fmt.Errorf("COCO folder: %w", err)
	case !st.IsDir():
		return cocoSource{}, fmt.Errorf("COCO folder %s is a file, not a folder", dir)
	}
	root := dir
	if filepath.Base(dir) == "annotations" && !isDir(filepath.Join(dir, "annotations")) {
		root = filepath.Dir(dir)
	}
	anns, _ := filepath.Glob(filepath.Join(root, "annotations", "instances_*.json"))
	if len(anns) == 0 {
		return cocoSource{}, fmt.Errorf("%s has no annotations/instances_*.json: %s", root, cocoLayout)
	}
	// Training splits first, then the rest by name.
	slices.SortStableFunc(anns, func(a, b string) int {
		ta, tb := strings.HasPrefix(splitOf(a), "train"), strings.HasPrefix(splitOf(b), "train")
		switch {
		case ta && !tb:
			return -1
		case tb && !ta:
			return 1
		}
		return strings.Compare(a, b)
	})
	imageDir := func(ann string) string {
		for _, d := range []string{filepath.Join(root, "images", splitOf(ann)), filepath.Join(root, splitOf(ann))} {
			if isDir(d) {
				return d
			}
		}
		return ""
	}
	var src cocoSource
	var firstErr error
	for _, ann := range anns {
		imgs := imageDir(ann)
		if imgs == "" {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: no image folder for it (looked for %s and %s)", ann,
					filepath.Join(root, "images", splitOf(ann)), filepath.Join(root, splitOf(ann)))
			}
			continue
		}
		if err := hasImages(imgs); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", ann, err)
			}
			continue
		}
		if src.Ann == "" {
			src = cocoSource{Root: root, Split: splitOf(ann), Ann: ann, Images: imgs}
		} else if strings.HasPrefix(src.Split, "train") && strings.HasPrefix(splitOf(ann), "val") && src.TestAnn == "" {
			src.TestAnn, src.TestImages = ann, imgs
		}
	}
	if src.Ann == "" {
		return cocoSource{}, firstErr
	}
	if err := checkInstances(src.Ann); err != nil {
		return cocoSource{}, err
	}
	if src.TestAnn != "" {
		if err := checkInstances(src.TestAnn); err != nil {
			return cocoSource{}, err
		}
	}
	return src, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// hasImages reports an image folder without a single JPEG or PNG file. It
// reads the folder in chunks, so that a folder of 118,000 images answers
// at once.
func hasImages(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("image folder: %w", err)
	}
	defer f.Close()
	for {
		ents, err := f.ReadDir(256)
		for _, e := range ents {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".jpg", ".jpeg", ".png":
				if !e.IsDir() {
					return nil
				}
			}
		}
		if errors.Is(err, io.EOF) || err == nil && len(ents) == 0 {
			return fmt.Errorf("its image folder %s holds no JPEG or PNG images", dir)
		}
		if err != nil {
			return fmt.Errorf("image folder %s: %w", dir, err)
		}
	}
}

// checkInstances looks at the start of an instances file: a file that is
// empty or is no JSON object is refused at once; deeper faults are found
// (and named with their byte offset) when the crops are built.
func checkInstances(path string) error {
	f, err := safeopen.Open(path) // a FIFO would block the window for ever
	if err != nil {
		return fmt.Errorf("COCO instances file: %w", err)
	}
	defer f.Close()
	head, err := bufio.NewReader(f).Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("COCO instances file %s: %w", path, err)
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(head) == 0:
		return fmt.Errorf("COCO instances file %s is empty", path)
	case head[0] != '{':
		return fmt.Errorf("COCO instances file %s is not JSON: it does not start with an object ('{')", path)
	}
	return nil
}

// placementChoice is the models the form's placement p trains (the
// engine's ModelChoice, as dcn's --model and --deform fill it): the CNN and
// the deformable pair at p, or at each placement for "all three".
func placementChoice(p string) experiment.ModelChoice {
	if p == placeAll {
		p = ""
	}
	return experiment.PlacementChoice(p)
}

// cocoModels returns the models of a COCO run with the deformable pair at
// placement p ("all three": one net per placement).
func cocoModels(p string) []string {
	models, err := placementChoice(p).Models()
	if err != nil {
		// The form's select offers only the course study's placements; anything
		// else (none chosen) trains the default one.
		models, _ = placementChoice(placeMiddle).Models()
	}
	return models
}

// placementOf is the placement choice that trains models; the middle one
// (the form's default) for models no placement trains.
func placementOf(models []string) string {
	p, err := experiment.PlacementOf(models)
	switch {
	case err != nil:
		return placeMiddle
	case p == "":
		return placeAll
	}
	return p
}

// useCOCODir shows the COCO folder dir in the form; a folder it can use is
// remembered, one it cannot gets an error dialog.
func (u *UI) useCOCODir(dir string) {
	u.train.form.cocoDir.SetText(dir)
	if _, err := resolveCOCO(dir); err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	u.prefs.SetString(prefCOCODir, dir)
}

// chooseCOCODir lets the user pick a COCO folder, starting from the one
// in the form.
func (u *UI) chooseCOCODir() {
	d := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		if uri != nil {
			u.useCOCODir(uri.Path())
		}
	}, u.win)
	if dir := strings.TrimSpace(u.train.form.cocoDir.Text); isDir(dir) {
		if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

// The splits Download COCO… offers.
var fetchSplits = []string{"val2017", "train2017"}

// splitChoice describes a split for the download dialog: its name and what
// it costs.
func splitChoice(split string) string {
	archives, _ := fetch.SplitArchives(split)
	var size int64
	for _, a := range archives {
		size += a.Size
	}
	n := map[string]string{"val2017": "5,000 images", "train2017": "118,287 images"}[split]
	return fmt.Sprintf("%s: %s, %s with the annotations", split, n, humanBytes(size))
}

// humanBytes writes n bytes as 815.6 MB or 19.6 GB.
func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// fetchProgress is a download's progress, as fetch.Fetcher reports it.
type fetchProgress struct {
	Name        string // the zip
	Done, Total int64  // bytes; Total 0 when unknown
}

// downloader is Download COCO…: its dialog, and the one download under
// way on a goroutine of its own. The bridge hands that goroutine's
// progress and end to the UI goroutine, which owns the dialogs.
type downloader struct {
	u       *UI
	cur     *download // the download under way, nil when none
	wg      sync.WaitGroup
	baseURL string // the COCO server; "" for cocodataset.org (tests serve their own)
}

// download is one COCO download under way.
type download struct {
	split, dir string
	cancel     context.CancelFunc
	ctx        context.Context
	dlg        *dialog.CustomDialog
	bar        *meter
	label      *widget.Label
	stop       *widget.Button
	progress   latest[fetchProgress]
}

// downloadForm is the Download COCO dialog and its fields.
type downloadForm struct {
	*dialog.FormDialog
	split *widget.RadioGroup
	dir   *widget.Entry
}

// show asks which split to fetch and where, then downloads it.
func (f *downloader) show() {
	if f.u.closed || f.cur != nil {
		return
	}
	f.dialog().Show()
}

func (f *downloader) dialog() *downloadForm {
	u := f.u
	df := &downloadForm{dir: widget.NewEntry()}
	var choices []string
	for _, s := range fetchSplits {
		choices = append(choices, splitChoice(s))
	}
	df.split = widget.NewRadioGroup(choices, nil)
	df.split.Required = true
	df.split.SetSelected(choices[0])
	// Not the COCO folder in the form: the annotations zip would overwrite
	// its instances files.
	dir := u.prefs.String(prefFetchDir)
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, "coco")
		}
	}
	df.dir.SetText(dir)
	browse := widget.NewButton("Browse…", func() {
		dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
			if err == nil && uri != nil {
				df.dir.SetText(uri.Path())
			}
		}, u.win).Show()
	})
	items := []*widget.FormItem{
		{Text: "Split", Widget: df.split, HintText: "from cocodataset.org; an interrupted download resumes"},
		{Text: "Folder", Widget: container.NewBorder(nil, nil, nil, browse, df.dir),
			HintText: "gets annotations/ and the split's image folder"},
	}
	df.FormDialog = dialog.NewForm("Download COCO", "Download", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		split := fetchSplits[max(0, slices.Index(choices, df.split.Selected))]
		f.start(split, strings.TrimSpace(df.dir.Text))
	}, u.win)
	df.Resize(fyne.NewSize(600, df.MinSize().Height))
	return df
}

// start fetches split into dir on a goroutine of its own, showing its
// progress in a dialog whose Stop button cancels it.
func (f *downloader) start(split, dir string) {
	u := f.u
	if u.closed || f.cur != nil {
		return
	}
	if dir == "" {
		dialog.ShowError(errors.New("download COCO: choose a folder"), u.win)
		return
	}
	u.prefs.SetString(prefFetchDir, dir)
	ctx, cancel := context.WithCancel(context.Background())
	d := &download{split: split, dir: dir, ctx: ctx, cancel: cancel, bar: newMeter(),
		label: widget.NewLabel("Connecting…")}
	d.label.Truncation = fyne.TextTruncateEllipsis
	d.stop = widget.NewButton("Stop", func() {
		d.cancel()
		d.stop.Disable()
		d.label.SetText("Stopping…")
	})
	content := container.NewVBox(widget.NewLabel(fmt.Sprintf("COCO %s into %s", split, dir)), d.bar, d.label)
	d.dlg = dialog.NewCustomWithoutButtons("Downloading COCO", content, u.win)
	d.dlg.SetButtons([]fyne.CanvasObject{d.stop})
	d.dlg.Resize(fyne.NewSize(560, d.dlg.MinSize().Height))
	d.dlg.Show()
	f.cur = d
	setEnabled(u.train.form.download, false)

	fe := &fetch.Fetcher{BaseURL: f.baseURL, Progress: func(name string, done, total int64) {
		u.bridge.downloadProgress(f, d, fetchProgress{Name: name, Done: done, Total: total})
	}}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		err := fe.Fetch(ctx, split, dir)
		u.bridge.downloadEnded(f, d, err)
	}()
}

// showProgress shows a download's progress; it runs on the UI goroutine.
func (f *downloader) showProgress(d *download, p fetchProgress) {
	if f.cur != d || d.ctx.Err() != nil {
		return
	}
	if p.Total > 0 {
		d.bar.Max = float64(p.Total)
		d.bar.SetValue(float64(min(p.Done, p.Total)))
	}
	switch {
	case p.Total > 0 && p.Done >= p.Total:
		d.label.SetText(p.Name + ": downloaded; unpacking…")
	case p.Total > 0:
		d.label.SetText(fmt.Sprintf("%s: %s of %s", p.Name, humanBytes(p.Done), humanBytes(p.Total)))
	default:
		d.label.SetText(fmt.Sprintf("%s: %s", p.Name, humanBytes(p.Done)))
	}
}

// ended reports how a download ended; it runs on the UI goroutine. A
// finished download becomes the form's COCO folder.
func (f *downloader) ended(d *download, err error) {
	u := f.u
	d.cancel()
	d.dlg.Hide()
	if f.cur == d {
		f.cur = nil
	}
	setEnabled(u.train.form.download, true)
	if u.closed {
		return
	}
	switch {
	case errors.Is(err, context.Canceled):
		dialog.ShowInformation("Download stopped",
			fmt.Sprintf("The download of COCO %s into %s stopped; start it again to resume.", d.split, d.dir), u.win)
		return
	case err != nil:
		dialog.ShowError(fmt.Errorf("downloading COCO %s into %s: %w", d.split, d.dir, err), u.win)
		return
	}
	form := u.train.form
	if !u.last.Phase.Active() {
		form.dataset.SetSelected(dataCOCO)
	}
	form.cocoDir.SetText(d.dir)
	src, rerr := resolveCOCO(d.dir)
	if rerr != nil {
		dialog.ShowError(fmt.Errorf("COCO %s was downloaded into %s, but: %w", d.split, d.dir, rerr), u.win)
		return
	}
	u.prefs.SetString(prefCOCODir, d.dir)
	dialog.ShowInformation("COCO is ready", fmt.Sprintf("COCO %s is ready in %s:\n%s", d.split, d.dir, src.describe()), u.win)
}

// close stops a download under way and waits for its goroutine.
func (f *downloader) close() {
	f.stop()
	f.wg.Wait()
}

// stop cancels a download under way without waiting for it.
func (f *downloader) stop() {
	if f.cur != nil {
		f.cur.cancel()
	}
}

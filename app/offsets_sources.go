package app

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
)

// offsetSources is the Offsets view's choice of what to look at: the run
// (the session's, a run folder or a capture file), its model and layer,
// the image (a test image, an image file or a photo and its object) and
// the epoch. Its fields belong to the UI goroutine.
type offsetSources struct {
	runLabel   *widget.Label
	session    *widget.Button
	openRun    *widget.Button
	openCap    *widget.Button
	source     *widget.Select
	index      *formEntry
	prev, next *widget.Button
	openImage  *widget.Button
	whole      *widget.Check
	objects    *widget.Select // the photo's boxes (Photo source)
	objectPx   *formEntry     // the object side for a whole photo
	model      *widget.Select
	layer      *widget.Select
	epoch      *widget.Slider
	epochLabel *widget.Label
	win        fyne.Window
	act        sourceActions

	// The choices and what the view knows of the run.
	runDir  string // a run folder the user opened; "" follows the session
	capture bool   // runDir is a capture file (deformscope_capture.py)
	runGen  int
	sessRun *rundir.Run // the session's run; nil before one
	sessDir string
	snap    Snapshot // the session's last snapshot
	// sessModel is the session's deformable model that live and sessEpochs follow.
	sessModel  string
	sessEpochs int                   // its complete epochs in the session
	live       []*metrics.Inspection // their in-memory sampling fields, by epoch−1
	models     []string              // the deformable models of the run shown, once known
	file       string                // the image file shown when the source is srcFile
	testIdx    int
	photoIdx   int     // the photo shown when the source is srcPhoto
	objectSel  int     // its chosen box; −1 the largest
	objectSide float64 // "Whole image": the object side; 0 the chosen box's
	coco       bool    // the run shown is a COCO run
	photoN     int
	hasPick    bool
	pick       [2]float64 // the unit's input position, when hasPick
	epochSel   int        // 0 follows the last complete epoch
	lastEpoch  int
	testN      int
	// prefModel and prefLayer are the data set's remembered model and
	// layer (offsets_prefs.go), chosen once the run's are known.
	prefModel, prefLayer string
}

// sourceActions are what the sources ask of the view: the choices that
// need more than the sources (a run folder, a capture file, the whole
// image), and what follows a change of choice.
type sourceActions struct {
	chooseRun, chooseCapture, whole func()
	// quiet says that the view is setting its own widgets: handlers do nothing.
	quiet   func() bool
	hush    func(set func()) // runs set with the handlers quiet
	sync    func()           // shows the choices in every part's widgets
	request func()           // asks for the picture chosen now
	unframe func()           // frames a new photo on the unit again
}

// newOffsetSources makes the sources' widgets; shortcut runs the window's
// shortcuts typed in its entries, win shows the file dialogs.
func newOffsetSources(win fyne.Window, shortcut func(fyne.Shortcut) bool, act sourceActions) *offsetSources {
	v := &offsetSources{win: win, act: act, objectSel: -1}
	v.runLabel = widget.NewLabel("")
	v.runLabel.Truncation = fyne.TextTruncateEllipsis
	v.session = widget.NewButtonWithIcon("This session", theme.HistoryIcon(), v.useSession)
	v.openRun = widget.NewButtonWithIcon("Open run folder…", theme.FolderOpenIcon(), act.chooseRun)
	v.openCap = widget.NewButtonWithIcon("Open capture…", theme.FileIcon(), act.chooseCapture)
	v.source = widget.NewSelect([]string{srcTest, srcFile}, v.sourceChanged)
	v.index = newFormEntry(shortcut)
	v.index.SetText("0")
	v.index.OnChanged = v.indexChanged
	v.prev = widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() { v.stepIndex(-1) })
	v.next = widget.NewButtonWithIcon("", theme.ContentAddIcon(), func() { v.stepIndex(1) })
	v.openImage = widget.NewButtonWithIcon("Open image…", theme.FileImageIcon(), v.chooseImage)
	v.whole = widget.NewCheck("Whole image", func(bool) { act.whole() })
	v.objects = widget.NewSelect(nil, v.objectChanged)
	v.objects.PlaceHolder = "–"
	v.objectPx = newFormEntry(shortcut)
	v.objectPx.SetPlaceHolder("the box's")
	v.objectPx.OnChanged = v.objectPxChanged
	v.model = widget.NewSelect(nil, v.modelChanged)
	v.model.PlaceHolder = "–"
	v.layer = widget.NewSelect(nil, v.layerChanged)
	v.layer.PlaceHolder = "–"
	v.epoch = widget.NewSlider(0, 1)
	v.epoch.Step = 1
	v.epoch.OnChanged = v.epochChanged
	v.epochLabel = widget.NewLabel("")
	return v
}

// sessionChanged follows the window's session: its run, and each epoch it
// completes. It runs on the UI goroutine for every snapshot, so it returns
// at once when nothing it shows changed.
func (v *offsetSources) sessionChanged(s Snapshot, run *rundir.Run) {
	v.snap = s
	newRun := s.RunDir != v.sessDir
	if newRun && v.runDir == "" {
		v.epochSel = 0 // a new session: follow its epochs
		v.setModels(deformables(s.Names()))
	}
	name := v.sessModel
	if v.runDir == "" || !slices.Contains(deformables(s.Names()), name) {
		name = v.chosenModelOf(deformables(s.Names()))
	}
	var epochs []metrics.Epoch
	if m := s.Model(name); m != nil {
		epochs = m.Epochs
	}
	if !newRun && name == v.sessModel && len(epochs) == v.sessEpochs && (run == v.sessRun || s.RunDir == "") {
		return
	}
	if run != nil && run.Dir != s.RunDir {
		run = nil
	}
	v.sessDir, v.sessRun = s.RunDir, run
	v.followSession(name)
}

// followSession makes the live sampling fields and the last epoch those of
// the session's model name, and asks for a picture when the view shows the
// session.
func (v *offsetSources) followSession(name string) {
	var epochs []metrics.Epoch
	if m := v.snap.Model(name); m != nil {
		epochs = m.Epochs
	}
	v.sessModel = name
	v.sessEpochs = 0
	v.live = nil
	for i, e := range epochs {
		if e.Epoch != i+1 {
			break // only a run of consecutive epochs from 1
		}
		v.live = append(v.live, e.Inspect)
		v.sessEpochs = e.Epoch
	}
	if v.runDir == "" {
		v.lastEpoch = v.sessEpochs
		v.act.sync()
		v.act.request()
	}
}

// chosenModel is the deformable model the view shows: the one picked, or
// the run's first.
func (v *offsetSources) chosenModel() string { return v.chosenModelOf(v.models) }

func (v *offsetSources) chosenModelOf(models []string) string {
	if slices.Contains(models, v.model.Selected) {
		return v.model.Selected
	}
	if len(models) > 0 {
		return models[0]
	}
	return ""
}

// setModels offers the deformable models of the run shown, keeping the
// choice when the run has it.
func (v *offsetSources) setModels(models []string) {
	if slices.Equal(models, v.models) {
		return
	}
	v.models = slices.Clone(models)
	v.act.hush(func() {
		sel := v.model.Selected
		v.model.SetOptions(v.models)
		switch {
		case slices.Contains(v.models, v.prefModel):
			v.model.SetSelected(v.prefModel)
			v.prefModel = ""
		case slices.Contains(v.models, sel):
			v.model.SetSelected(sel)
		case len(v.models) > 0:
			v.model.SetSelected(v.models[0])
		default:
			v.model.ClearSelected()
		}
	})
}

// modelChanged shows another deformable model: its own layers, and for the
// session its own epochs.
func (v *offsetSources) modelChanged(string) {
	if v.act.quiet() {
		return
	}
	v.hasPick = false
	if v.runDir == "" {
		v.followSession(v.chosenModel())
		return
	}
	v.act.sync()
	v.act.request()
}

func (v *offsetSources) sourceChanged(s string) {
	if v.act.quiet() {
		return
	}
	if s == srcFile && v.file == "" {
		v.chooseImage()
		v.act.hush(func() {
			v.source.SetSelected(srcTest) // until a file is chosen
		})
		return
	}
	v.imageChanged()
}

// imageChanged shows another image: the unit goes back to the centre,
// unless the image is another test image of the same size.
func (v *offsetSources) imageChanged() {
	if v.act.quiet() {
		return
	}
	if v.source.Selected != srcTest {
		v.hasPick = false
		v.act.unframe()
	}
	v.act.sync()
	v.act.request()
}

func (v *offsetSources) indexChanged(s string) {
	if v.act.quiet() {
		return
	}
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || i < 0 {
		return
	}
	if v.source.Selected == srcPhoto {
		if i == v.photoIdx {
			return
		}
		v.photoIdx, v.objectSel, v.hasPick = i, -1, false
		v.act.unframe()
	} else {
		v.testIdx = i
	}
	v.act.request()
}

// stepIndex moves to the previous or next test image.
func (v *offsetSources) stepIndex(d int) {
	i, n := v.testIdx+d, v.testN
	if v.source.Selected == srcPhoto {
		i, n = v.photoIdx+d, v.photoN
	}
	if n > 0 {
		i = min(i, n-1)
	}
	i = max(i, 0)
	v.index.SetText(strconv.Itoa(i)) // indexChanged asks for it
}

func (v *offsetSources) layerChanged(string) { v.act.request() }

func (v *offsetSources) epochChanged(f float64) {
	if v.act.quiet() {
		return
	}
	e := int(math.Round(f))
	if e >= v.lastEpoch {
		e = 0 // at the end: follow new epochs as they come
	}
	if e == v.epochSel {
		return
	}
	v.epochSel = e
	v.act.sync()
	v.act.request()
}

// chooseImage opens a JPEG or PNG file to inspect.
func (v *offsetSources) chooseImage() {
	v.openFile([]string{".png", ".jpg", ".jpeg"}, v.useImageFile)
}

// openFile shows a file-open dialog limited to exts and hands the chosen
// file's path to use; a dialog error is shown, a cancel does nothing.
func (v *offsetSources) openFile(exts []string, use func(path string)) {
	d := dialog.NewFileOpen(func(f fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, v.win)
			return
		}
		if f == nil {
			return
		}
		path := f.URI().Path()
		f.Close()
		use(path)
	}, v.win)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.Show()
}

// useImageFile shows the image in path; the worker reads it, and a file it
// cannot read comes back as an error dialog.
func (v *offsetSources) useImageFile(path string) {
	v.file = path
	v.hasPick = false
	v.act.hush(func() {
		v.source.SetSelected(srcFile)
	})
	v.act.sync()
	v.act.request()
}

// useRunDir shows the run in dir; the worker opens it, and a folder it
// cannot use comes back as an error dialog.
func (v *offsetSources) useRunDir(dir string) {
	v.runDir, v.capture = dir, false
	v.runGen++
	v.epochSel = 0
	v.lastEpoch = 0
	v.setModels(nil) // the worker says which the folder holds
	v.act.sync()
	v.act.request()
}

// useSession goes back to the session's run.
func (v *offsetSources) useSession() {
	v.runDir, v.capture = "", false
	v.epochSel = 0
	v.setModels(deformables(v.snap.Names()))
	v.followSession(v.chosenModel())
}

// objectChanged chooses another box of the photo.
func (v *offsetSources) objectChanged(s string) {
	if v.act.quiet() {
		return
	}
	i := slices.Index(v.objects.Options, s)
	if i < 0 || i == v.objectSel {
		return
	}
	v.objectSel, v.hasPick = i, false
	v.act.request()
}

// objectPxChanged sets the object side of a whole photo: empty for the
// chosen box's.
func (v *offsetSources) objectPxChanged(s string) {
	if v.act.quiet() {
		return
	}
	s = strings.TrimSpace(s)
	side := 0.0
	if s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f >= 1) || math.IsInf(f, 0) {
			return // not a size yet; the entry keeps what is typed
		}
		side = f
	}
	if side == v.objectSide {
		return
	}
	v.objectSide, v.hasPick = side, false
	v.act.request()
}

// showPhotoInfo takes a result's photo list and boxes into the controls.
func (v *offsetSources) showPhotoInfo(r *offsetResult) {
	if r.coco != v.coco {
		v.coco = r.coco
		opts := []string{srcTest, srcFile}
		if v.coco {
			opts = append(opts, srcPhoto)
		}
		v.act.hush(func() {
			sel := v.source.Selected
			v.source.SetOptions(opts)
			if !slices.Contains(opts, sel) {
				sel = srcTest
			}
			v.source.SetSelected(sel)
		})
	}
	if r.photoN > 0 {
		v.photoN = r.photoN
	}
	v.act.hush(func() {
		if !slices.Equal(v.objects.Options, r.objects) {
			v.objects.SetOptions(r.objects)
		}
		if r.object >= 0 && r.object < len(r.objects) {
			v.objects.SetSelected(r.objects[r.object])
		} else {
			v.objects.ClearSelected()
		}
	})
}

// dilationRun is the run the view shows, opened; nil for a capture or
// before any run.
func (v *offsetSources) dilationRun() (*rundir.Run, error) {
	switch {
	case v.capture:
		return nil, fmt.Errorf("a capture has no net to measure")
	case v.runDir != "":
		return rundir.Open(v.runDir)
	case v.sessRun != nil:
		return v.sessRun, nil
	}
	return nil, fmt.Errorf("no run to measure yet")
}

// The sources' part of the view's syncControls, which keeps the view's
// handlers quiet while they set the widgets.

// syncRun names the run shown, and offers the session and the models.
func (v *offsetSources) syncRun() {
	switch {
	case v.capture:
		v.runLabel.SetText(v.runDir + " (capture)")
	case v.runDir != "":
		v.runLabel.SetText(v.runDir)
	case v.sessDir != "":
		v.runLabel.SetText(v.sessDir + " (this session)")
	default:
		v.runLabel.SetText("none yet: train one, or open a run folder")
	}
	setEnabled(v.session, v.runDir != "" && v.sessRun != nil)
	setEnabled(v.model, len(v.models) > 1)
}

// syncImage shows the image chosen and enables what applies to it; it
// reports whether the image is a photo in context (of a COCO run).
func (v *offsetSources) syncImage() (inPhoto bool) {
	file := v.source.Selected == srcFile
	for _, w := range []fyne.Disableable{v.index, v.prev, v.next} {
		setEnabled(w, !file && !v.capture)
	}
	if v.source.Selected == srcPhoto {
		v.index.SetText(strconv.Itoa(v.photoIdx))
	} else {
		v.index.SetText(strconv.Itoa(v.testIdx))
	}
	photo := v.source.Selected == srcPhoto
	setEnabled(v.whole, (file || photo) && !v.capture)
	setEnabled(v.objects, (file || photo) && len(v.objects.Options) > 1)
	setEnabled(v.objectPx, (file || photo) && v.whole.Checked && v.coco)
	inPhoto = (file || photo) && v.coco && !v.capture
	setEnabled(v.source, !v.capture) // a capture shows its own image
	setEnabled(v.openImage, !v.capture)
	return inPhoto
}

// syncEpoch shows the epoch chosen, of the run's complete ones.
func (v *offsetSources) syncEpoch() {
	last := v.lastEpoch
	e := v.epochSel
	if e <= 0 || e > last {
		e = last
	}
	if last <= 1 {
		v.epoch.Min, v.epoch.Max = 0, 1
		v.epoch.Disable()
	} else {
		v.epoch.Min, v.epoch.Max = 1, float64(last)
		v.epoch.Enable()
	}
	v.epoch.SetValue(float64(e))
	v.epoch.Refresh()
	if last == 0 {
		v.epochLabel.SetText("no epoch yet")
	} else {
		v.epochLabel.SetText(fmt.Sprintf("%d of %d", e, last))
	}
}

package app

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// sessionChanged follows the window's session: its run, and each epoch it
// completes. It runs on the UI goroutine for every snapshot, so it returns
// at once when nothing it shows changed.
func (v *offsetsView) sessionChanged(s Snapshot, run *rundir.Run) {
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
func (v *offsetsView) followSession(name string) {
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
		v.syncControls()
		v.request()
	}
}

// chosenModel is the deformable model the view shows: the one picked, or
// the run's first.
func (v *offsetsView) chosenModel() string { return v.chosenModelOf(v.models) }

func (v *offsetsView) chosenModelOf(models []string) string {
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
func (v *offsetsView) setModels(models []string) {
	if slices.Equal(models, v.models) {
		return
	}
	v.models = slices.Clone(models)
	v.syncing = true
	defer func() { v.syncing = false }()
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
}

// modelChanged shows another deformable model: its own layers, and for the
// session its own epochs.
func (v *offsetsView) modelChanged(string) {
	if v.syncing {
		return
	}
	v.hasPick = false
	if v.runDir == "" {
		v.followSession(v.chosenModel())
		return
	}
	v.syncControls()
	v.request()
}

func (v *offsetsView) sourceChanged(s string) {
	if v.syncing {
		return
	}
	if s == srcFile && v.file == "" {
		v.chooseImage()
		v.syncing = true
		v.source.SetSelected(srcTest) // until a file is chosen
		v.syncing = false
		return
	}
	v.imageChanged()
}

// imageChanged shows another image: the unit goes back to the centre,
// unless the image is another test image of the same size.
func (v *offsetsView) imageChanged() {
	if v.syncing {
		return
	}
	if v.source.Selected != srcTest {
		v.hasPick = false
		v.view, v.framing = viz.Viewport{}, viz.FrameUnit
	}
	v.syncControls()
	v.request()
}

func (v *offsetsView) indexChanged(s string) {
	if v.syncing {
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
		v.photoIdx, v.objectSel, v.view, v.framing, v.hasPick = i, -1, viz.Viewport{}, viz.FrameUnit, false
	} else {
		v.testIdx = i
	}
	v.request()
}

// stepIndex moves to the previous or next test image.
func (v *offsetsView) stepIndex(d int) {
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

func (v *offsetsView) layerChanged(string) { v.request() }

func (v *offsetsView) epochChanged(f float64) {
	if v.syncing {
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
	v.syncControls()
	v.request()
}

// chooseImage opens a JPEG or PNG file to inspect.
func (v *offsetsView) chooseImage() {
	v.openFile([]string{".png", ".jpg", ".jpeg"}, v.useImageFile)
}

// openFile shows a file-open dialog limited to exts and hands the chosen
// file's path to use; a dialog error is shown, a cancel does nothing.
func (v *offsetsView) openFile(exts []string, use func(path string)) {
	d := dialog.NewFileOpen(func(f fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, v.u.win)
			return
		}
		if f == nil {
			return
		}
		path := f.URI().Path()
		f.Close()
		use(path)
	}, v.u.win)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.Show()
}

// useImageFile shows the image in path; the worker reads it, and a file it
// cannot read comes back as an error dialog.
func (v *offsetsView) useImageFile(path string) {
	v.file = path
	v.hasPick = false
	v.syncing = true
	v.source.SetSelected(srcFile)
	v.syncing = false
	v.syncControls()
	v.request()
}

// chooseRun opens a run folder.
func (v *offsetsView) chooseRun() {
	v.u.chooseFolderAt("Open run folder", v.u.runsRoot(), func(dir string) {
		// A run of ours opens in the whole window (Curves and Results too);
		// anything else, or any folder during training, in this view alone.
		if _, err := rundir.Open(dir); err == nil && !v.u.last.Phase.Active() {
			if err := v.u.OpenRun(dir); err != nil {
				dialog.ShowError(err, v.u.win)
			}
			return
		}
		v.useRunDir(dir)
	}).Show()
}

// useRunDir shows the run in dir; the worker opens it, and a folder it
// cannot use comes back as an error dialog.
func (v *offsetsView) useRunDir(dir string) {
	v.runDir, v.capture = dir, false
	v.runGen++
	v.epochSel = 0
	v.lastEpoch = 0
	v.setModels(nil) // the worker says which the folder holds
	v.syncControls()
	v.request()
}

// useSession goes back to the session's run.
func (v *offsetsView) useSession() {
	v.runDir, v.capture = "", false
	v.epochSel = 0
	v.setModels(deformables(v.snap.Names()))
	v.followSession(v.chosenModel())
}

// objectChanged chooses another box of the photo.
func (v *offsetsView) objectChanged(s string) {
	if v.syncing {
		return
	}
	i := slices.Index(v.objects.Options, s)
	if i < 0 || i == v.objectSel {
		return
	}
	v.objectSel, v.hasPick = i, false
	v.request()
}

// objectPxChanged sets the object side of a whole photo: empty for the
// chosen box's.
func (v *offsetsView) objectPxChanged(s string) {
	if v.syncing {
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
	v.request()
}

// wholeChanged runs the net on the whole photo or on the chosen object's
// crop. In a photo, the unit stays the one under the same photo point, and
// the framing stays as it was (on the unit, it frames the unit's new
// points).
func (v *offsetsView) wholeChanged() {
	if v.syncing {
		return
	}
	if r := v.shown; r != nil && r.scene != nil && r.scene.Context != nil && r.scene.Points != nil {
		u := r.scene.Points.Unit // in the photo's pixels
		v.hasPick, v.pick = true, [2]float64{u.Y, u.X}
		v.syncControls()
		v.request()
		return
	}
	v.imageChanged()
}

// showPhotoInfo takes a result's photo list and boxes into the controls.
func (v *offsetsView) showPhotoInfo(r *offsetResult) {
	if r.coco != v.coco {
		v.coco = r.coco
		opts := []string{srcTest, srcFile}
		if v.coco {
			opts = append(opts, srcPhoto)
		}
		v.syncing = true
		sel := v.source.Selected
		v.source.SetOptions(opts)
		if !slices.Contains(opts, sel) {
			sel = srcTest
		}
		v.source.SetSelected(sel)
		v.syncing = false
	}
	if r.photoN > 0 {
		v.photoN = r.photoN
	}
	{
		v.syncing = true
		if !slices.Equal(v.objects.Options, r.objects) {
			v.objects.SetOptions(r.objects)
		}
		if r.object >= 0 && r.object < len(r.objects) {
			v.objects.SetSelected(r.objects[r.object])
		} else {
			v.objects.ClearSelected()
		}
		v.syncing = false
	}
}

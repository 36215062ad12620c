package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
	"github.com/deformscope/deformscope/viz/replay"
)

// The choices of the Offsets view.
const (
	srcTest        = "Test image"
	srcFile        = "Image file"
	readBilinear   = "Bilinear"
	readRounded    = "Rounded"
	weightSize     = "Size"
	weightAlpha    = "Alpha"
	weightNone     = "None"
	maxExportScale = 64
	hintPoints     = "Click a picture to choose the unit; red dots: where it samples, green ring: the unit (every tap through the deformable layers below)."
	hintHeatmap    = "The heat map shows the whole layer: colours as on the bar (|Δp| to the 99th percentile of all epochs), the image as an outline."
	// offsetsHelp explains every option of the view.
	offsetsHelp = `Show: Points draws one unit's sampling locations (click the picture to choose the unit); |Δp| and Mask colour the whole layer.

Green ring: the unit, at the centre of its receptive field. Red dots: where its kernel samples, every tap through every deformable layer below (9, 81 or 729 points). Left: the plain CNN's regular grid for the same unit.

Offsets: Bilinear reads each deformable layer's offsets at a point's exact position between units; Rounded reads the nearest unit's, as the paper's figures do.

Weight: Size makes a dot's area, Alpha its opacity, grow with the product of the DCNv2 masks along its path (how much that sample counts); None draws every dot alike.

Heat maps: |Δp| is the mean offset length over the taps, in pixels of the layer's input, coloured up to the 99th percentile over every epoch of the run, so the colours stay put while the epoch slider moves; "Clamp scale" runs the colours to the largest |Δp| the block allows instead (its bound ×√2), which shows how far the offsets are from it. Mask is the DCNv2 modulation, 0 to 2. Colours are those of the bar; the image is drawn as the outline of its bright parts.

Photo (COCO runs, the default there): a photo of the run's data, whole, with its annotated boxes (gold; the chosen one green). Choose an object from the list or click its box: its crop is cut exactly as training cut it (dashed blue), the net runs on it, and the unit's points are drawn where they fall on the photo. It opens framed on the unit: every point of the CNN's grid and of the DCNN at the chosen layer, at one scale in both panels; "Whole photo" shows the photo whole, "Fit points" frames the unit again. Click inside the crop to choose the unit; the wheel zooms about the pointer, a drag pans. The caption measures the unit: its mean and largest |Δp| (in the layer's input pixels and the photo's), its effective dilation, and the layer's mean |Δp| over the image. Offsets under 0.05 px everywhere are said in words ("offsets ≈ 0 … nothing learned here yet") and drawn on a fixed scale, never stretched. An image file that the run's instances files annotate (by file name) is shown the same way.

Whole image: MNIST runs the net on the image at its own size. The unit stays the one under the same photo point. COCO runs resize the whole photo so that objects of the chosen box's size (or "object px") meet the net at the scale it was trained at, and clamp the offsets at the bound training used (said in the title); the busy sign shows while it computes, and the old picture is greyed.

Dilation: measures each layer's effective dilation (the paper's table 2: the mean distance between a unit's adjacent sampling locations) on the run's test images and charts it against the digit's scale or the object's size.

Epoch: replays the checkpoints; Export PNG writes the picture with its key; Export GIF writes the replay, one frame per epoch, as dcn replay does (the points, or the |Δp| heat map with its scale fixed over every frame).`
)

// offsetsView is the Offsets tab: the sampling locations of a deformable
// layer's unit over an image, the plain CNN's regular grid beside them, or
// heat maps of the offsets and masks, for any epoch of a run. Its fields
// belong to the UI goroutine; the worker draws.
type offsetsView struct {
	u *UI
	w *offsetsWorker

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
	fitView    *widget.Button // back to the whole photo
	fitPoints  *widget.Button // back to the unit's points
	busy       *widget.ProgressBarInfinite
	model      *widget.Select
	layer      *widget.Select
	epoch      *widget.Slider
	epochLabel *widget.Label
	mode       *widget.Select
	group      *widget.Select // a capture layer's offset group (offsets_capture.go)
	read       *widget.Select
	weight     *widget.Select
	clamp      *widget.Check
	export     *widget.Button
	gif        *widget.Button
	dilation   *widget.Button
	help       *widget.Button
	caption    *widget.Label
	measured   *widget.Label // the unit measured, or that the offsets are ≈ 0
	hint       *widget.Label
	more       *widget.Button  // shows or hides moreBox
	moreBox    *fyne.Container // the controls used less: framing, reading, group, captures, exports
	msg        *widget.Label
	// progressText is the last progress message shown.
	progressText string
	cnn, dcnn    *offsetPanel
	panels       *fyne.Container
	root         fyne.CanvasObject // the view's content

	// The view's choices and what it knows of the run.
	runDir     string // a run folder the user opened; "" follows the session
	capture    bool   // runDir is a capture file (deformscope_capture.py)
	runGen     int
	sessRun    *rundir.Run // the session's run; nil before one
	sessDir    string
	snap       Snapshot              // the session's last snapshot
	sessModel  string                // the session's deformable model that live and sessEpochs follow
	sessEpochs int                   // its complete epochs in the session
	live       []*metrics.Inspection // their in-memory sampling fields, by epoch−1
	models     []string              // the deformable models of the run shown, once known
	file       string                // the image file shown when the source is srcFile
	testIdx    int
	photoIdx   int          // the photo shown when the source is srcPhoto
	objectSel  int          // its chosen box; −1 the largest
	objectSide float64      // "Whole image": the object side; 0 the chosen box's
	view       viz.Viewport // the part of the photo shown when framing is ""
	framing    string       // viz.FrameUnit (the default), viz.FramePhoto, or "" for view
	coco       bool         // the run shown is a COCO run
	photoN     int
	// ds is the data set whose choices the view shows and remembers
	// ("mnist" or "coco"; "" before a run); prefModel and prefLayer are
	// its remembered model and layer, chosen once the run's are known.
	ds, prefModel, prefLayer string
	loadingPrefs             bool
	// busyDelay is how long a request may take before the busy sign shows.
	busyDelay time.Duration
	hasPick   bool
	pick      [2]float64 // the unit's input position, when hasPick
	epochSel  int        // 0 follows the last complete epoch
	noCNN     bool       // the run has no plain model to draw beside
	lastEpoch int
	testN     int
	seq       uint64
	shown     *offsetResult   // the last picture shown
	dil       *dilationDialog // the last dilation chart asked for
	syncing   bool            // the view is setting its own widgets
}

func newOffsetsView(u *UI) *offsetsView {
	v := &offsetsView{u: u, w: newOffsetsWorker(u.bridge)}
	v.w.v = v
	v.runLabel = widget.NewLabel("")
	v.runLabel.Truncation = fyne.TextTruncateEllipsis
	v.session = widget.NewButtonWithIcon("This session", theme.HistoryIcon(), v.useSession)
	v.openRun = widget.NewButtonWithIcon("Open run folder…", theme.FolderOpenIcon(), v.chooseRun)
	v.openCap = widget.NewButtonWithIcon("Open capture…", theme.FileIcon(), v.chooseCapture)
	v.source = widget.NewSelect([]string{srcTest, srcFile}, v.sourceChanged)
	v.index = newFormEntry(u.windowShortcut)
	v.index.SetText("0")
	v.index.OnChanged = v.indexChanged
	v.prev = widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() { v.stepIndex(-1) })
	v.next = widget.NewButtonWithIcon("", theme.ContentAddIcon(), func() { v.stepIndex(1) })
	v.openImage = widget.NewButtonWithIcon("Open image…", theme.FileImageIcon(), v.chooseImage)
	v.whole = widget.NewCheck("Whole image", func(bool) { v.wholeChanged() })
	v.objects = widget.NewSelect(nil, v.objectChanged)
	v.objects.PlaceHolder = "–"
	v.objectPx = newFormEntry(u.windowShortcut)
	v.objectPx.SetPlaceHolder("the box's")
	v.objectPx.OnChanged = v.objectPxChanged
	v.fitView = widget.NewButtonWithIcon("Whole photo", theme.ZoomFitIcon(), v.resetView)
	v.fitPoints = widget.NewButtonWithIcon("Fit points", theme.ZoomInIcon(), v.fitUnit)
	v.framing = viz.FrameUnit
	v.busy = widget.NewProgressBarInfinite()
	v.busy.Hide()
	v.objectSel = -1
	v.busyDelay = busyDelay
	v.model = widget.NewSelect(nil, v.modelChanged)
	v.model.PlaceHolder = "–"
	v.layer = widget.NewSelect(nil, v.layerChanged)
	v.layer.PlaceHolder = "–"
	v.epoch = widget.NewSlider(0, 1)
	v.epoch.Step = 1
	v.epoch.OnChanged = v.epochChanged
	v.epochLabel = widget.NewLabel("")
	v.mode = widget.NewSelect([]string{modePoints, modeOffset, modeMask}, v.modeChanged)
	v.group = v.newGroupSelect()
	v.read = widget.NewSelect([]string{readBilinear, readRounded}, func(string) { v.request() })
	v.weight = widget.NewSelect([]string{weightSize, weightAlpha, weightNone}, func(string) { v.request() })
	v.clamp = widget.NewCheck("Clamp scale", func(bool) { v.request() })
	v.export = widget.NewButtonWithIcon("Export PNG…", theme.DocumentSaveIcon(), v.showExport)
	v.gif = widget.NewButtonWithIcon("Export GIF…", theme.MediaVideoIcon(), v.showGIFExport)
	v.dilation = widget.NewButtonWithIcon("Dilation…", theme.GridIcon(), v.showDilation)
	v.help = widget.NewButtonWithIcon("", theme.HelpIcon(), func() {
		text := widget.NewLabel(offsetsHelp)
		text.Wrapping = fyne.TextWrapWord
		d := dialog.NewCustom("What the Offsets view shows", "Close", container.NewVScroll(text), v.u.win)
		d.Resize(fyne.NewSize(620, 460))
		d.Show()
	})
	v.more = widget.NewButtonWithIcon("More", theme.MoreHorizontalIcon(), v.toggleMore)
	v.caption = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.caption.Truncation = fyne.TextTruncateEllipsis
	v.measured = widget.NewLabel("")
	v.measured.Truncation = fyne.TextTruncateEllipsis
	v.measured.Hide()
	v.hint = widget.NewLabel(hintPoints)
	v.hint.Importance = widget.LowImportance
	v.hint.Truncation = fyne.TextTruncateEllipsis
	v.msg = widget.NewLabel("")
	v.msg.Alignment = fyne.TextAlignCenter
	v.msg.Importance = widget.LowImportance
	// Truncated, not wrapped: a wrapped label's minimum height grows with
	// its lines at its minimum width, which would stretch the window.
	v.msg.Truncation = fyne.TextTruncateEllipsis
	v.cnn = newOffsetPanel(v)
	v.dcnn = newOffsetPanel(v)
	v.panels = container.New(equalColumns{}, v.cnn, v.dcnn)

	v.syncing = true
	v.source.SetSelected(srcTest)
	v.mode.SetSelected(modePoints)
	v.read.SetSelected(readBilinear)
	v.weight.SetSelected(weightSize)
	v.syncing = false
	v.syncControls()
	go v.w.loop()
	return v
}

// object lays the view out: the controls used most in a few rows, those
// used less behind "More", the run and epoch, the hint, the caption and the
// two panels.
func (v *offsetsView) object() fyne.CanvasObject {
	bold := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	index := container.NewGridWrap(fyne.NewSize(64, v.index.MinSize().Height), v.index)
	layer := container.NewGridWrap(fyne.NewSize(90, v.layer.MinSize().Height), v.layer)
	model := container.NewGridWrap(fyne.NewSize(125, v.model.MinSize().Height), v.model)
	// The controls used most, in as few rows as the tab's width allows;
	// the rest behind "More" so that the pictures fit a 1024×640 window.
	flow := &flowLayout{fill: 200}
	controls := container.New(flow,
		container.NewHBox(bold("Run"), v.session, v.openRun),
		container.NewHBox(bold("Show"), container.NewGridWrap(fyne.NewSize(160, v.mode.MinSize().Height), v.mode)),
		container.NewHBox(bold("Image"), container.NewGridWrap(fyne.NewSize(130, v.source.MinSize().Height), v.source), index, v.prev, v.next, v.openImage),
		container.NewHBox(bold("Model"), model, bold("Layer"), layer),
		container.NewHBox(bold("Object"), container.NewGridWrap(fyne.NewSize(180, v.objects.MinSize().Height), v.objects)),
		container.NewHBox(v.fitPoints, v.fitView),
		v.more,
		v.hint, // the rest of the last row
	)
	moreFlow := &flowLayout{}
	v.moreBox = container.New(moreFlow,
		container.NewHBox(v.whole, widget.NewLabel("object px"), container.NewGridWrap(fyne.NewSize(80, v.objectPx.MinSize().Height), v.objectPx)),
		container.NewHBox(widget.NewLabel("Offsets"), v.read, widget.NewLabel("Weight"), v.weight),
		container.NewHBox(v.clamp, bold("Group"), container.NewGridWrap(fyne.NewSize(130, v.group.MinSize().Height), v.group)),
		container.NewHBox(v.openCap, v.dilation),
		container.NewHBox(v.gif, v.export, v.help),
	)
	v.moreBox.Hide()
	rows := container.NewVBox(
		controls,
		v.moreBox,
		// The run beside the epoch slider: one row less for the pictures
		// in a small window.
		container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(230, v.runLabel.MinSize().Height), v.runLabel),
			nil, container.NewBorder(nil, nil, bold("Epoch"), v.epochLabel, v.epoch)),
		widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(120, v.caption.MinSize().Height), v.busy), v.caption),
		v.measured,
	)
	v.root = container.NewBorder(rows, nil, nil, nil, container.NewStack(v.panels, container.NewVBox(layout.NewSpacer(), v.msg, layout.NewSpacer())))
	root := v.root.(*fyne.Container)
	flow.relayout = func() { root.Refresh() }
	moreFlow.relayout = flow.relayout
	return v.root
}

// toggleMore shows or hides the controls used less (moreBox): the
// pictures get their rows back when they are hidden.
func (v *offsetsView) toggleMore() {
	if v.moreBox == nil {
		return
	}
	if v.moreBox.Visible() {
		v.moreBox.Hide()
		v.more.SetText("More")
		v.more.SetIcon(theme.MoreHorizontalIcon())
	} else {
		v.moreBox.Show()
		v.more.SetText("Less")
		v.more.SetIcon(theme.MoreVerticalIcon())
	}
	if v.root != nil {
		v.root.Refresh()
	}
}

// close stops the worker and waits for it.
func (v *offsetsView) close() { v.w.close() }

// request asks the worker for the view as chosen now, unless the view is
// setting its own widgets (whose change handlers call it).
func (v *offsetsView) request() {
	if !v.syncing {
		v.send()
	}
}

// send asks the worker for the view as chosen now, and remembers the
// choices.
func (v *offsetsView) send() {
	if v.u.closed {
		return
	}
	v.savePrefs()
	v.seq++
	r := offsetRequest{seq: v.seq, dir: v.runDir, gen: v.runGen, model: v.chosenModel(), test: v.testIdx,
		layer: v.layer.Selected, epoch: v.epochSel, hasPick: v.hasPick, pick: v.pick,
		round: v.read.Selected == readRounded, mode: v.mode.Selected, size: v.dcnn.px, capture: v.capture,
		clamp: v.clamp.Checked, group: v.groupChoice()}
	if v.runDir == "" {
		r.run, r.liveModel, r.live, r.lastEpoch = v.sessRun, v.sessModel, v.live, v.sessEpochs
	}
	switch v.source.Selected {
	case srcFile:
		r.file, r.whole = v.file, v.whole.Checked
	case srcPhoto:
		r.photo, r.photoIdx, r.whole = true, v.photoIdx, v.whole.Checked
	}
	r.object, r.objectPx, r.view, r.framing = v.objectSel, v.objectSide, v.view, v.framing
	v.u.bridge.offsetsBusySoon(v, v.seq)
	switch v.weight.Selected {
	case weightSize:
		r.weight = "size"
	case weightAlpha:
		r.weight = "alpha"
	}
	v.w.submit(r)
}

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

// show applies the worker's result. It runs on the UI goroutine (through
// the bridge).
func (v *offsetsView) show(r *offsetResult) {
	if v.u.closed || r == nil {
		return
	}
	current := r.req.dir == v.runDir && r.req.gen == v.runGen
	switch {
	case r.failed == failRun && current && v.runDir != "":
		what := "run folder"
		if v.capture {
			what = "capture"
		}
		v.runDir, v.capture = "", false
		v.setModels(deformables(v.snap.Names()))
		v.lastEpoch = v.sessEpochs
		v.syncControls()
		dialog.ShowError(fmt.Errorf("cannot show this %s: %w", what, r.err), v.u.win)
		v.request()
		return
	case r.failed == failImage && r.req.file == v.file && v.source.Selected == srcFile:
		v.file = ""
		v.syncing = true
		v.source.SetSelected(srcTest)
		v.syncing = false
		v.hasPick = false
		v.syncControls()
		dialog.ShowError(fmt.Errorf("cannot show this image: %w", r.err), v.u.win)
		v.request()
		return
	}
	if current {
		if r.models != nil {
			v.setModels(r.models)
		}
		// A layer list is the drawn model's: a result for another model
		// (the user has just picked a new one) leaves the list alone.
		if r.layers != nil && r.model == v.chosenModel() {
			v.syncing = true
			if !slices.Equal(v.layer.Options, r.layers) {
				v.layer.SetOptions(r.layers)
			}
			// The remembered layer, once the model's layers are known.
			relayer := slices.Contains(r.layers, v.prefLayer) && v.layer.Selected != v.prefLayer
			if relayer {
				v.layer.SetSelected(v.prefLayer)
			}
			v.prefLayer = ""
			if !slices.Contains(r.layers, v.layer.Selected) {
				v.layer.SetSelected(r.layers[len(r.layers)-1])
			}
			v.syncing = false
			if relayer {
				defer v.request()
			}
		}
		if v.runDir != "" && r.lastEpoch > 0 {
			v.lastEpoch = r.lastEpoch
		}
		if r.testN > 0 {
			v.testN = r.testN
		}
		v.showPhotoInfo(r)
		v.showGroups(r)
		v.syncControls()
		if r.models != nil && !r.req.capture {
			ds := "mnist"
			if r.coco {
				ds = "coco"
			}
			if v.useDataset(ds) {
				return
			}
		}
	}
	v.shown = r
	// The measure line shows or hides with the picture: the rows above the
	// pictures change height, so the tab is laid out again at once (not at
	// the next frame, when a report or a click could see it half done).
	if was := v.measured.Visible(); v.root != nil {
		defer func() {
			if v.measured.Visible() != was {
				v.root.Refresh()
			}
		}()
	}
	if r.req.seq == v.seq {
		v.setBusy(false) // an older picture shown meanwhile leaves the sign on
	}
	if r.scene == nil {
		v.cnn.set(nil)
		v.dcnn.set(nil)
		v.caption.SetText("")
		v.measured.SetText("")
		v.measured.Hide()
		if r.err != nil {
			v.msg.SetText("Cannot draw the sampling locations: " + r.err.Error())
		} else {
			v.msg.SetText(r.note)
		}
		v.msg.Show()
		setEnabled(v.export, false)
		setEnabled(v.gif, false)
		return
	}
	v.msg.Hide()
	if r.scene.mode == modePoints && v.noCNN != (r.scene.Grid == nil) {
		v.noCNN = r.scene.Grid == nil
		v.syncControls()
	}
	v.cnn.set(r.cnn)
	v.dcnn.set(r.main)
	v.caption.SetText(r.scene.caption())
	v.measured.SetText(r.scene.MeasureLine())
	v.measured.Show()
	if v.measured.Text == "" {
		v.measured.Hide()
	}
	v.measured.Importance = widget.MediumImportance
	if r.scene.FlatNote() != "" {
		v.measured.Importance = widget.DangerImportance
	}
	v.measured.Refresh()
	v.syncHint()
	setEnabled(v.export, true)
	setEnabled(v.gif, r.scene.run != nil)
}

// progress shows a message about slow work under way: in place of the
// picture when there is none yet, else in the caption above it. The next
// picture replaces it.
func (v *offsetsView) progress(text string) {
	v.progressText = text
	if v.msg.Visible() {
		v.msg.SetText(text) // no picture yet: say it in its place
		return
	}
	v.caption.SetText(text)
}

// syncControls shows the view's choices in its widgets, without the
// widgets' change handlers asking for a new picture.
func (v *offsetsView) syncControls() {
	v.syncing = true
	defer func() { v.syncing = false }()
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
	setEnabled(v.dilation, !v.capture && (v.runDir != "" || v.sessRun != nil))
	setEnabled(v.model, len(v.models) > 1)

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
	inPhoto := (file || photo) && v.coco && !v.capture
	setEnabled(v.fitView, inPhoto && v.framing != viz.FramePhoto)
	setEnabled(v.fitPoints, inPhoto && v.framing != viz.FrameUnit)
	setEnabled(v.source, !v.capture) // a capture shows its own image
	setEnabled(v.openImage, !v.capture)

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

	points := v.mode.Selected == modePoints
	setEnabled(v.read, points)
	setEnabled(v.weight, points)
	// A capture has no clamp bound: its scale runs to the field's 99th percentile.
	setEnabled(v.clamp, v.mode.Selected == modeOffset && !v.capture)
	setEnabled(v.group, v.capture && len(v.group.Options) > 1)
	if showCNN := points && !v.noCNN; showCNN != v.cnn.Visible() {
		v.cnn.Hidden = !showCNN
		v.panels.Refresh() // lays the panels out again
	}
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

func (v *offsetsView) modeChanged(string) {
	if v.syncing {
		return
	}
	v.syncHint()
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

// resized asks for a picture at the drawing panel's new size, also when
// the view's own relayout (a panel shown or hidden) resized it.
func (v *offsetsView) resized(p *offsetPanel) {
	if p == v.dcnn {
		v.send()
	}
}

// unitAt maps a position in panel p to the input position under it and
// the unit of the shown layer whose centre lies nearest.
func (v *offsetsView) unitAt(p *offsetPanel, pos fyne.Position) (y, x float64, uy, ux int, ok bool) {
	r := v.shown
	if r == nil || r.scene == nil || r.scene.mode != modePoints || p.img.Image == nil {
		return 0, 0, 0, 0, false
	}
	sc := r.scene
	if sc.photo != nil {
		py, px, ok := v.photoAt(p, pos)
		if !ok {
			return 0, 0, 0, 0, false
		}
		iy, ix := sc.photo.fromPhoto(py, px)
		uy, ux, err := trace.UnitAt(sc.geom, sc.in, sc.Layer, iy, ix)
		return py, px, uy, ux, err == nil
	}
	b := p.img.Image.Bounds()
	cx, cy, ok := containPoint(p.Size(), b.Dx(), b.Dy(), pos)
	if !ok {
		return 0, 0, 0, 0, false
	}
	y, x, ok = viz.OverlayPoint(sc.in[1], sc.in[0], r.scale, cx, cy)
	if !ok {
		return 0, 0, 0, 0, false
	}
	var err error
	if sc.cap != nil {
		uy, ux, err = sc.cap.UnitAt(sc.Layer, sc.Depth, y, x)
	} else {
		uy, ux, err = trace.UnitAt(sc.geom, sc.in, sc.Layer, y, x)
	}
	return y, x, uy, ux, err == nil
}

// tapped moves the unit to the one under the pointer.
func (v *offsetsView) tapped(p *offsetPanel, pos fyne.Position) {
	if v.tappedBox(p, pos) {
		return
	}
	y, x, _, _, ok := v.unitAt(p, pos)
	if !ok {
		return
	}
	v.hasPick, v.pick = true, [2]float64{y, x}
	v.request()
}

// hovered names the unit under the pointer.
func (v *offsetsView) hovered(p *offsetPanel, pos fyne.Position, inside bool) {
	if !inside {
		v.syncHint()
		return
	}
	if _, _, uy, ux, ok := v.unitAt(p, pos); ok {
		v.hint.SetText(fmt.Sprintf("Unit (%d, %d) of %s under the pointer: click to choose it", uy, ux, v.shown.scene.Layer))
	} else {
		v.syncHint()
	}
}

func (v *offsetsView) syncHint() {
	if r := v.shown; r != nil && r.scene != nil && r.scene.photo != nil && r.scene.photo.scaled != nil {
		// The caption is cut short: the resize and the bound, in full.
		v.hint.SetText(r.scene.Label)
		return
	}
	if v.mode.Selected == modePoints {
		v.hint.SetText(hintPoints)
	} else {
		v.hint.SetText(hintHeatmap)
	}
}

// containPoint maps a position in a box of size sz, which shows an imgW×imgH
// image scaled to fit and centred (canvas.ImageFillContain), to continuous
// pixel coordinates of the image.
func containPoint(sz fyne.Size, imgW, imgH int, pos fyne.Position) (cx, cy float64, ok bool) {
	if imgW <= 0 || imgH <= 0 || sz.Width <= 0 || sz.Height <= 0 {
		return 0, 0, false
	}
	f := math.Min(float64(sz.Width)/float64(imgW), float64(sz.Height)/float64(imgH))
	ox := (float64(sz.Width) - f*float64(imgW)) / 2
	oy := (float64(sz.Height) - f*float64(imgH)) / 2
	cx, cy = (float64(pos.X)-ox)/f, (float64(pos.Y)-oy)/f
	return cx, cy, cx >= 0 && cy >= 0 && cx < float64(imgW) && cy < float64(imgH)
}

// showExport asks for the scale and the file, then writes the view as PNG.
func (v *offsetsView) showExport() {
	if v.u.closed || v.shown == nil || v.shown.scene == nil {
		return
	}
	v.exportDialog(v.shown.scene).Show()
}

// offsetsExportDialog is the Offsets export dialog and its fields.
type offsetsExportDialog struct {
	*dialog.FormDialog
	scale, dir, name *widget.Entry
	png, svg, pdf    *widget.Check
}

func (v *offsetsView) exportDialog(sc *offsetScene) *offsetsExportDialog {
	d := &offsetsExportDialog{scale: widget.NewEntry(), dir: widget.NewEntry(), name: widget.NewEntry(),
		png: widget.NewCheck("PNG", nil), svg: widget.NewCheck("SVG", nil), pdf: widget.NewCheck("PDF", nil)}
	d.png.SetChecked(true)
	d.scale.SetText(strconv.Itoa(exportScale(sc.in)))
	d.dir.SetText(v.u.exportDirFor(v.exportRun()))
	d.name.SetText(strings.TrimSuffix(sc.fileName(), ".png"))
	browse := widget.NewButton("Browse…", func() {
		dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
			if err == nil && uri != nil {
				d.dir.SetText(uri.Path())
			}
		}, v.u.win).Show()
	})
	items := []*widget.FormItem{
		{Text: "Scale", Widget: d.scale, HintText: fmt.Sprintf("each of the image's %d×%d pixels becomes scale × scale", sc.in[1], sc.in[0])},
		{Text: "Folder", Widget: container.NewBorder(nil, nil, nil, browse, d.dir), HintText: exportWhere(v.exportRun())},
		{Text: "File", Widget: d.name, HintText: "without extension: one file per format"},
		{Text: "Formats", Widget: container.NewHBox(d.png, d.svg, d.pdf)},
	}
	d.FormDialog = dialog.NewForm("Export the Offsets view", "Export", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		scale, err := strconv.Atoi(strings.TrimSpace(d.scale.Text))
		if err != nil || scale < 1 || scale > maxExportScale {
			dialog.ShowError(fmt.Errorf("export: scale: want a whole number from 1 to %d, got %q", maxExportScale, d.scale.Text), v.u.win)
			return
		}
		dir, name := strings.TrimSpace(d.dir.Text), strings.TrimSpace(d.name.Text)
		if dir == "" || name == "" {
			dialog.ShowError(errors.New("export: choose a folder and a file name"), v.u.win)
			return
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".png", ".svg", ".pdf":
			name = strings.TrimSuffix(name, filepath.Ext(name))
		}
		var paths []string
		for _, f := range []struct {
			on  bool
			ext string
		}{{d.png.Checked, ".png"}, {d.svg.Checked, ".svg"}, {d.pdf.Checked, ".pdf"}} {
			if f.on {
				paths = append(paths, filepath.Join(dir, name+f.ext))
			}
		}
		if len(paths) == 0 {
			dialog.ShowError(errors.New("export: choose at least one format (PNG, SVG or PDF)"), v.u.win)
			return
		}
		if err := v.u.rememberExportDirFor(v.exportRun(), dir); err != nil {
			dialog.ShowError(err, v.u.win)
			return
		}
		v.u.confirmOverwrite(paths, func() { v.exportTo(sc, scale, paths...) })
	}, v.u.win)
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	return d
}

// exportTo draws sc at scale and writes it to each of paths (PNG, SVG or
// PDF by extension) on a goroutine of its own, reporting through the
// bridge.
func (v *offsetsView) exportTo(sc *offsetScene, scale int, paths ...string) {
	v.export.Disable()
	v.u.exportWG.Add(1)
	ctx := v.w.ctx
	go func() {
		defer v.u.exportWG.Done()
		img, err := sc.figure(scale)
		for _, p := range paths {
			if err == nil {
				err = os.MkdirAll(filepath.Dir(p), 0o755)
			}
			if err == nil {
				err = viz.SaveImageContext(ctx, p, img, exportDPI)
			}
		}
		path := strings.Join(paths, ", ")
		size := image.Point{}
		if img != nil {
			size = img.Bounds().Size()
		}
		v.u.bridge.offsetsExported(v, path, size, err)
	}()
}

// exportEnded reports an export; it runs on the UI goroutine.
func (v *offsetsView) exportEnded(path string, size image.Point, err error) {
	setEnabled(v.export, v.shown != nil && v.shown.scene != nil)
	setEnabled(v.gif, v.shown != nil && v.shown.scene != nil && v.shown.scene.run != nil)
	if v.u.closed {
		return
	}
	if err != nil {
		dialog.ShowError(err, v.u.win)
		return
	}
	dialog.ShowInformation("Export", fmt.Sprintf("Wrote %s (%d×%d px)", path, size.X, size.Y), v.u.win)
}

// exportDPI sets the page size of an Offsets view exported as SVG or
// PDF: one picture pixel per screen dot.
const exportDPI = 96

// offsetPanel shows one picture of the Offsets view in a long-lived
// canvas.Image, and reports taps, the pointer and its size to the view.
type offsetPanel struct {
	widget.BaseWidget
	v   *offsetsView
	img *canvas.Image
	px  image.Point // size in device pixels
}

func newOffsetPanel(v *offsetsView) *offsetPanel {
	p := &offsetPanel{v: v, img: canvas.NewImageFromImage(nil)}
	p.img.FillMode = canvas.ImageFillContain
	p.img.ScaleMode = canvas.ImageScaleSmooth
	p.img.SetMinSize(fyne.NewSize(240, 230))
	p.ExtendBaseWidget(p)
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *offsetPanel) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.img)
}

// set swaps in a new picture (nil for none); the image is new, and nothing
// changes it afterwards.
func (p *offsetPanel) set(img *image.NRGBA) {
	if img == nil {
		p.img.Image = nil
	} else {
		p.img.Image = img
	}
	p.img.Refresh()
}

// Resize implements fyne.CanvasObject: the view draws at the panel's size
// in device pixels.
func (p *offsetPanel) Resize(s fyne.Size) {
	p.BaseWidget.Resize(s)
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(p); c != nil && c.Scale() > 0 {
		scale = c.Scale()
	}
	px := image.Pt(int(math.Round(float64(s.Width*scale))), int(math.Round(float64(s.Height*scale))))
	if px != p.px {
		p.px = px
		p.v.resized(p)
	}
}

// Tapped implements fyne.Tappable.
func (p *offsetPanel) Tapped(e *fyne.PointEvent) { p.v.tapped(p, e.Position) }

// MouseIn implements desktop.Hoverable.
func (p *offsetPanel) MouseIn(e *desktop.MouseEvent) { p.v.hovered(p, e.Position, true) }

// MouseMoved implements desktop.Hoverable.
func (p *offsetPanel) MouseMoved(e *desktop.MouseEvent) { p.v.hovered(p, e.Position, true) }

// MouseOut implements desktop.Hoverable.
func (p *offsetPanel) MouseOut() { p.v.hovered(p, fyne.Position{}, false) }

// equalColumns lays its visible objects out side by side in columns of
// equal width, each as tall as the container.
type equalColumns struct{}

// Layout implements fyne.Layout.
func (equalColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var vis []fyne.CanvasObject
	for _, o := range objs {
		if o.Visible() {
			vis = append(vis, o)
		}
	}
	if len(vis) == 0 {
		return
	}
	pad := theme.Padding()
	w := (size.Width - pad*float32(len(vis)-1)) / float32(len(vis))
	for i, o := range vis {
		o.Move(fyne.NewPos(float32(i)*(w+pad), 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

// MinSize implements fyne.Layout.
func (equalColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	n := 0
	for _, o := range objs {
		if o.Visible() {
			m := o.MinSize()
			s.Width += m.Width
			s.Height = max(s.Height, m.Height)
			n++
		}
	}
	if n > 1 {
		s.Width += theme.Padding() * float32(n-1)
	}
	return s
}

// gifDelay is each replay frame's time on screen, in hundredths of a
// second: dcn replay's default.
const gifDelay = 70

// showGIFExport asks for a file, then writes the epoch replay of the
// scene shown as an animated GIF.
func (v *offsetsView) showGIFExport() {
	if v.u.closed || v.shown == nil || v.shown.scene == nil || v.shown.scene.run == nil {
		return
	}
	sc := v.shown.scene
	d := dialog.NewFileSave(func(f fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, v.u.win)
			return
		}
		if f == nil {
			return
		}
		path := f.URI().Path()
		f.Close()
		if !strings.EqualFold(filepath.Ext(path), ".gif") {
			path += ".gif"
		}
		v.exportGIF(sc, path)
	}, v.u.win)
	d.SetFileName("replay-" + strings.TrimSuffix(strings.TrimPrefix(sc.fileName(), "offsets-"), ".png") + ".gif")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".gif"}))
	if l := v.u.exportLocationFor(v.exportRun()); l != nil {
		d.SetLocation(l)
	}
	d.Show()
}

// replayOptions are the replay of sc, as dcn replay makes it: every epoch
// of sc's model on its image, the same layer and unit, the points (with the
// CNN's grid) or the |Δp| heat map.
func replayOptions(sc *offsetScene) (inspect.ReplayOptions, replay.Options) {
	ro := inspect.ReplayOptions{Model: sc.Model, Layer: sc.Layer, Points: sc.mode == modePoints, UnitY: sc.unit[0], UnitX: sc.unit[1],
		Round: sc.round, Grid: sc.Grid != nil, Steps: inspect.EpochSteps(sc.input, sc.Epochs)}
	o := replay.Options{Show: viz.ShowPoints, WeightBy: sc.WeightBy, Label: sc.Label}
	if sc.mode != modePoints {
		o.Show = viz.ShowOffset
	}
	if p := sc.photo; p != nil && sc.Context != nil && sc.mode == modePoints {
		// In context, at the framing on screen: the photo, its boxes, the
		// crop and the view the user sees, every frame.
		o.InContext = &replay.InContext{Context: *sc.Context, ToPhoto: p.toPhoto}
		ro.TrainingLimits = p.scaled != nil
	}
	return ro, o
}

// replayScenes runs sc's checkpoints (inspect.Replay) and composes their
// frames (replay.Scenes), as dcn replay does.
func replayScenes(ctx context.Context, sc *offsetScene) ([]*viz.OffsetScene, error) {
	ro, o := replayOptions(sc)
	rf, err := inspect.Replay(ctx, sc.run, ro, nil)
	if err != nil {
		return nil, err
	}
	frames := make([]replay.Frame, len(rf))
	for i, f := range rf {
		frames[i] = replay.Frame(f)
	}
	return replay.Scenes(frames, o)
}

// exportGIF writes the epoch replay of sc to path on a goroutine of its
// own, reporting through the bridge.
func (v *offsetsView) exportGIF(sc *offsetScene, path string) {
	v.export.Disable()
	v.gif.Disable()
	v.u.exportWG.Add(1)
	ctx := v.w.ctx
	go func() {
		defer v.u.exportWG.Done()
		scenes, err := replayScenes(ctx, sc)
		var frames []image.Image
		if err == nil {
			frames, err = replay.Frames(scenes, exportScale(sc.in))
		}
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o755)
		}
		if err == nil {
			err = viz.SaveGIF(path, frames, gifDelay)
		}
		size := image.Point{}
		if len(frames) > 0 {
			size = frames[0].Bounds().Size()
		}
		if err == nil {
			path = fmt.Sprintf("%s, %d frames", path, len(frames))
		}
		v.u.bridge.offsetsExported(v, path, size, err)
	}()
}

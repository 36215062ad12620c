package app

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
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

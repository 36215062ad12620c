package app

import (
	"fmt"
	"slices"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

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
// heat maps of the offsets and masks, for any epoch of a run. It is made of
// five parts, each with its widgets and state in a file of its own: the
// sources (run, model, layer, image, epoch: offsets_sources.go), the framing
// of a photo (offsets_framing.go), the picture (offsets_picture.go), the
// exports (offsets_export.go) and the dilation chart (offsets_dilation.go).
// The view wires the parts' actions to its handlers, as the UI wires the
// train view's, and asks the worker for pictures. The parts are embedded:
// the view's handlers and its tests name a part's widgets directly
// (v.layer, v.export). Its fields belong to the UI goroutine; the worker
// draws.
type offsetsView struct {
	env offsetsEnv
	w   *offsetsWorker

	*offsetSources
	*offsetFraming
	*offsetPicture
	*offsetExports
	*offsetDilation

	help    *widget.Button
	more    *widget.Button    // shows or hides moreBox
	moreBox *fyne.Container   // the controls used less: framing, reading, group, captures, exports
	root    fyne.CanvasObject // the view's content

	// ds is the data set whose choices the view shows and remembers
	// ("mnist" or "coco"; "" before a run).
	ds           string
	loadingPrefs bool
	seq          uint64
	syncing      bool // the view is setting its own widgets
}

// offsetsEnv is what the Offsets view asks of the window it lives in, as
// trainActions are what the train view asks.
type offsetsEnv struct {
	win    fyne.Window
	bridge *bridge // the way back to the UI goroutine, for the worker and the exports
	prefs  fyne.Preferences
	// shortcut runs the window's shortcuts typed in the view's entries.
	shortcut func(fyne.Shortcut) bool
	closed   func() bool   // the window is closing: nothing more is shown
	training func() bool   // a session is training
	lastRun  func() string // the session's run folder; "" before one
	// openRun opens a run of ours in the whole window.
	openRun func(dir string) error
	// chooseFolder asks for a folder, starting at start.
	chooseFolder func(title, start string, chosen func(dir string)) *folderDialog
	runsRoot     func() string
	exports      exportEnv
}

// exportEnv is where the view's exports go, and who waits for them.
type exportEnv struct {
	dirFor         func(run string) string
	rememberDirFor func(run, dir string) error
	locationFor    func(run string) fyne.ListableURI
	// confirmOverwrite calls write once the user agrees to replace any of
	// paths that exist.
	confirmOverwrite func(paths []string, write func())
	wg               *sync.WaitGroup // the window's Close waits for it
}

// newOffsetsView makes the Offsets tab and starts its worker; close stops it.
func newOffsetsView(env offsetsEnv) *offsetsView {
	v := &offsetsView{env: env, w: newOffsetsWorker(env.bridge)}
	v.w.v = v
	// The parts are made one after the other: an action that is another
	// part's method is a closure, bound when it runs.
	v.offsetSources = newOffsetSources(env.win, env.shortcut, sourceActions{chooseRun: v.chooseRun,
		chooseCapture: v.chooseCapture, whole: v.wholeChanged, quiet: func() bool { return v.syncing },
		hush: v.hush, sync: v.syncControls, request: v.request,
		unframe: func() { v.view, v.framing = viz.Viewport{}, viz.FrameUnit }})
	v.offsetFraming = newOffsetFraming(framingActions{scene: v.scene, changed: v.framingChanged,
		photoAt: func(p *offsetPanel, pos fyne.Position) (float64, float64, bool) { return v.photoAt(p, pos) }})
	v.offsetPicture = newOffsetPicture(pictureActions{mode: v.modeChanged, options: v.request,
		panel: panelActions{resized: v.resized, tapped: v.tapped,
			hovered: func(p *offsetPanel, pos fyne.Position, in bool) { v.hovered(p, pos, in) },
			zoom:    func(p *offsetPanel, pos fyne.Position, f float64) { v.zoomAt(p, pos, f) },
			pan:     func(p *offsetPanel, d fyne.Delta) { v.panBy(p, d) }}})
	v.offsetExports = newOffsetExports(env.win, env.bridge, env.exports, exportActions{closed: env.closed,
		scene: v.scene, run: v.exportRun, ctx: v.w.ctx})
	v.offsetDilation = newOffsetDilation(env.win, env.bridge, env.exports.wg, dilationActions{
		run:      func() (*rundir.Run, error) { return v.dilationRun() },
		location: func() fyne.ListableURI { return env.exports.locationFor(v.exportRun()) }, ctx: v.w.ctx})
	v.help = widget.NewButtonWithIcon("", theme.HelpIcon(), func() {
		text := widget.NewLabel(offsetsHelp)
		text.Wrapping = fyne.TextWrapWord
		d := dialog.NewCustom("What the Offsets view shows", "Close", container.NewVScroll(text), v.env.win)
		d.Resize(fyne.NewSize(620, 460))
		d.Show()
	})
	v.more = widget.NewButtonWithIcon("More", theme.MoreHorizontalIcon(), v.toggleMore)

	v.hush(func() {
		v.source.SetSelected(srcTest)
		v.mode.SetSelected(modePoints)
		v.read.SetSelected(readBilinear)
		v.weight.SetSelected(weightSize)
	})
	v.syncControls()
	go v.w.loop()
	return v
}

// hush runs set with the widgets' change handlers quiet: set changes the
// widgets to show the view's own choices.
func (v *offsetsView) hush(set func()) {
	v.syncing = true
	set()
	v.syncing = false
}

// framingChanged shows a new framing in the controls and asks for it.
func (v *offsetsView) framingChanged() {
	v.syncControls()
	v.request()
}

// scene is the scene shown; nil before a picture.
func (v *offsetsView) scene() *offsetScene {
	if v.shown == nil {
		return nil
	}
	return v.shown.scene
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
	if v.env.closed() {
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
	v.env.bridge.offsetsBusySoon(v, v.seq)
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
	if v.env.closed() || r == nil {
		return
	}
	current := r.req.dir == v.runDir && r.req.gen == v.runGen
	if v.showFailure(r, current) {
		return
	}
	if current {
		again, reset := v.showRunInfo(r)
		if again {
			defer v.request()
		}
		if reset {
			return
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
	v.showPicture(r, v.syncControls)
	v.enableFor(r.scene)
}

// showFailure answers a result that failed for the run folder or the image
// file the user chose: an error dialog, and the session's run or a test
// image again. It reports whether it did.
func (v *offsetsView) showFailure(r *offsetResult, current bool) bool {
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
		dialog.ShowError(fmt.Errorf("cannot show this %s: %w", what, r.err), v.env.win)
		v.request()
		return true
	case r.failed == failImage && r.req.file == v.file && v.source.Selected == srcFile:
		v.file = ""
		v.syncing = true
		v.source.SetSelected(srcTest)
		v.syncing = false
		v.hasPick = false
		v.syncControls()
		dialog.ShowError(fmt.Errorf("cannot show this image: %w", r.err), v.env.win)
		v.request()
		return true
	}
	return false
}

// showRunInfo takes what a result of the run shown knows into the
// controls: its models, layers, epochs, test images, photos, boxes and
// groups. again says that the remembered layer was chosen (ask for it
// once the result is shown); reset that the view took the choices of
// another data set and asked for a picture of them instead.
func (v *offsetsView) showRunInfo(r *offsetResult) (again, reset bool) {
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
		again = relayer
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
			return again, true
		}
	}
	return again, false
}

// syncControls shows the view's choices in its widgets, without the
// widgets' change handlers asking for a new picture.
func (v *offsetsView) syncControls() {
	v.syncing = true
	defer func() { v.syncing = false }()
	v.syncRun()
	setEnabled(v.dilation, !v.capture && (v.runDir != "" || v.sessRun != nil))
	inPhoto := v.syncImage()
	v.syncFraming(inPhoto)
	v.syncEpoch()
	v.syncOptions(v.capture)
}

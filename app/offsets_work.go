package app

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// The Offsets view's modes.
const (
	modePoints = "Sampling points"
	modeOffset = "|Δp| heatmap"
	modeMask   = "Mask heatmap"
)

// The models of a run that the Offsets view draws: the deformable one of
// an MNIST run, and the plain CNN whose regular grid goes beside. A COCO
// run has a deformable model per placement (dcnn-first, …).
const (
	deformModel = "dcnn"
	plainModel  = "cnn"
)

// deformables returns the deformable models among models, in order.
func deformables(models []string) []string {
	var out []string
	for _, m := range models {
		if m != plainModel {
			out = append(out, m)
		}
	}
	return out
}

// maxWholePixels bounds an image file run at its own size ("whole image")
// by an MNIST net: its first layers hold 32 channels of it, several times
// over. A COCO run's PrepareImage scales a larger image down instead.
const maxWholePixels = 640 * 640

// staleShowGap: while requests keep superseding each other (a dragged
// slider), a picture already one request old is still shown if nothing
// was shown for this long, so that the replay moves.
const staleShowGap = 150 * time.Millisecond

// offsetRequest is what the Offsets view asks to see, as a plain value:
// the UI goroutine builds one for every change and the worker draws the
// latest.
type offsetRequest struct {
	seq uint64

	// The session's run (nil when the user opened a folder or before any
	// session), and for its deformable model liveModel the in-memory
	// sampling fields by epoch−1 and the last complete epoch.
	run       *rundir.Run
	liveModel string
	live      []*metrics.Inspection
	lastEpoch int
	// A run folder the user opened (when run is nil); gen changes each time
	// one is opened, so that reopening reads the folder afresh.
	dir string
	gen int

	model string // the deformable model; "" the run's first
	// capture says that dir is a capture file (deformscope_capture.py), not
	// a run folder: model and epochs do not apply, the image is its own.
	capture bool
	group   int // a capture layer's offset group, or trace.AllGroups

	test  int    // test image, when file is ""
	file  string // an image file
	whole bool   // run the file at its own size

	layer string // "" the last deformable layer
	epoch int    // 0 the last complete epoch
	// pick is the unit's input position (pixel centres at whole numbers)
	// when hasPick; else the unit is the centre of the layer's output.
	hasPick bool
	pick    [2]float64

	round  bool
	weight string // "", "size" or "alpha"
	mode   string
	// clamp runs the |Δp| colour scale to the clamp bound instead of the
	// robust maximum over the epochs.
	clamp bool

	// photo asks for photo photoIdx of a COCO run's data in context;
	// object is its chosen box (−1: the largest), view the part of the
	// photo shown (empty: all), and with whole, objectPx the object side
	// that meets the net at training scale (0: the chosen box's).
	photo    bool
	photoIdx int
	object   int
	objectPx float64
	view     viz.Viewport
	// framing is how the photo is framed: viz.FrameUnit (the unit's
	// points in both panels, the default), viz.FramePhoto, or "" for view.
	framing string

	size image.Point // the drawing panel in device pixels
}

// failure says which of the user's choices a failed request is about.
type failure int

const (
	failNone  failure = iota // nothing to show yet: a message in the view
	failImage                // the image file: an error dialog
	failRun                  // the run folder: an error dialog
)

// offsetResult is the worker's answer to a request.
type offsetResult struct {
	req       offsetRequest
	scene     *offsetScene // nil when there is no picture
	cnn, main *image.NRGBA // the pictures at scale (cnn nil without a plain model or in a heat map mode)
	scale     int          // the display scale of the pictures
	note      string       // why there is no picture yet, for the user
	err       error        // why there is no picture: something failed
	failed    failure      // which choice err is about
	models    []string     // the run's deformable models, once known
	model     string       // the one drawn
	layers    []string     // its deformable layers, once known
	lastEpoch int          // its last complete epoch, once known
	testN     int          // the size of the test set, once known
	coco      bool         // the run is a COCO run: photos in context apply
	photoN    int          // the number of photos in the run's data, once known
	objects   []string     // the photo's boxes, for the object list
	object    int          // the chosen box; −1 none
	groups    int          // a capture layer's offset groups, once known
}

// offsetScene is a traced unit or a layer's heat map on one image: the
// picture both faces draw (viz.OffsetScene) and what the view needs to
// map clicks and name files. It is immutable once built, so the UI
// goroutine and exports may read it while the worker goes on.
type offsetScene struct {
	viz.OffsetScene
	mode  string // the view's mode: modePoints, modeOffset or modeMask
	round bool
	in    [2]int // the input's H×W
	name  string // the image for a file name: "test3", "digit"
	// unit and units are the unit and the layer's output size.
	unit, units [2]int
	geom        []nn.Layer[float32] // the deformable net's layers: coordinates only, never run
	live        bool                // fields from the session's memory rather than a checkpoint
	// cap is the capture file the scene comes from (nil for a run).
	cap *torchfile.Capture
	// run and input are the run and the prepared image, for the epoch
	// replay's GIF (nil for a capture).
	run   *rundir.Run
	input *inspect.Input
	// photo is the photo the scene is drawn in (nil: the input alone).
	photo *photoInput
}

// vizShow maps the view's mode to what the scene shows.
func vizShow(mode string) string {
	switch mode {
	case modeOffset:
		return viz.ShowOffset
	case modeMask:
		return viz.ShowMask
	}
	return viz.ShowPoints
}

// caption describes the scene in one line: layer, unit, epoch, image.
func (sc *offsetScene) caption() string { return sc.Summary(sc.units) }

// fileName is the export's default name.
func (sc *offsetScene) fileName() string {
	kind := "offsets"
	switch sc.mode {
	case modeOffset:
		kind = "offset-heatmap"
	case modeMask:
		kind = "mask-heatmap"
	}
	if sc.cap != nil {
		return sc.captureFileName(kind)
	}
	s := fmt.Sprintf("%s-%s-%s-epoch%d", kind, sc.name, sc.Layer, sc.Epoch)
	if sc.Model != deformModel {
		s = fmt.Sprintf("%s-%s-%s-%s-epoch%d", kind, sc.Model, sc.name, sc.Layer, sc.Epoch)
	}
	if sc.mode == modePoints {
		s += fmt.Sprintf("-unit%d_%d", sc.unit[0], sc.unit[1])
	}
	return s + ".png"
}

// render draws the scene's panels at scale: in the points mode the plain
// CNN's grid (when the run has one) and the DCNN's points; in a heat map
// mode one heat map.
func (sc *offsetScene) render(scale int) (cnn, main *image.NRGBA, err error) {
	panels, err := sc.Panels(scale)
	if err != nil {
		return nil, nil, err
	}
	if len(panels) == 2 {
		return panels[0], panels[1], nil
	}
	return nil, panels[0], nil
}

// figure draws the scene for export, as dcn draws it: its panels side by
// side at scale under a title naming the image, with its key.
func (sc *offsetScene) figure(scale int) (*image.NRGBA, error) { return sc.Figure(scale) }

// Room the pictures take beside the image, in pixels, for choosing the
// display scale: the caption band (with a note) under an overlay, the colour
// bar and its labels beside a heat map.
const (
	overlayTextRoom = 64
	heatBarRoom     = 140
	heatTextRoom    = 56
	maxDisplayScale = 32
)

// displayScale picks the largest integer scale at which a w×h image's
// picture fits a panel of size pixels.
func displayScale(mode string, size image.Point, w, h int) int {
	var s int
	if mode == modePoints {
		q := (max(w, h) + 3) / 4 // the overlay's margin, in input pixels
		s = min(size.X/(w+2*q), (size.Y-overlayTextRoom)/(h+2*q))
	} else {
		s = min((size.X-heatBarRoom)/w, (size.Y-heatTextRoom)/h)
	}
	return min(max(s, 1), maxDisplayScale)
}

// exportScale is the export dialog's default: the scale the CLI picks
// (the longer side at least 448 px).
func exportScale(in [2]int) int {
	long := max(in[0], in[1])
	return max(1, (448+long-1)/long)
}

// offsetsWorker loads runs, checkpoints and images, runs the forward
// passes and draws the Offsets view off the UI goroutine. It lives as long
// as the window; requests coalesce to the latest, and its caches belong to
// its goroutine alone.
type offsetsWorker struct {
	b *bridge
	v *offsetsView

	// reqs keeps only the newest request: the view posts every change,
	// and the worker draws whichever is newest when it gets to it.
	reqs   latest[offsetRequest]
	jobs   chan func() // reqs' hand-overs, run on the worker's goroutine
	stop   chan struct{}
	exited chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	// The worker goroutine's own state.
	runKey   any // the *rundir.Run, or the opened folder and its generation
	run      *rundir.Run
	models   []string                       // the run's deformable models
	geoms    map[string]*model.Net[float32] // their layers, for coordinates
	cnnGeom  *model.Net[float32]            // the CNN's, nil without one
	nets     map[string]*model.Net[float32] // loaded checkpoints, by model and epoch
	inputs   map[string]*sceneInput
	fields   map[string]*sampled
	scales   map[string][2]float64 // robustScale's results
	test     *data.Set
	classes  []string // the test set's class names
	testKey  string   // the data the test set was loaded for
	capKey   [2]any   // the capture file read, and its generation
	capture  *torchfile.Capture
	lastShow time.Time
	// The COCO run's photos and the annotated image files, once read.
	photoList   []inspect.Photo
	fileEntries map[string]inspect.Photo
}

// sceneInput is a prepared image and how to name it.
type sceneInput struct {
	in          *inspect.Input
	label, name string
	photo       *photoInput // the photo in context, or nil
}

// sampled is one forward pass's sampling fields.
type sampled struct {
	fields  map[string]*metrics.Field
	predict int
}

// progressGap is the least time between two progress messages.
const progressGap = 150 * time.Millisecond

// maxCached bounds each of the worker's caches.
const maxCached = 64

func newOffsetsWorker(b *bridge) *offsetsWorker {
	ctx, cancel := context.WithCancel(context.Background())
	// latest queues at most one hand-over at a time, so one slot never
	// blocks the UI goroutine.
	return &offsetsWorker{b: b, jobs: make(chan func(), 1), stop: make(chan struct{}), exited: make(chan struct{}),
		ctx: ctx, cancel: cancel}
}

// submit replaces the pending request; it never blocks.
func (w *offsetsWorker) submit(r offsetRequest) {
	w.reqs.post(w.toWorker, r, w.handle)
}

// toWorker runs f on the worker's goroutine (latest's hand-over).
func (w *offsetsWorker) toWorker(f func()) { w.jobs <- f }

// loop is the worker's goroutine; close stops it.
func (w *offsetsWorker) loop() {
	defer close(w.exited)
	for {
		select {
		case <-w.stop:
			return
		case f := <-w.jobs:
			f()
		}
	}
}

// handle draws the newest request and shows it, unless a newer one is
// already waiting and a picture was shown a moment ago.
func (w *offsetsWorker) handle(req offsetRequest) {
	res := w.draw(req)
	if res == nil {
		return // the panel is not laid out yet
	}
	if w.reqs.waiting() && time.Since(w.lastShow) < staleShowGap {
		return // skip a stale picture: the newer one is next
	}
	w.lastShow = time.Now()
	w.b.showOffsets(w.v, res)
}

// close stops the worker and waits for its goroutine.
func (w *offsetsWorker) close() {
	w.halt()
	<-w.exited
}

// halt cancels the worker's work (its drawing and the Offsets exports,
// which run under its context) and tells its goroutine to stop, without
// waiting; it is safe to call twice.
func (w *offsetsWorker) halt() {
	select {
	case <-w.stop:
	default:
		w.cancel()
		close(w.stop)
	}
}

// draw answers one request; nil when there is nowhere to draw yet.
func (w *offsetsWorker) draw(req offsetRequest) *offsetResult {
	if req.size.X < 8 || req.size.Y < 8 {
		return nil
	}
	res := &offsetResult{req: req}
	fail := func(f failure, err error) *offsetResult {
		res.failed, res.err = f, err
		return res
	}
	if req.run == nil && req.dir == "" {
		res.note = "No run to show yet.\nTrain one (Start), or open a run folder."
		return res
	}
	if req.capture {
		return w.drawCapture(req, res)
	}
	if err := w.useRun(req); err != nil {
		return fail(failRun, err)
	}
	res.models = w.models
	name := req.model
	if !slices.Contains(w.models, name) {
		name = w.models[0]
	}
	res.model = name
	geom := w.geoms[name]
	for _, b := range geom.DeformBlocks() {
		res.layers = append(res.layers, b.Name())
	}
	last := req.lastEpoch
	if req.run != nil && req.liveModel != name {
		last, _ = w.run.LatestCheckpoint(name)
	}
	if req.run == nil {
		last, _ = w.run.LatestCheckpoint(name)
		if last == 0 {
			return fail(failRun, fmt.Errorf("%s has no complete epoch of %s yet", w.run.Dir, name))
		}
	}
	res.lastEpoch = last
	if last == 0 {
		res.note = "The sampling locations appear when the first epoch ends."
		return res
	}
	epoch := req.epoch
	if epoch <= 0 || epoch > last {
		epoch = last
	}

	res.coco = w.run.Config.Data == "coco"
	input, f, err := w.input(req)
	if w.test != nil {
		res.testN = w.test.N
	}
	res.photoN, res.object = len(w.photoList), -1
	if input != nil && input.photo != nil {
		res.objects, res.object = objectLabels(input.photo.entry), input.photo.object
	}
	if err != nil {
		return fail(f, err)
	}
	var classes []string // MNIST's are the digits, which the numbers say
	if w.run.Config.Data == "coco" {
		// The names the run recorded, else those of its test set.
		if classes = w.run.Classes(); classes == nil {
			if _, err := w.testSet(); err == nil {
				classes = w.classes
			}
		}
	}
	s, live, err := w.sampling(req, name, epoch, input)
	if err != nil {
		return fail(failNone, err)
	}
	layer := req.layer
	if !slices.Contains(res.layers, layer) {
		layer = res.layers[len(res.layers)-1]
	}
	sh := input.in.X.Shape()
	in := [2]int{sh[2], sh[3]}
	sc := &offsetScene{mode: req.mode, round: req.round, in: in, name: input.name, geom: geom.Layers, live: live,
		run: w.run, input: input.in}
	sc.OffsetScene = viz.OffsetScene{Show: vizShow(req.mode), Picture: input.in.Picture, Label: input.label,
		Predict: inspect.ClassName(classes, s.predict), Model: name, Layer: layer, Epoch: epoch, Epochs: last,
		WeightBy: req.weight, Field: s.fields[layer], Tap: -1, DCNv1: w.run.Config.DCNv1}
	if sc.Field == nil {
		return fail(failNone, fmt.Errorf("no sampling field recorded for %s", layer))
	}
	ho, wo, err := trace.OutputSize(geom.Layers, in, layer)
	if err != nil {
		return fail(failNone, err)
	}
	sc.units = [2]int{ho, wo}
	sc.unit = [2]int{ho / 2, wo / 2}
	if input.photo != nil {
		uy, ux, err := contextUnit(sc, input.photo, req)
		if err != nil {
			return fail(failNone, err)
		}
		sc.unit = [2]int{uy, ux}
		if input.photo.scaled != nil {
			sc.Label += fmt.Sprintf(", offsets clamped at ±%.3g px as in training", sc.Field.Limit)
		}
	} else if req.hasPick {
		uy, ux, err := trace.UnitAt(geom.Layers, in, layer, req.pick[0], req.pick[1])
		if err != nil {
			return fail(failNone, err)
		}
		sc.unit = [2]int{uy, ux}
	}
	// The bound the block itself applied in the forward pass (nn), not a
	// copy of its rule.
	if sc.Limit = sc.Field.Limit; !(sc.Limit > 0) {
		return fail(failNone, fmt.Errorf("%s recorded no offset clamp bound", layer))
	}
	if req.mode == modeOffset {
		sc.Range = viz.HeatRange{Mode: viz.RangeClamp}
		if !req.clamp {
			sc.Range = viz.HeatRange{Mode: viz.RangeRobust, Over: viz.EpochsText(last)}
			if sc.Range.Max, sc.Largest, err = w.robustScale(req, name, last, layer, input); err != nil {
				return fail(failNone, err)
			}
		}
	}
	var cnn []nn.Layer[float32]
	if w.cnnGeom != nil {
		cnn = w.cnnGeom.Layers
	}
	if err := sc.TracePoints(geom.Layers, s.fields, in, sc.unit[0], sc.unit[1], req.round, cnn, res.layers); err != nil {
		return fail(failNone, err)
	}
	sc.photo = input.photo
	if m, err := inspect.MeasureUnit(geom, sc.Field, in, layer, sc.unit[0], sc.unit[1]); err == nil {
		perInput := 0.0
		if input.photo != nil {
			perInput = input.photo.perInput()
		}
		sc.Measured = viz.MeasuredOf(m, perInput)
	}
	if input.photo != nil && req.mode == modePoints {
		// The points over the photo where the object really is; both
		// panels share the view, each half the view's width, framed on
		// the unit unless the user zoomed or asked for the whole photo.
		placeInContext(sc, input.photo, req.view, req.size.X)
		sc.Frame(req.framing, panelAspect(req.size))
	}
	res.scale = displayScale(req.mode, req.size, in[1], in[0])
	if res.cnn, res.main, err = sc.render(res.scale); err != nil {
		return fail(failNone, err)
	}
	res.scene = sc
	return res
}

// robustScale returns the top of the |Δp| colour scale for an image and
// layer over every epoch 1..last (viz.EpochsScale, as dcn heatmap takes
// it), cached, so that they stay put while the epoch slider moves.
func (w *offsetsWorker) robustScale(req offsetRequest, name string, last int, layer string, input *sceneInput) (top, largest float64, err error) {
	key := fmt.Sprintf("%s|%d|%s|%s", name, last, layer, w.imageKey(req))
	if v, ok := w.scales[key]; ok {
		return v[0], v[1], nil
	}
	var fields []*metrics.Field
	for e := 1; e <= last; e++ {
		s, _, err := w.sampling(req, name, e, input)
		if err != nil {
			return 0, 0, err
		}
		fields = append(fields, s.fields[layer])
	}
	top, largest, err = viz.EpochsScale(fields, -1)
	if err != nil {
		return 0, 0, err
	}
	if w.scales == nil || len(w.scales) >= maxCached {
		w.scales = map[string][2]float64{}
	}
	v := [2]float64{top, largest}
	w.scales[key] = v
	return v[0], v[1], nil
}

// useRun makes the request's run the worker's, opening a folder and
// building the nets' layer plans when it changes.
func (w *offsetsWorker) useRun(req offsetRequest) error {
	var key any = req.run
	if req.run == nil {
		key = [2]any{req.dir, req.gen}
	}
	if key == w.runKey && w.run != nil {
		return nil
	}
	run := req.run
	if run == nil {
		var err error
		if run, err = rundir.Open(req.dir); err != nil {
			return err
		}
	}
	rc := run.Config
	models := deformables(rc.Models)
	if len(models) == 0 {
		return fmt.Errorf("the run in %s has no deformable model (it has %s)", run.Dir, strings.Join(rc.Models, ", "))
	}
	geoms := map[string]*model.Net[float32]{}
	for _, m := range models {
		geom, err := experiment.NewNet(rc, m)
		if err != nil {
			return err
		}
		if len(geom.DeformBlocks()) == 0 {
			return fmt.Errorf("the run in %s: %s (%s) has no deformable layers", run.Dir, m, geom.Arch)
		}
		geoms[m] = geom
	}
	var cnn *model.Net[float32]
	if slices.Contains(rc.Models, plainModel) {
		var err error
		if cnn, err = experiment.NewNet(rc, plainModel); err != nil {
			return err
		}
	}
	w.runKey, w.run, w.models, w.geoms, w.cnnGeom = key, run, models, geoms, cnn
	w.nets = map[string]*model.Net[float32]{}
	w.inputs = map[string]*sceneInput{}
	w.fields = map[string]*sampled{}
	w.photoList, w.fileEntries = nil, nil
	return nil
}

// imageKey names the request's image in the caches.
func (w *offsetsWorker) imageKey(req offsetRequest) string {
	if w.inContext(req) {
		return photoKey(req)
	}
	if req.file != "" {
		return fmt.Sprintf("file:%t:%s", req.whole, req.file)
	}
	return fmt.Sprintf("test:%d", req.test)
}

// input returns the request's image, prepared for the run's nets, and
// which choice to blame if it cannot.
func (w *offsetsWorker) input(req offsetRequest) (*sceneInput, failure, error) {
	key := w.imageKey(req)
	if in, ok := w.inputs[key]; ok {
		return in, failNone, nil
	}
	var si *sceneInput
	if w.inContext(req) {
		var f failure
		var err error
		if si, f, err = w.photoInputFor(req); err != nil {
			return nil, f, err
		}
	} else if req.file != "" {
		img, err := inspect.ReadImage(req.file)
		if err != nil {
			return nil, failImage, err
		}
		if b := img.Bounds(); req.whole && w.run.Config.Data != "coco" && b.Dx()*b.Dy() > maxWholePixels {
			return nil, failImage, fmt.Errorf("%s is %d×%d pixels; \"whole image\" runs images of at most %d pixels: turn it off to use the training size",
				req.file, b.Dx(), b.Dy(), maxWholePixels)
		}
		in, err := inspect.PrepareImage(w.run.Config, img, req.whole)
		if err != nil {
			return nil, failImage, fmt.Errorf("%s: %w", req.file, err)
		}
		name := strings.TrimSuffix(filepath.Base(req.file), filepath.Ext(req.file))
		si = &sceneInput{in: in, label: filepath.Base(req.file), name: name}
	} else {
		test, err := w.testSet()
		if err != nil {
			return nil, failNone, err
		}
		if req.test < 0 || req.test >= test.N {
			return nil, failNone, fmt.Errorf("test image %d does not exist (the test set holds images 0 to %d)", req.test, test.N-1)
		}
		// The test set is loaded once; Run.TestImage would load it again
		// for every image.
		in, err := inspect.TestInput(test, req.test)
		if err != nil {
			return nil, failNone, err
		}
		si = &sceneInput{in: in, name: fmt.Sprintf("test%d", req.test),
			label: inspect.TestLabel(w.run.Config.Data == "coco", req.test, int(test.Y[req.test]), w.classes)}
	}
	if len(w.inputs) >= maxCached {
		clear(w.inputs)
	}
	w.inputs[key] = si
	return si, failNone, nil
}

// testSet loads the run's whole test set, once per data set: MNIST's, or
// the test crops of a COCO run (from the crop cache, which training left).
func (w *offsetsWorker) testSet() (*data.Set, error) {
	rc := w.run.Config
	key := fmt.Sprintf("%s|%s|%d", rc.Data, rc.MNISTDir, rc.Train.Seed) // the seed splits COCO images
	if rc.COCO != nil {
		key += fmt.Sprintf("|%+v", *rc.COCO)
	}
	if w.test != nil && w.testKey == key {
		return w.test, nil
	}
	rc.Limit, rc.Val, rc.Scales, rc.TestLimit = 1, 0, nil, 0
	// A COCO run whose crop cache is gone rebuilds it from the images,
	// which takes a while: say how far it is, a few times a second.
	var last time.Time
	progress := func(done, total int) {
		if now := time.Now(); done == total || now.Sub(last) >= progressGap {
			last = now
			w.b.offsetsProgress(w.v, fmt.Sprintf("Building the run's COCO crops again: %s of %s images…",
				groupDigits(done), groupDigits(total)))
		}
	}
	d, err := experiment.LoadDataContext(w.ctx, rc, progress)
	if err != nil {
		return nil, fmt.Errorf("loading the %s test set: %w", rundir.DataName(rc.Data), err)
	}
	if d.Test == nil || d.Test.N == 0 {
		return nil, fmt.Errorf("the %s test set is empty", rundir.DataName(rc.Data))
	}
	w.test, w.classes, w.testKey = d.Test, d.Classes, key
	return w.test, nil
}

// sampling returns the sampling fields of the image after epoch: from the
// session's memory for one of the inspected test images, else from a
// forward pass of that epoch's checkpoint (loaded once per epoch).
func (w *offsetsWorker) sampling(req offsetRequest, name string, epoch int, input *sceneInput) (*sampled, bool, error) {
	if req.file == "" && !req.photo && name == req.liveModel && epoch <= len(req.live) {
		if insp := req.live[epoch-1]; insp != nil {
			if i := slices.Index(insp.Index, req.test); i >= 0 && i < len(insp.Fields) {
				return &sampled{fields: insp.Fields[i], predict: -1}, true, nil
			}
		}
	}
	netKey := fmt.Sprintf("%s|%d", name, epoch)
	key := netKey + "|" + w.imageKey(req)
	if s, ok := w.fields[key]; ok {
		return s, false, nil
	}
	net, ok := w.nets[netKey]
	if !ok {
		var err error
		if net, _, err = w.run.LoadModel(name, epoch); err != nil {
			return nil, false, err
		}
		if w.run.Config.Data == "coco" {
			// A photo larger than the crops is clamped as training
			// clamped, at the bound of the training map's size.
			if _, err := inspect.TrainingLimits(net); err != nil {
				return nil, false, err
			}
		}
		if len(w.nets) >= maxCached {
			clear(w.nets)
		}
		w.nets[netKey] = net
	}
	fields, predict, err := inspect.Sampling(w.ctx, net, input.in)
	if err != nil {
		return nil, false, err
	}
	s := &sampled{fields: fields, predict: predict}
	if len(w.fields) >= maxCached {
		clear(w.fields)
	}
	w.fields[key] = s
	return s, false, nil
}

package app

import (
	"context"
	"image"
	"time"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/torchfile"
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
	req   offsetRequest
	scene *offsetScene // nil when there is no picture
	// cnn and main are the pictures at scale (cnn nil without a plain model
	// or in a heat map mode).
	cnn, main *image.NRGBA
	scale     int      // the display scale of the pictures
	note      string   // why there is no picture yet, for the user
	err       error    // why there is no picture: something failed
	failed    failure  // which choice err is about
	models    []string // the run's deformable models, once known
	model     string   // the one drawn
	layers    []string // its deformable layers, once known
	lastEpoch int      // its last complete epoch, once known
	testN     int      // the size of the test set, once known
	coco      bool     // the run is a COCO run: photos in context apply
	photoN    int      // the number of photos in the run's data, once known
	objects   []string // the photo's boxes, for the object list
	object    int      // the chosen box; −1 none
	groups    int      // a capture layer's offset groups, once known
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

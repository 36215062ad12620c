package app

import (
	"fmt"
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
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// draw answers one request; nil when there is nowhere to draw yet. Its
// steps: the run and the model (modelOf), the image (imageOf), the scene
// at the chosen epoch (sceneOf), its unit (chooseUnit), the colour scale
// (colourScale), the points (tracePoints), the measure line (measure),
// then the framing of a photo and the pictures at the panel's scale.
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
	if err := w.modelOf(req, res); err != nil {
		return fail(failRun, err)
	}
	if res.lastEpoch == 0 {
		res.note = "The sampling locations appear when the first epoch ends."
		return res
	}
	input, f, err := w.imageOf(req, res)
	if err != nil {
		return fail(f, err)
	}
	sc, s, err := w.sceneOf(req, res, input)
	if err == nil {
		err = chooseUnit(sc, req, input)
	}
	if err == nil {
		err = w.colourScale(sc, req, input)
	}
	if err == nil {
		err = w.tracePoints(sc, s, req, res.layers)
	}
	if err != nil {
		return fail(failNone, err)
	}
	sc.photo = input.photo
	w.measure(sc, input)
	if input.photo != nil && req.mode == modePoints {
		// The points over the photo where the object really is; both
		// panels share the view, each half the view's width, framed on
		// the unit unless the user zoomed or asked for the whole photo.
		placeInContext(sc, input.photo, req.view, req.size.X)
		sc.Frame(req.framing, panelAspect(req.size))
	}
	res.scale = displayScale(req.mode, req.size, sc.in[1], sc.in[0])
	if res.cnn, res.main, err = sc.render(res.scale); err != nil {
		return fail(failNone, err)
	}
	res.scene = sc
	return res
}

// modelOf puts the run's deformable models into res, the one the request
// asks for (else the run's first), its layers and its last complete epoch;
// an error says that a run folder has no epoch of it yet.
func (w *offsetsWorker) modelOf(req offsetRequest, res *offsetResult) error {
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
			return fmt.Errorf("%s has no complete epoch of %s yet", w.run.Dir, name)
		}
	}
	res.lastEpoch = last
	return nil
}

// imageOf prepares the request's image, and puts what the controls offer
// into res: the test set's size, the photos and the photo's boxes.
func (w *offsetsWorker) imageOf(req offsetRequest, res *offsetResult) (*sceneInput, failure, error) {
	res.coco = w.run.Config.Data == "coco"
	input, f, err := w.input(req)
	if w.test != nil {
		res.testN = w.test.N
	}
	res.photoN, res.object = len(w.photoList), -1
	if input != nil && input.photo != nil {
		res.objects, res.object = objectLabels(input.photo.entry), input.photo.object
	}
	return input, f, err
}

// sceneOf runs (or recalls) the model at the chosen epoch on the image and
// makes the scene of the chosen layer, its unit at the centre of the
// layer's output; s holds the sampling fields of every layer.
func (w *offsetsWorker) sceneOf(req offsetRequest, res *offsetResult, input *sceneInput) (sc *offsetScene, s *sampled, err error) {
	name, last := res.model, res.lastEpoch
	geom := w.geoms[name]
	epoch := req.epoch
	if epoch <= 0 || epoch > last {
		epoch = last
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
		return nil, nil, err
	}
	layer := req.layer
	if !slices.Contains(res.layers, layer) {
		layer = res.layers[len(res.layers)-1]
	}
	sh := input.in.X.Shape()
	in := [2]int{sh[2], sh[3]}
	sc = &offsetScene{mode: req.mode, round: req.round, in: in, name: input.name, geom: geom.Layers, live: live,
		run: w.run, input: input.in}
	sc.OffsetScene = viz.OffsetScene{Show: vizShow(req.mode), Picture: input.in.Picture, Label: input.label,
		Predict: inspect.ClassName(classes, s.predict), Model: name, Layer: layer, Epoch: epoch, Epochs: last,
		WeightBy: req.weight, Field: s.fields[layer], Tap: -1, DCNv1: w.run.Config.DCNv1}
	if sc.Field == nil {
		return nil, nil, fmt.Errorf("no sampling field recorded for %s", layer)
	}
	ho, wo, err := trace.OutputSize(geom.Layers, in, layer)
	if err != nil {
		return nil, nil, err
	}
	sc.units = [2]int{ho, wo}
	sc.unit = [2]int{ho / 2, wo / 2}
	return sc, s, nil
}

// chooseUnit moves the scene's unit to the one the request picked: under
// the picked photo point in a photo, else under the picked input point.
func chooseUnit(sc *offsetScene, req offsetRequest, input *sceneInput) error {
	if input.photo != nil {
		uy, ux, err := contextUnit(sc, input.photo, req)
		if err != nil {
			return err
		}
		sc.unit = [2]int{uy, ux}
		if input.photo.scaled != nil {
			sc.Label += fmt.Sprintf(", offsets clamped at ±%.3g px as in training", sc.Field.Limit)
		}
	} else if req.hasPick {
		uy, ux, err := trace.UnitAt(sc.geom, sc.in, sc.Layer, req.pick[0], req.pick[1])
		if err != nil {
			return err
		}
		sc.unit = [2]int{uy, ux}
	}
	return nil
}

// colourScale sets the scene's clamp bound and, for the |Δp| heat map, the
// top of its colour scale: the clamp bound, or the robust maximum over the
// run's epochs.
func (w *offsetsWorker) colourScale(sc *offsetScene, req offsetRequest, input *sceneInput) error {
	// The bound the block itself applied in the forward pass (nn), not a
	// copy of its rule.
	if sc.Limit = sc.Field.Limit; !(sc.Limit > 0) {
		return fmt.Errorf("%s recorded no offset clamp bound", sc.Layer)
	}
	if req.mode == modeOffset {
		sc.Range = viz.HeatRange{Mode: viz.RangeClamp}
		if !req.clamp {
			sc.Range = viz.HeatRange{Mode: viz.RangeRobust, Over: viz.EpochsText(sc.Epochs)}
			var err error
			if sc.Range.Max, sc.Largest, err = w.robustScale(req, sc.Model, sc.Epochs, sc.Layer, input); err != nil {
				return err
			}
		}
	}
	return nil
}

// tracePoints traces the unit's sampling locations through the deformable
// layers (fields s), and the plain CNN's regular grid when the run has one.
func (w *offsetsWorker) tracePoints(sc *offsetScene, s *sampled, req offsetRequest, layers []string) error {
	var cnn []nn.Layer[float32]
	if w.cnnGeom != nil {
		cnn = w.cnnGeom.Layers
	}
	return sc.TracePoints(sc.geom, s.fields, sc.in, sc.unit[0], sc.unit[1], req.round, cnn, layers)
}

// measure measures the unit for the measure line: its mean and largest
// |Δp|, its effective dilation and the layer's mean |Δp|, in the photo's
// pixels too when the scene is a photo's. A unit that cannot be measured
// leaves the line out.
func (w *offsetsWorker) measure(sc *offsetScene, input *sceneInput) {
	if m, err := inspect.MeasureUnit(w.geoms[sc.Model], sc.Field, sc.in, sc.Layer, sc.unit[0], sc.unit[1]); err == nil {
		perInput := 0.0
		if input.photo != nil {
			perInput = input.photo.perInput()
		}
		sc.Measured = viz.MeasuredOf(m, perInput)
	}
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
	// The RNG seed splits the COCO images.
	key := fmt.Sprintf("%s|%s|%d", rc.Data, rc.MNISTDir, rc.Train.Seed)
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

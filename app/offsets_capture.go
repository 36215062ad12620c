package app

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"

	"fyne.io/fyne/v2/widget"
)

// maxCaptureDepth is how many captured layers the Offsets view traces a
// unit through, from the chosen layer down: three, as the Deformable
// ConvNets papers' figures do (9³ points for 3×3 kernels).
const maxCaptureDepth = 3

// maxCapturePoints bounds the points the view draws for one unit: a layer
// with many offset groups (InternImage's have up to 32, 288 points a
// layer) is traced less deep, and the caption says how deep.
const maxCapturePoints = 50_000

// allGroups is the Group choice for every offset group of a capture layer:
// its points are every group's (G·K a layer), its heat maps the mean.
const allGroups = "all groups"

// newGroupSelect is the Offsets view's Group choice: enabled for a
// captured layer with several offset groups.
func newGroupSelect(changed func()) *widget.Select {
	s := widget.NewSelect(nil, func(string) { changed() })
	s.PlaceHolder = "–"
	s.Disable()
	return s
}

// groupChoice is the group the view asks for: trace.AllGroups unless a
// capture layer's group is chosen.
func (v *offsetsView) groupChoice() int {
	if !v.capture {
		return trace.AllGroups
	}
	var g int
	if _, err := fmt.Sscanf(v.group.Selected, "group %d", &g); err != nil {
		return trace.AllGroups
	}
	return g
}

// showGroups offers the groups of the layer a result drew: "all groups",
// "group 0" … for a capture layer with several, nothing otherwise.
func (v *offsetsView) showGroups(r *offsetResult) {
	var opts []string
	if r.req.capture && r.groups > 1 {
		opts = append(opts, allGroups)
		for g := range r.groups {
			opts = append(opts, fmt.Sprintf("group %d", g))
		}
	}
	v.syncing = true
	defer func() { v.syncing = false }()
	if !slices.Equal(v.group.Options, opts) {
		v.group.SetOptions(opts)
	}
	switch {
	case len(opts) == 0:
		v.group.ClearSelected()
	case !slices.Contains(opts, v.group.Selected):
		v.group.SetSelected(allGroups)
	}
}

// chooseCapture opens a capture file written by deformscope_capture.py.
func (v *offsetsView) chooseCapture() {
	v.openFile([]string{".safetensors"}, v.useCapture)
}

// useCapture shows the capture in path; the worker reads it, and a file it
// cannot use comes back as an error dialog.
func (v *offsetsView) useCapture(path string) {
	v.runDir, v.capture = path, true
	v.runGen++
	v.epochSel = 0
	v.lastEpoch = 0
	v.hasPick = false
	v.setModels(nil) // the worker names the capture
	v.syncControls()
	v.request()
}

// drawCapture answers a request for a capture file: its own image, the
// chosen layer's points traced through up to maxCaptureDepth captured
// layers, or its heat maps.
func (w *offsetsWorker) drawCapture(req offsetRequest, res *offsetResult) *offsetResult {
	fail := func(f failure, err error) *offsetResult {
		res.failed, res.err = f, err
		return res
	}
	key := [2]any{req.dir, req.gen}
	if w.capKey != key || w.capture == nil {
		c, err := torchfile.ReadCapture(req.dir)
		if err != nil {
			return fail(failRun, err)
		}
		w.capKey, w.capture = key, c
	}
	c := w.capture
	base := filepath.Base(req.dir)
	res.models, res.model, res.lastEpoch = []string{base}, base, 1
	for _, l := range c.Layers {
		res.layers = append(res.layers, l.Name)
	}
	layer := req.layer
	if !slices.Contains(res.layers, layer) {
		layer = res.layers[len(res.layers)-1]
	}
	at, _ := c.Layer(layer)
	l := &c.Layers[at]
	res.groups = l.Groups
	group := req.group
	if group >= l.Groups {
		group = trace.AllGroups // a group of the layer chosen before
	}
	field, err := l.HeatField(group)
	if err != nil {
		return fail(failNone, err)
	}
	shown := layer
	if l.Groups > 1 {
		shown += torchfile.GroupText(group)
	}
	depth, err := c.Depth(layer, group, maxCaptureDepth, maxCapturePoints)
	if err != nil {
		return fail(failNone, err)
	}
	in := [2]int{c.H, c.W}
	sc := &offsetScene{mode: req.mode, round: req.round, in: in, name: strings.TrimSuffix(base, filepath.Ext(base)), cap: c}
	// A capture has no clamp bound: the |Δp| scale runs to the 99th
	// percentile of the field shown, as dcn heatmap --capture's does.
	sc.OffsetScene = *viz.CaptureScene(vizShow(req.mode), c.Picture, base, shown, field)
	sc.WeightBy, sc.Depth = req.weight, depth
	sc.units = [2]int{l.Out[1], l.Out[2]}
	sc.unit = [2]int{l.Out[1] / 2, l.Out[2] / 2}
	if req.hasPick {
		uy, ux, err := c.UnitAt(layer, sc.Depth, req.pick[0], req.pick[1])
		if err != nil {
			return fail(failNone, err)
		}
		sc.unit = [2]int{uy, ux}
	}
	if sc.Points, err = c.Trace(layer, sc.unit[0], sc.unit[1], sc.Depth, torchfile.SpaceImage, trace.Options{Round: req.round, Group: group}); err != nil {
		return fail(failNone, err)
	}
	if req.mode == modeMask && l.Field.Mask == nil {
		res.note = layer + " was recorded without a mask (DCNv1)."
		return res
	}
	res.scale = displayScale(req.mode, req.size, in[1], in[0])
	if res.cnn, res.main, err = sc.render(res.scale); err != nil {
		return fail(failNone, err)
	}
	res.scene = sc
	return res
}

// captureFileName is a capture scene's export name.
func (sc *offsetScene) captureFileName(kind string) string {
	layer := strings.NewReplacer("/", "_", "#", "_", " ", "_", "(", "", ")", "").Replace(sc.Layer)
	s := fmt.Sprintf("%s-%s-%s", kind, sc.name, layer)
	if sc.mode == modePoints {
		s += fmt.Sprintf("-unit%d_%d", sc.unit[0], sc.unit[1])
	}
	return s + ".png"
}

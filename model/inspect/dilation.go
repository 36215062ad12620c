package inspect

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
)

// DilationOptions choose what MeasureDilation looks at.
type DilationOptions struct {
	// Models lists the models; empty takes all of the run's.
	Models []string
	// Epoch picks the checkpoint; 0 takes each model's last.
	Epoch int
	// Limit caps the test images per scale (Scaled-MNIST) or the test crops
	// (COCO); 0 means DefaultDilationLimit.
	Limit int
}

// DefaultDilationLimit is the number of test images MeasureDilation takes
// by default: enough for means to two decimals on the course study's nets,
// a few seconds on 2 cores.
const DefaultDilationLimit = 500

// digitLevel is the raw grey level from which an MNIST pixel counts as
// the digit's (half of full white).
const digitLevel = 128

// batch is the number of images run at once.
const batch = 50

// source is one set of test images with a way to name each unit's group.
type source struct {
	set *data.Set
	// group names the group of image i's unit centred at (cy, cx), in
	// input pixels.
	group func(i int, cy, cx float64) dilation.Group
}

// MeasureDilation computes the effective dilation of run's models on its
// test data: for Scaled-MNIST per test scale, units on the digit and on the
// background; for COCO test crops per COCO size class of the object's
// original box, units on the object and on the context. Every model's layers are the
// deformable layers of the run's deformable models (the plain CNN's are its
// convolutions of the same names, exactly their dilation).
func MeasureDilation(ctx context.Context, run *rundir.Run, opt DilationOptions) (*dilation.Report, error) {
	models := opt.Models
	if len(models) == 0 {
		models = run.Config.Models
	}
	for _, m := range models {
		if !slices.Contains(run.Config.Models, m) {
			return nil, fmt.Errorf("inspect: the run in %s has no model %q (it has %v)", run.Dir, m, run.Config.Models)
		}
	}
	limit := opt.Limit
	if limit <= 0 {
		limit = DefaultDilationLimit
	}
	nets := map[string]*model.Net[float32]{}
	epochs := map[string]int{}
	var names []string // deformable layer names across the run's models
	for _, m := range run.Config.Models {
		if !slices.Contains(models, m) {
			net, err := experiment.NewNet(run.Config, m)
			if err != nil {
				return nil, err
			}
			names = appendBlocks(names, net)
			continue
		}
		net, epoch, err := run.LoadModel(m, opt.Epoch)
		if err != nil {
			return nil, err
		}
		nets[m], epochs[m] = net, epoch
		names = appendBlocks(names, net)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("inspect: the run in %s has no deformable model; nothing to compare", run.Dir)
	}
	srcs, images, err := sources(ctx, run, limit)
	if err != nil {
		return nil, err
	}
	rep := &dilation.Report{Run: run.Dir, Data: run.Config.Data, Images: images}
	for _, m := range models {
		net := nets[m]
		layers, err := measureNet(ctx, net, srcs, names)
		if err != nil {
			return nil, fmt.Errorf("inspect: %s: %w", m, err)
		}
		for i := range layers {
			layers[i].Model, layers[i].Epoch = m, epochs[m]
		}
		rep.Layers = append(rep.Layers, layers...)
	}
	return rep, nil
}

func appendBlocks(names []string, net *model.Net[float32]) []string {
	for _, b := range net.DeformBlocks() {
		if !slices.Contains(names, b.Name()) {
			names = append(names, b.Name())
		}
	}
	return names
}

// sources loads the run's test images grouped as MeasureDilation describes.
func sources(ctx context.Context, run *rundir.Run, limit int) ([]source, int, error) {
	rc := run.Config
	rc.Limit, rc.Val, rc.TestLimit = 1, 0, limit
	if rc.Data == "coco" {
		return cocoSources(ctx, run, rc)
	}
	if len(rc.Scales) == 0 {
		rc.Scales = data.DefaultScales()
	}
	d, err := experiment.LoadDataContext(ctx, rc, nil)
	if err != nil {
		return nil, 0, err
	}
	var out []source
	for k, set := range d.Scaled {
		s := d.Scales[k]
		name := "scale " + strconv.FormatFloat(s, 'f', -1, 64)
		out = append(out, source{set: set, group: func(i int, cy, cx float64) dilation.Group {
			on := "background"
			if pixelAt(set.Pixels(i), set.H, set.W, cy, cx) >= digitLevel {
				on = "digit"
			}
			return dilation.Group{Group: name + " " + on, On: on, Scale: s}
		}})
	}
	n := 0
	if len(d.Scaled) > 0 {
		n = d.Scaled[0].N
	}
	return out, n, nil
}

// pixelAt returns the pixel nearest to (y, x), clamped to the image.
func pixelAt(pix []uint8, h, w int, y, x float64) uint8 {
	iy := min(max(int(y+0.5), 0), h-1)
	ix := min(max(int(x+0.5), 0), w-1)
	return pix[iy*w+ix]
}

// cocoSources groups the test crops by their box's size class; a unit is on
// the object when its centre, mapped back to the photo, lies in the box.
func cocoSources(ctx context.Context, run *rundir.Run, rc experiment.RunConfig) ([]source, int, error) {
	d, err := experiment.LoadDataContext(ctx, rc, nil)
	if err != nil {
		return nil, 0, err
	}
	if d.Test == nil || d.Test.N == 0 || len(d.TestRefs) != d.Test.N {
		return nil, 0, fmt.Errorf("inspect: the run in %s has no test crops to measure on", run.Dir)
	}
	ann := rc.COCO.Ann
	if rc.COCO.TestAnn != "" {
		ann = rc.COCO.TestAnn
	}
	x, err := coco.Load(ctx, ann, coco.LoadOptions{MinSize: rc.COCO.MinBox})
	if err != nil {
		return nil, 0, err
	}
	byID := make(map[int64]coco.Annotation, len(x.Annotations))
	for _, a := range x.Annotations {
		byID[a.ID] = a
	}
	type where struct {
		box  coco.Box
		rect [4]float64 // crop rectangle in the photo: x0, y0, side x, side y
		size string
	}
	at := make([]where, d.Test.N)
	for i, ref := range d.TestRefs {
		a, ok := byID[ref.AnnotationID]
		im, ok2 := x.Image(ref.ImageID)
		if !ok || !ok2 {
			return nil, 0, fmt.Errorf("inspect: %s has no box %d of image %d, which the crop cache holds; rebuild the crops", ann, ref.AnnotationID, ref.ImageID)
		}
		r := cropset.CropRect(a.BBox, im.Width, im.Height, cropset.DefaultContext)
		at[i] = where{box: a.BBox, rect: [4]float64{float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy())}, size: coco.SizeClass(a.BBox)}
	}
	size := d.Test.H
	src := source{set: d.Test, group: func(i int, cy, cx float64) dilation.Group {
		w := at[i]
		// Crop position to photo, COCO's continuous frame (pixel i spans [i, i+1)).
		py := w.rect[1] + (cy+0.5)*w.rect[3]/float64(size)
		px := w.rect[0] + (cx+0.5)*w.rect[2]/float64(size)
		on := "context"
		if px >= w.box.X && px <= w.box.X+w.box.W && py >= w.box.Y && py <= w.box.Y+w.box.H {
			on = "object"
		}
		return dilation.Group{Group: w.size + " " + on, On: on, Size: w.size}
	}}
	return []source{src}, d.Test.N, nil
}

// accumulator gathers one layer's units by group, in first-seen order.
type accumulator struct {
	order []dilation.Group
	stats map[string]*dilation.Stats
}

func (a *accumulator) add(g dilation.Group, v float64) {
	s, ok := a.stats[g.Group]
	if !ok {
		s = &dilation.Stats{}
		a.stats[g.Group] = s
		a.order = append(a.order, g)
	}
	s.Add(v)
}

// measureNet runs net over every source and gathers each named layer's
// units.
func measureNet(ctx context.Context, net *model.Net[float32], srcs []source, names []string) ([]dilation.Layer, error) {
	type layerInfo struct {
		kernel dilation.Kernel
		deform bool
		acc    accumulator
	}
	infos := make([]*layerInfo, len(names))
	for i, name := range names {
		var cfg nn.Conv2DConfig
		deform := false
		switch l := net.Layer(name).(type) {
		case *nn.Conv2D[float32]:
			cfg = l.Config()
		case *nn.DeformBlock[float32]:
			cfg, deform = l.Regular.Config(), true
		default:
			return nil, fmt.Errorf("%s has no convolution %s", net.Arch, name)
		}
		infos[i] = &layerInfo{kernel: dilation.Kernel{KH: cfg.Kernel[0], KW: cfg.Kernel[1], DH: max(cfg.Dilation[0], 1), DW: max(cfg.Dilation[1], 1)},
			deform: deform, acc: accumulator{stats: map[string]*dilation.Stats{}}}
	}
	for _, src := range srcs {
		set := src.set
		in := [2]int{set.H, set.W}
		// Unit centres depend only on the geometry: compute them once per layer.
		centres := make([][][2]float64, len(names))
		widths := make([]int, len(names))
		for li, name := range names {
			ho, wo, err := trace.OutputSize(net.Layers, in, name)
			if err != nil {
				return nil, err
			}
			c := make([][2]float64, ho*wo)
			for u := range c {
				y, x, err := trace.UnitCentre(net.Layers, in, name, u/wo, u%wo)
				if err != nil {
					return nil, err
				}
				c[u] = [2]float64{y, x}
			}
			centres[li], widths[li] = c, wo
		}
		x := nn.New[float32](batch, set.C, set.H, set.W)
		y := make([]int, batch)
		idx := make([]int, 0, batch)
		for start := 0; start < set.N; start += batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			idx = idx[:0]
			for i := start; i < min(start+batch, set.N); i++ {
				idx = append(idx, i)
			}
			xb := x
			if len(idx) < batch {
				xb = nn.New[float32](len(idx), set.C, set.H, set.W)
			}
			set.Batch(idx, xb.Data(), y[:len(idx)])
			if _, err := net.Forward(xb, false); err != nil {
				return nil, err
			}
			for b, i := range idx {
				fields := trace.Fields(net.Layers, b)
				for li, info := range infos {
					f := fields[names[li]] // nil for a plain convolution
					c, wo := centres[li], widths[li]
					if f != nil {
						if f.Ho*f.Wo != len(c) || f.Wo != wo {
							return nil, fmt.Errorf("%s's field is %d×%d, %d units expected", names[li], f.Ho, f.Wo, len(c))
						}
						if _, err := dilation.CheckField(f, info.kernel); err != nil {
							return nil, err
						}
					}
					for u, p := range c {
						info.acc.add(src.group(i, p[0], p[1]), dilation.Unit(f, info.kernel, 0, u/wo, u%wo))
					}
				}
			}
		}
	}
	out := make([]dilation.Layer, len(names))
	for li, info := range infos {
		out[li] = dilation.Layer{Layer: names[li], Deformable: info.deform}
		for _, g := range info.acc.order {
			s := info.acc.stats[g.Group]
			if s.N() == 0 {
				continue
			}
			g.Mean, g.Std, g.Units = s.Mean(), s.Std(), s.N()
			out[li].Groups = append(out[li].Groups, g)
		}
	}
	return out, nil
}

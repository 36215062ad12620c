package inspect

import (
	"context"
	"fmt"
	"image"
	"math"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
)

// MaxScaledSide caps the longer side of a photo resized for PrepareScaled,
// so that a tiny object does not blow a photo up to gigapixels.
const MaxScaledSide = 2048

// Crop is an object crop of a photo prepared for a COCO run's nets: the
// input, the rectangle of the photo it was cut from (the box squared, with
// training's context, moved inside the photo) and the crop size.
type Crop struct {
	*Input
	Box  coco.Box
	Rect image.Rectangle
	Size int
}

// PrepareCrop cuts the crop of box (in the photo's pixels) out of photo
// exactly as training cut its crops (cropset.CropRect, cropset.CropRGB, with the
// run's crop size and normalisation).
func PrepareCrop(r *rundir.Run, photo image.Image, box coco.Box) (*Crop, error) {
	if r.Config.Data != "coco" || r.Config.COCO == nil {
		return nil, fmt.Errorf("inspect: %s is not a COCO run; boxes are cut from COCO photos", r.Dir)
	}
	if photo == nil || photo.Bounds().Empty() {
		return nil, fmt.Errorf("inspect: empty photo")
	}
	b := photo.Bounds()
	if !(box.W >= 1 && box.H >= 1) || box.X < 0 || box.Y < 0 || box.X+box.W > float64(b.Dx())+0.5 || box.Y+box.H > float64(b.Dy())+0.5 {
		return nil, fmt.Errorf("inspect: box %g,%g,%g,%g is not inside the %d×%d photo (X,Y,W,H in pixels, at least 1×1)",
			box.X, box.Y, box.W, box.H, b.Dx(), b.Dy())
	}
	size := r.Config.COCO.Size
	rect := cropset.CropRect(box, b.Dx(), b.Dy(), cropset.DefaultContext)
	pix := cropset.CropRGB(photo, rect, size)
	mean, std, err := cocoNorm(r.Config)
	if err != nil {
		return nil, err
	}
	in, err := rgbInput(pix, size, size, mean, std)
	if err != nil {
		return nil, err
	}
	return &Crop{Input: in, Box: box, Rect: rect, Size: size}, nil
}

// Scaled is a whole photo resized so that objects of a chosen size meet the
// net at the size its training crops showed them.
type Scaled struct {
	*Input
	// Factor is the resize factor: input pixels per photo pixel.
	Factor float64
}

// ToPhoto maps an input position (pixel centres at whole numbers) to the
// photo's pixels.
func (s *Scaled) ToPhoto(y, x float64) (py, px float64) {
	return (y+0.5)/s.Factor - 0.5, (x+0.5)/s.Factor - 0.5
}

// WholeFactor returns the resize factor that makes an object of side
// object (photo pixels, its box's longer side) fill a training crop as it
// did in training: the crop's side, object·(1 + 2·context), becomes the
// run's crop size.
func WholeFactor(r *rundir.Run, object float64) (float64, error) {
	if r.Config.Data != "coco" || r.Config.COCO == nil {
		return 0, fmt.Errorf("inspect: %s is not a COCO run", r.Dir)
	}
	if !(object >= 1) || math.IsInf(object, 0) {
		return 0, fmt.Errorf("inspect: object size %g px: want at least 1", object)
	}
	return float64(r.Config.COCO.Size) / (object * (1 + 2*cropset.DefaultContext)), nil
}

// PrepareScaled resizes a whole photo by factor (WholeFactor) and
// normalises it as the run's crops, for the fully convolutional part of the
// nets. It refuses a factor that would make the longer side exceed
// MaxScaledSide or the shorter side smaller than the crop size.
func PrepareScaled(r *rundir.Run, photo image.Image, factor float64) (*Scaled, error) {
	if r.Config.Data != "coco" || r.Config.COCO == nil {
		return nil, fmt.Errorf("inspect: %s is not a COCO run", r.Dir)
	}
	if photo == nil || photo.Bounds().Empty() {
		return nil, fmt.Errorf("inspect: empty photo")
	}
	b := photo.Bounds()
	w := int(math.Round(float64(b.Dx()) * factor))
	h := int(math.Round(float64(b.Dy()) * factor))
	switch {
	case !(factor > 0) || max(w, h) > MaxScaledSide:
		return nil, fmt.Errorf("inspect: resizing the %d×%d photo by %.3g gives %d×%d px; at most %d px a side (choose a larger object size)",
			b.Dx(), b.Dy(), factor, w, h, MaxScaledSide)
	case min(w, h) < r.Config.COCO.Size:
		return nil, fmt.Errorf("inspect: resizing the %d×%d photo by %.3g gives %d×%d px, smaller than a %d px crop (choose a smaller object size)",
			b.Dx(), b.Dy(), factor, w, h, r.Config.COCO.Size)
	}
	rgb := imaging.Resize(photo, w, h, imaging.Linear)
	pix := make([]uint8, 3*h*w)
	for y := range h {
		for x := range w {
			px := rgb.NRGBAAt(x, y)
			pix[y*w+x], pix[h*w+y*w+x], pix[2*h*w+y*w+x] = px.R, px.G, px.B
		}
	}
	mean, std, err := cocoNorm(r.Config)
	if err != nil {
		return nil, err
	}
	in, err := rgbInput(pix, h, w, mean, std)
	if err != nil {
		return nil, err
	}
	// rgbInput's factor is by rounding; the exact ratio keeps the mapping honest.
	return &Scaled{Input: in, Factor: float64(w) / float64(b.Dx())}, nil
}

// TrainingLimits fixes the clamp bound of each deformable block of net at
// the one it had in training, a quarter of the longer side of the block's
// input on a training-size image, so that a larger input (a whole photo) is
// clamped as training clamped. It returns the bounds by layer name.
func TrainingLimits(net *model.Net[float32]) (map[string]float64, error) {
	blocks := net.DeformBlocks()
	for _, b := range blocks {
		b.SetLimit(0)
	}
	x := nn.New[float32](net.InputShape(1)...)
	if _, err := net.Infer(x); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, b := range blocks {
		out[b.Name()] = b.Limit()
		b.SetLimit(b.Limit())
	}
	return out, nil
}

// PhotoTrace is a unit traced on an object's crop, with its points mapped
// back from the crop to the photo's pixels.
type PhotoTrace struct {
	Crop *Crop
	// Unit and Points are in the photo's pixels (pixel centres at whole
	// numbers, as trace uses).
	Unit   trace.Point
	Points []trace.Point
	// UnitY, UnitX is the unit of the layer's output; Predict the class the
	// net gives the crop (−1 when the net was not run: a grid).
	UnitY, UnitX int
	Predict      int
}

// TraceCrop runs net on crop (unless fields is given) and traces unit (uy,
// ux) of layer back to the crop, then maps its points to the photo. A
// negative uy or ux picks the unit whose centre lies nearest the box's
// centre (the crop's own centre may lie off the object where the crop was
// moved inside the photo). With opt.Grid naming layers and nil fields, it traces the plain
// CNN's regular grid without running the net.
func TraceCrop(ctx context.Context, net *model.Net[float32], crop *Crop, layer string, uy, ux int, opt trace.Options) (*PhotoTrace, error) {
	in := [2]int{crop.Size, crop.Size}
	if uy < 0 || ux < 0 {
		// The box's centre in COCO's frame is at pixel-centre coordinates minus a half.
		cy, cx := cropset.PhotoToCrop(crop.Rect, crop.Size, crop.Box.Y+crop.Box.H/2-0.5, crop.Box.X+crop.Box.W/2-0.5)
		var err error
		if uy, ux, err = trace.UnitAt(net.Layers, in, layer, cy, cx); err != nil {
			return nil, err
		}
	}
	var fields map[string]*metrics.Field
	predict := -1
	if len(opt.Grid) == 0 {
		var err error
		if fields, predict, err = Sampling(ctx, net, crop.Input); err != nil {
			return nil, err
		}
	}
	r, err := trace.Trace(net.Layers, fields, in, layer, uy, ux, opt)
	if err != nil {
		return nil, err
	}
	toPhoto := func(p trace.Point) trace.Point {
		p.Y, p.X = cropset.CropToPhoto(crop.Rect, crop.Size, p.Y, p.X)
		return p
	}
	out := &PhotoTrace{Crop: crop, Unit: toPhoto(r.Unit), Points: make([]trace.Point, len(r.Points)), UnitY: uy, UnitX: ux, Predict: predict}
	for i, p := range r.Points {
		out.Points[i] = toPhoto(p)
	}
	return out, nil
}

// PhotoBoxes returns the annotated boxes of the photo named file in the
// run's instances files (the training file, then the test file), matched by
// the file's base name, with their category names; nil when neither file
// lists it.
func PhotoBoxes(ctx context.Context, r *rundir.Run, file string) ([]coco.Annotation, []string, error) {
	c := r.Config.COCO
	if r.Config.Data != "coco" || c == nil {
		return nil, nil, nil
	}
	base := filepath.Base(file)
	for _, ann := range []string{c.Ann, c.TestAnn} {
		if ann == "" {
			continue
		}
		x, err := coco.Load(ctx, ann, coco.LoadOptions{MinSize: 1})
		if err != nil {
			return nil, nil, err
		}
		for _, im := range x.Images {
			if path.Base(im.FileName) != base {
				continue
			}
			var boxes []coco.Annotation
			var names []string
			for _, a := range x.Annotations {
				if a.ImageID == im.ID {
					boxes = append(boxes, a)
					cat, _ := x.Category(a.CategoryID)
					names = append(names, cat.Name)
				}
			}
			return boxes, names, nil
		}
	}
	return nil, nil, nil
}

// Photo is a photo of a COCO run's data with its annotated boxes.
type Photo struct {
	// Path is the image file; Name its file name in the instances file.
	Path, Name string
	// Boxes and Names are its boxes (in its pixels) and their categories.
	Boxes []coco.Box
	Names []string
}

// Largest returns the index of the photo's largest box (by area).
func (p *Photo) Largest() int {
	best, area := 0, -1.0
	for i, b := range p.Boxes {
		if a := b.W * b.H; a > area {
			best, area = i, a
		}
	}
	return best
}

// RunPhotos lists the photos of a COCO run's instances files (the test
// file first, when the run has one, then the training file) that hold at
// least one box as large as training's smallest (MinBox), sorted by file
// name within each file, each with all of its boxes of at least a pixel. It
// returns nil for a run that is not a COCO run.
func RunPhotos(ctx context.Context, r *rundir.Run) ([]Photo, error) {
	c := r.Config.COCO
	if r.Config.Data != "coco" || c == nil {
		return nil, nil
	}
	var out []Photo
	for _, src := range [][2]string{{c.TestAnn, c.TestImages}, {c.Ann, c.Images}} {
		if src[0] == "" {
			continue
		}
		x, err := coco.Load(ctx, src[0], coco.LoadOptions{MinSize: 1})
		if err != nil {
			return nil, err
		}
		dir := src[1]
		if dir == "" {
			dir = c.Images
		}
		byImage := map[int64]*Photo{}
		usable := map[int64]bool{}
		for _, a := range x.Annotations {
			p := byImage[a.ImageID]
			if p == nil {
				im, ok := x.Image(a.ImageID)
				if !ok {
					continue
				}
				p = &Photo{Path: filepath.Join(dir, filepath.FromSlash(im.FileName)), Name: im.FileName}
				byImage[a.ImageID] = p
			}
			cat, _ := x.Category(a.CategoryID)
			p.Boxes = append(p.Boxes, a.BBox)
			p.Names = append(p.Names, cat.Name)
			if a.BBox.W >= c.MinBox && a.BBox.H >= c.MinBox {
				usable[a.ImageID] = true
			}
		}
		var photos []Photo
		for id, p := range byImage {
			if usable[id] {
				photos = append(photos, *p)
			}
		}
		slices.SortFunc(photos, func(a, b Photo) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, photos...)
	}
	return out, nil
}

// ToPhoto maps a trace on the crop's input to the photo's pixels.
func (c *Crop) ToPhoto(r *trace.Result) *trace.Result {
	m := func(p trace.Point) trace.Point {
		p.Y, p.X = cropset.CropToPhoto(c.Rect, c.Size, p.Y, p.X)
		return p
	}
	out := *r
	out.Unit = m(r.Unit)
	out.Points = make([]trace.Point, len(r.Points))
	for i, p := range r.Points {
		out.Points[i] = m(p)
	}
	return &out
}

// TraceToPhoto maps a trace on the resized photo to the photo's own pixels.
func (s *Scaled) TraceToPhoto(r *trace.Result) *trace.Result {
	m := func(p trace.Point) trace.Point {
		p.Y, p.X = s.ToPhoto(p.Y, p.X)
		return p
	}
	out := *r
	out.Unit = m(r.Unit)
	out.Points = make([]trace.Point, len(r.Points))
	for i, p := range r.Points {
		out.Points[i] = m(p)
	}
	return &out
}

// FromPhoto maps a photo position to the resized input's pixels, the
// inverse of ToPhoto.
func (s *Scaled) FromPhoto(py, px float64) (y, x float64) {
	return (py+0.5)*s.Factor - 0.5, (px+0.5)*s.Factor - 0.5
}

// PhotoMap maps between a net's input and the photo it was cut or resized
// from: an object's crop, or the whole photo at training scale (Scaled set).
// The app's in-context view and dcn's --box/--whole use it alike.
type PhotoMap struct {
	Crop   *Crop   // the object's crop, when Scaled is nil
	Scaled *Scaled // the whole photo resized
}

// ToPhoto maps a trace on the input to the photo's pixels (nil for nil).
func (m PhotoMap) ToPhoto(r *trace.Result) *trace.Result {
	switch {
	case r == nil:
		return nil
	case m.Scaled != nil:
		return m.Scaled.TraceToPhoto(r)
	}
	return m.Crop.ToPhoto(r)
}

// FromPhoto maps a photo position to the input's pixels.
func (m PhotoMap) FromPhoto(py, px float64) (y, x float64) {
	if m.Scaled != nil {
		return m.Scaled.FromPhoto(py, px)
	}
	return cropset.PhotoToCrop(m.Crop.Rect, m.Crop.Size, py, px)
}

// PerInput is the photo's pixels per input pixel.
func (m PhotoMap) PerInput() float64 {
	if m.Scaled != nil {
		return 1 / m.Scaled.Factor
	}
	return float64(m.Crop.Rect.Dx()) / float64(m.Crop.Size)
}

// PaperPanel is one panel of the paper's three-panel figure on COCO photos:
// which photo and box, and the unit to trace ("" for the box's centre).
type PaperPanel struct {
	// Kind is "small object", "large object" or "background".
	Kind  string
	Photo Photo
	Box   int
	// Unit is the unit to trace as dcn --unit takes it ("y,x"); empty:
	// the unit at the box's centre.
	Unit string
}

// PaperPanels chooses the paper's three panels among photos: the unit at
// the centre of the smallest object, at the centre of the largest, and a
// unit in the background at the corner of the small object's crop. Boxes
// under minBox on either side are passed over (training cut no crop of
// them); photos with no box left is an error.
func PaperPanels(photos []Photo, minBox float64) ([]PaperPanel, error) {
	type pick struct {
		photo Photo
		box   int
		area  float64
	}
	var small, large *pick
	for _, p := range photos {
		for i, b := range p.Boxes {
			if b.W < minBox || b.H < minBox {
				continue
			}
			a := b.W * b.H
			if small == nil || a < small.area {
				small = &pick{p, i, a}
			}
			if large == nil || a > large.area {
				large = &pick{p, i, a}
			}
		}
	}
	if small == nil {
		return nil, fmt.Errorf("inspect: the run's instances files list no box of at least %g px", minBox)
	}
	return []PaperPanel{
		{Kind: "small object", Photo: small.photo, Box: small.box},
		{Kind: "large object", Photo: large.photo, Box: large.box},
		{Kind: "background", Photo: small.photo, Box: small.box, Unit: "1,1"},
	}, nil
}

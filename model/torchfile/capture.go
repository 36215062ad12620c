package torchfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/trace"
)

// CaptureFormat is the format deformscope_capture.py writes into a capture
// file's metadata: version 2 adds each layer's family, its offset groups
// under "groups" and remove_center. CaptureFormatV1 files (torchvision's
// deform_conv2d only, "offset_groups") still open.
const (
	CaptureFormat   = "deformscope-capture/2"
	CaptureFormatV1 = "deformscope-capture/1"
)

// The families of deformable convolution a capture records, as
// deformscope_capture.py names them. Every layer is stored in torchvision's
// convention whatever its family (see the script's docs).
const (
	FamilyTorchvision = "torchvision" // torchvision.ops.deform_conv2d / DeformConv2d
	FamilyMMCV        = "mmcv"        // mmcv's (Modulated)DeformConv2d and their Pack modules
	FamilyDCNv3       = "dcnv3"       // InternImage's DCNv3
	FamilyDCNv4       = "dcnv4"       // DCNv4
)

// Bounds on what a capture file may claim, checked before anything is
// sized by it, so that no product of its numbers can overflow.
const (
	MaxCaptureLayers = 4096    // layers in one capture
	MaxLayerName     = 256     // bytes in a layer's name (a module path)
	maxCaptureSide   = 1 << 16 // H, W, stride, padding, dilation
	maxCaptureChans  = 1 << 20 // channels
	maxCaptureGroups = 1 << 12 // offset groups
	maxCaptureTaps   = 1024    // kh·kw
)

// MaxTracePoints bounds the points one trace may give (kh·kw to the power of
// the depth), so that a deep trace through a big model fails plainly instead
// of filling memory.
const MaxTracePoints = 1 << 20

// CaptureLayer is one deformable convolution recorded by
// deformscope_capture.py, with its sampling field on the captured image.
type CaptureLayer struct {
	Name    string
	In, Out [3]int // C, H, W of its input and output
	Kernel  [2]int
	Stride  [2]int
	Padding [2]int
	// Dilation of the kernel; Groups is the number of offset groups.
	Dilation [2]int
	Groups   int
	// Family is the library the layer came from (FamilyTorchvision for a
	// version-1 file); RemoveCenter says its kernel's centre tap is not
	// sampled (its stored offset and mask there are 0).
	Family       string
	RemoveCenter bool
	Field        *metrics.Field
}

// Geometry returns the layer as package trace sees it.
func (l *CaptureLayer) Geometry() trace.Geometry {
	return trace.Geometry{Name: l.Name, Kernel: l.Kernel, Stride: l.Stride, Padding: l.Padding, Dilation: l.Dilation,
		In: [2]int{l.In[1], l.In[2]}, Out: [2]int{l.Out[1], l.Out[2]}, Field: l.Field, RemoveCenter: l.RemoveCenter}
}

// Taps returns the points one unit of the layer samples per offset group:
// kh·kw, less the centre with RemoveCenter.
func (l *CaptureLayer) Taps() int {
	k := l.Kernel[0] * l.Kernel[1]
	if l.RemoveCenter {
		k--
	}
	return k
}

// HeatField returns the layer's sampling field for the heat maps, with one
// offset group: group g's (0 to Groups−1), or for trace.AllGroups every
// group's taps side by side, so that the mean over the taps is the mean
// over every group and tap. A removed centre tap is left out.
func (l *CaptureLayer) HeatField(g int) (*metrics.Field, error) {
	f := l.Field
	if g < trace.AllGroups || g >= l.Groups {
		return nil, fmt.Errorf("torchfile: %s has %d offset groups: group %d is not one of them (0 to %d)", l.Name, l.Groups, g, l.Groups-1)
	}
	if l.Groups == 1 && !l.RemoveCenter {
		return f, nil
	}
	lo, hi := g, g+1
	if g == trace.AllGroups {
		lo, hi = 0, l.Groups
	}
	k, n := l.Kernel[0]*l.Kernel[1], f.Ho*f.Wo
	out := &metrics.Field{Ho: f.Ho, Wo: f.Wo, Groups: 1, Limit: f.Limit}
	for gi := lo; gi < hi; gi++ {
		for t := range k {
			if l.RemoveCenter && t == k/2 {
				continue
			}
			c := gi*k + t
			out.Offset = append(out.Offset, f.Offset[2*c*n:(2*c+2)*n]...)
			if f.Mask != nil {
				out.Mask = append(out.Mask, f.Mask[c*n:(c+1)*n]...)
			}
		}
	}
	return out, nil
}

// Capture is a capture file: the deformable convolutions one PyTorch model
// called on one image, in call order, and the image. It has no net to run:
// its sampling points come from the recorded offsets and geometry alone.
type Capture struct {
	Path string
	// C, H, W and Image are the captured input x (batch dimension
	// dropped), as the model saw it (normalised).
	C, H, W int
	Image   []float32
	// Picture is the image as a person sees it: the file's "picture" if it
	// has one, else Image with each channel stretched to its range.
	Picture image.Image
	Layers  []CaptureLayer
}

// captureLayerMeta is one entry of the "layers" metadata.
type captureLayerMeta struct {
	Name     string `json:"name"`
	In       []int  `json:"in"`
	Out      []int  `json:"out"`
	Kernel   []int  `json:"kernel"`
	Stride   []int  `json:"stride"`
	Padding  []int  `json:"padding"`
	Dilation []int  `json:"dilation"`
	Groups   int    `json:"offset_groups"` // version 1
	Mask     bool   `json:"mask"`
	// Version 2.
	Family       string `json:"family"`
	Groups2      int    `json:"groups"`
	RemoveCenter bool   `json:"remove_center"`
}

// ReadCapture reads a capture file written by deformscope_capture.py. A
// file that is not one, or that lacks a tensor or disagrees with its own
// geometry, is refused with an error naming the file and the fault.
func ReadCapture(path string) (*Capture, error) {
	f, size, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeCapture(f, size, path)
}

// ParseCapture reads a capture held in data; name is the file name its
// errors give.
func ParseCapture(data []byte, name string) (*Capture, error) {
	return decodeCapture(bytes.NewReader(data), int64(len(data)), name)
}

func decodeCapture(r io.ReaderAt, size int64, name string) (*Capture, error) {
	c, err := decodeCaptureErr(r, size)
	if err != nil {
		return nil, fmt.Errorf("torchfile: capture %s: %w", name, err)
	}
	c.Path = name
	return c, nil
}

func decodeCaptureErr(r io.ReaderAt, size int64) (*Capture, error) {
	sd, meta, err := readSafetensors(r, size)
	if errors.Is(err, ckpt.ErrNotSafetensors) {
		return nil, errors.New("not a capture file (not safetensors)")
	}
	if err != nil {
		return nil, err
	}
	version := 0
	switch meta["format"] {
	case CaptureFormat:
		version = 2
	case CaptureFormatV1:
		version = 1
	default:
		return nil, fmt.Errorf("format %q, want %q or %q (write it with deformscope_capture.capture)", clip(meta["format"]), CaptureFormat, CaptureFormatV1)
	}
	var metas []captureLayerMeta
	if err := json.Unmarshal([]byte(meta["layers"]), &metas); err != nil {
		return nil, fmt.Errorf("layers metadata: %w", err)
	}
	if len(metas) == 0 {
		return nil, errors.New("no deformable layers recorded")
	}
	if len(metas) > MaxCaptureLayers {
		return nil, fmt.Errorf("%d layers recorded: at most %d", len(metas), MaxCaptureLayers)
	}
	c := &Capture{}
	img, ok := sd.Lookup("image")
	if !ok {
		return nil, errors.New("tensor \"image\" is missing")
	}
	if len(img.Shape) != 4 || img.Shape[0] != 1 || min(img.Shape[1], img.Shape[2], img.Shape[3]) < 1 {
		return nil, fmt.Errorf("tensor \"image\" has shape %v, want [1 C H W]", img.Shape)
	}
	c.C, c.H, c.W, c.Image = img.Shape[1], img.Shape[2], img.Shape[3], img.Data
	c.Picture = picture(c)
	if p, ok := sd.Lookup("picture"); ok {
		if c.Picture, err = pictureTensor(p, c.H, c.W); err != nil {
			return nil, err
		}
	}
	names := map[string]bool{}
	for i, m := range metas {
		l, err := captureLayer(sd, i, m, version)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, clip(m.Name), err)
		}
		if names[l.Name] {
			return nil, fmt.Errorf("layer %d: the name %q is used twice", i, l.Name)
		}
		names[l.Name] = true
		c.Layers = append(c.Layers, l)
	}
	return c, nil
}

func pair(v []int, what string, lo, hi int) ([2]int, error) {
	if len(v) != 2 || v[0] < lo || v[1] < lo || v[0] > hi || v[1] > hi {
		return [2]int{}, fmt.Errorf("%s %v: want two numbers from %d to %d", what, v, lo, hi)
	}
	return [2]int{v[0], v[1]}, nil
}

func triple(v []int, what string) ([3]int, error) {
	if len(v) != 3 || min(v[0], v[1], v[2]) < 1 || v[0] > maxCaptureChans || max(v[1], v[2]) > maxCaptureSide {
		return [3]int{}, fmt.Errorf("%s %v: want C, H, W (C at most %d, H and W at most %d)", what, v, maxCaptureChans, maxCaptureSide)
	}
	return [3]int{v[0], v[1], v[2]}, nil
}

func captureLayer(sd *StateDict, i int, m captureLayerMeta, version int) (CaptureLayer, error) {
	l := CaptureLayer{Name: m.Name, Groups: m.Groups, Family: FamilyTorchvision}
	if version == 2 {
		l.Groups, l.Family, l.RemoveCenter = m.Groups2, m.Family, m.RemoveCenter
		switch m.Family {
		case FamilyTorchvision, FamilyMMCV, FamilyDCNv3, FamilyDCNv4:
		default:
			return l, fmt.Errorf("family %q: want torchvision, mmcv, dcnv3 or dcnv4", clip(m.Family))
		}
	}
	var err error
	if strings.TrimSpace(m.Name) == "" {
		return l, errors.New("no name")
	}
	if len(m.Name) > MaxLayerName {
		return l, fmt.Errorf("a name of %d bytes: at most %d", len(m.Name), MaxLayerName)
	}
	if l.In, err = triple(m.In, "in"); err != nil {
		return l, err
	}
	if l.Out, err = triple(m.Out, "out"); err != nil {
		return l, err
	}
	// Each side is bounded before any product is taken: a kernel of
	// [2^32, 2^32] must not wrap kh·kw to 0.
	if l.Kernel, err = pair(m.Kernel, "kernel", 1, maxCaptureTaps); err != nil {
		return l, err
	}
	if l.Stride, err = pair(m.Stride, "stride", 1, maxCaptureSide); err != nil {
		return l, err
	}
	if l.Padding, err = pair(m.Padding, "padding", 0, maxCaptureSide); err != nil {
		return l, err
	}
	if l.Dilation, err = pair(m.Dilation, "dilation", 1, maxCaptureSide); err != nil {
		return l, err
	}
	if l.Kernel[0]*l.Kernel[1] > maxCaptureTaps {
		return l, fmt.Errorf("kernel %v: at most %d taps", l.Kernel, maxCaptureTaps)
	}
	if l.Groups < 1 || l.Groups > maxCaptureGroups {
		return l, fmt.Errorf("offset groups %d: want 1 to %d", l.Groups, maxCaptureGroups)
	}
	if l.RemoveCenter && (l.Kernel[0] != l.Kernel[1] || l.Kernel[0]%2 == 0) {
		return l, fmt.Errorf("remove_center with a %d×%d kernel: it needs an odd square one", l.Kernel[0], l.Kernel[1])
	}

	// TraceChain checks that the geometry gives the recorded output size.
	if _, err := trace.TraceChain([]trace.Geometry{l.Geometry()}, 0, 0, trace.Options{}); err != nil {
		return l, err
	}
	k := l.Kernel[0] * l.Kernel[1]
	ho, wo := l.Out[1], l.Out[2]
	l.Field = &metrics.Field{Ho: ho, Wo: wo, Groups: l.Groups}
	name := fmt.Sprintf("layer.%d.offset", i)
	off, ok := sd.Lookup(name)
	if !ok {
		return l, fmt.Errorf("tensor %q is missing", name)
	}
	if !slices.Equal(off.Shape, []int{1, 2 * l.Groups * k, ho, wo}) {
		return l, fmt.Errorf("tensor %q has shape %v, want %v", name, off.Shape, []int{1, 2 * l.Groups * k, ho, wo})
	}
	l.Field.Offset = toF64(off.Data)
	name = fmt.Sprintf("layer.%d.mask", i)
	mask, ok := sd.Lookup(name)
	switch {
	case m.Mask && !ok:
		return l, fmt.Errorf("tensor %q is missing", name)
	case !m.Mask && ok:
		return l, fmt.Errorf("tensor %q is there, but the layer is recorded without a mask", name)
	case ok && !slices.Equal(mask.Shape, []int{1, l.Groups * k, ho, wo}):
		return l, fmt.Errorf("tensor %q has shape %v, want %v", name, mask.Shape, []int{1, l.Groups * k, ho, wo})
	case ok:
		l.Field.Mask = toF64(mask.Data)
	}
	return l, nil
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// picture stretches each channel of the captured (normalised) image to
// 0..255, the best a viewer can do without the model's normalisation.
func picture(c *Capture) image.Image {
	ch := min(c.C, 3)
	if c.C == 2 {
		ch = 1
	}
	n := c.H * c.W
	out := image.NewNRGBA(image.Rect(0, 0, c.W, c.H))
	for k := range ch {
		plane := c.Image[k*n : (k+1)*n]
		lo, hi := slices.Min(plane), slices.Max(plane)
		scale := float32(0)
		if hi > lo {
			scale = 255 / (hi - lo)
		}
		for i, v := range plane {
			b := uint8(math.Round(float64((v - lo) * scale)))
			if ch == 1 {
				out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2] = b, b, b
			} else {
				out.Pix[4*i+k] = b
			}
			out.Pix[4*i+3] = 255
		}
	}
	return out
}

// pictureTensor reads the optional "picture": uint8 (H, W, 3) or (H, W).
func pictureTensor(p *Tensor, h, w int) (image.Image, error) {
	if len(p.Shape) < 2 || p.Shape[0] != h || p.Shape[1] != w || len(p.Shape) == 3 && p.Shape[2] != 3 || len(p.Shape) > 3 {
		return nil, fmt.Errorf("tensor \"picture\" has shape %v, want [%d %d 3] or [%d %d]", p.Shape, h, w, h, w)
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range h * w {
		var c color.NRGBA
		if len(p.Shape) == 3 {
			c = color.NRGBA{clamp8(p.Data[3*i]), clamp8(p.Data[3*i+1]), clamp8(p.Data[3*i+2]), 255}
		} else {
			g := clamp8(p.Data[i])
			c = color.NRGBA{g, g, g, 255}
		}
		out.SetNRGBA(i%w, i/w, c)
	}
	return out, nil
}

func clamp8(v float32) uint8 { return uint8(max(0, min(255, v))) }

// Layer returns the index of the layer called name.
func (c *Capture) Layer(name string) (int, error) {
	var names []string
	for i, l := range c.Layers {
		if l.Name == name {
			return i, nil
		}
		if len(names) < 8 {
			names = append(names, l.Name)
		}
	}
	has := strings.Join(names, ", ")
	if len(c.Layers) > len(names) {
		has += fmt.Sprintf(" and %d more", len(c.Layers)-len(names))
	}
	return 0, fmt.Errorf("torchfile: capture %s has no layer %q (it has %s)", c.Path, clip(name), has)
}

// Space names the pixels a trace's points are given in.
type Space string

// The two spaces of dcn offsets --capture.
const (
	SpaceMap   Space = "map"   // the input map of the deepest layer traced
	SpaceImage Space = "image" // the captured image
)

// Trace follows unit (uy, ux) of layer name's output back through depth
// captured layers (name and the depth−1 layers called before it; 0 takes
// one) with trace.TraceChain: the unit into the taps of its layer's offset
// group opt.Group or, for trace.AllGroups, of all its groups, and every
// point below into all the groups' taps. In SpaceMap the points are in the
// input-map
// pixels of the deepest layer traced (torchvision's convention: tap (i, j)
// of output (h, w) lies at h·stride − pad + i·dilation + Δy); in SpaceImage
// that map is rescaled onto the captured image, pixel centres aligned.
func (c *Capture) Trace(name string, uy, ux, depth int, space Space, opt trace.Options) (*trace.Result, error) {
	at, err := c.Layer(name)
	if err != nil {
		return nil, err
	}
	if depth == 0 {
		depth = 1
	}
	if depth < 1 || depth > at+1 {
		return nil, fmt.Errorf("torchfile: depth %d: %s is layer %d of the capture, so the depth is 1 to %d", depth, name, at+1, at+1)
	}
	if n := c.points(at, depth, opt.Group); n > MaxTracePoints {
		return nil, fmt.Errorf("torchfile: depth %d gives more than %d points; choose a smaller depth or one group", depth, MaxTracePoints)
	}
	chain := make([]trace.Geometry, 0, depth)
	for _, l := range c.Layers[at-depth+1 : at+1] {
		chain = append(chain, l.Geometry())
	}
	res, err := trace.TraceChain(chain, uy, ux, opt)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	switch space {
	case SpaceMap, "":
	case SpaceImage:
		from := chain[0].In
		to := [2]int{c.H, c.W}
		res.Unit = trace.Rescale(res.Unit, from, to)
		for i := range res.Points {
			res.Points[i] = trace.Rescale(res.Points[i], from, to)
		}
	default:
		return nil, fmt.Errorf("torchfile: unknown space %q (want map or image)", space)
	}
	return res, nil
}

// points returns how many points a trace from layer at through depth
// layers gives for group (trace.AllGroups: every group's), or
// MaxTracePoints+1 once it passes MaxTracePoints.
func (c *Capture) points(at, depth, group int) int {
	n := 1
	for i, l := range c.Layers[at-depth+1 : at+1] {
		n *= l.Taps()
		if group == trace.AllGroups || i < depth-1 {
			n *= l.Groups // the layers below expand every group
		}
		if n > MaxTracePoints {
			return MaxTracePoints + 1
		}
	}
	return n
}

// Depth returns the largest depth, at most maxDepth, at which a trace from
// layer name for group gives at most maxPoints points (at least 1): a view
// of a layer with many groups (InternImage's have up to 32) traces less
// deep than one with a single group.
func (c *Capture) Depth(name string, group, maxDepth, maxPoints int) (int, error) {
	at, err := c.Layer(name)
	if err != nil {
		return 0, err
	}
	d := max(1, min(maxDepth, at+1))
	for d > 1 && c.points(at, d, group) > maxPoints {
		d--
	}
	return d, nil
}

// UnitAt returns the unit of layer name's output whose centre, traced
// through depth layers (as Trace does, in SpaceImage), lies nearest to image
// pixel (py, px), clamped to the output: for picking a unit by pointing at
// the picture.
func (c *Capture) UnitAt(name string, depth int, py, px float64) (uy, ux int, err error) {
	at, err := c.Layer(name)
	if err != nil {
		return 0, 0, err
	}
	l := c.Layers[at]
	// The centre map is affine per axis: centre = a·unit + b.
	centre := func(uy, ux int) (float64, float64, error) {
		r, err := c.Trace(name, uy, ux, depth, SpaceImage, trace.Options{})
		if err != nil {
			return 0, 0, err
		}
		return r.Unit.Y, r.Unit.X, nil
	}
	oy, ox, err := centre(0, 0)
	if err != nil {
		return 0, 0, err
	}
	ey, ex, err := centre(min(1, l.Out[1]-1), min(1, l.Out[2]-1))
	if err != nil {
		return 0, 0, err
	}
	if ey != oy {
		uy = int(math.Round((py - oy) / (ey - oy)))
	}
	if ex != ox {
		ux = int(math.Round((px - ox) / (ex - ox)))
	}
	return min(max(uy, 0), l.Out[1]-1), min(max(ux, 0), l.Out[2]-1), nil
}

// ParseGroup reads an offset group as dcn's --group and the Offsets view
// give it: a group number from 0, or "all" for trace.AllGroups.
func ParseGroup(s string) (int, error) {
	if s == "all" {
		return trace.AllGroups, nil
	}
	g, err := strconv.Atoi(s)
	if err != nil || g < 0 {
		return 0, fmt.Errorf("group %q: want all or a group number from 0", clip(s))
	}
	return g, nil
}

// GroupText names an offset group for a title: " (group 2)", or " (all
// groups)" for trace.AllGroups.
func GroupText(group int) string {
	if group == trace.AllGroups {
		return " (all groups)"
	}
	return fmt.Sprintf(" (group %d)", group)
}

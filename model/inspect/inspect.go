// Package inspect prepares what the Offsets pictures look at: an image file
// read safely, turned into a network's input with a run's normalisation,
// a test image of a run's data set, and the sampling fields a forward pass
// records. It also runs a run's nets to measure their effective dilation
// (MeasureDilation, MeasureUnit) with model/dilation's arithmetic.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for Offsets inputs
	_ "image/png"
	"math"
	"slices"
	"strconv"

	"github.com/disintegration/imaging"

	"github.com/deformscope/deformscope/internal/imagemem"
	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/trace"
)

// MaxImagePixels caps the size of an image opened for inspection; its
// header is read before any pixel is decoded.
const MaxImagePixels = 40 << 20

// ReadImage decodes a JPEG or PNG file, refusing one whose header
// declares more than MaxImagePixels before decoding it.
func ReadImage(path string) (image.Image, error) {
	f, err := safeopen.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a JPEG or PNG image: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, fmt.Errorf("%s: %s image of %d×%d pixels (at most %d pixels)", path, format, cfg.Width, cfg.Height, MaxImagePixels)
	}
	if b := imagemem.Bytes(cfg); b > imagemem.MaxBytes {
		return nil, fmt.Errorf("%s: %s image of %d×%d pixels would take %d MiB decoded (at most %d MiB)",
			path, format, cfg.Width, cfg.Height, b>>20, imagemem.MaxBytes>>20)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Input is an image prepared for a network: the tensor it takes (batch 1)
// and the picture as the network sees it, for drawing.
type Input struct {
	X       *nn.Tensor[float32]
	Picture image.Image
}

// PrepareImage turns an image into the input of the nets of a run with settings rc: for MNIST, a
// grey image resized to 28×28 (or kept at its size when whole is set; the
// nets are fully convolutional up to their pooling head), normalised as
// the training data. MNIST digits are light on dark: invert a dark-on-light
// picture before.
func PrepareImage(rc experiment.RunConfig, img image.Image, whole bool) (*Input, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, errors.New("inspect: empty image")
	}
	if rc.Data == "coco" {
		return prepareRGB(rc, img, whole)
	}
	g := imaging.Grayscale(img)
	if !whole {
		g = imaging.Resize(g, 28, 28, imaging.Linear)
	}
	b := g.Bounds()
	h, w := b.Dy(), b.Dx()
	pix := make([]uint8, h*w)
	for y := range h {
		for x := range w {
			pix[y*w+x] = g.NRGBAAt(b.Min.X+x, b.Min.Y+y).R
		}
	}
	return mnistInput(pix, h, w)
}

func mnistInput(pix []uint8, h, w int) (*Input, error) {
	s, err := data.NewSet("image", pix, []uint8{0}, 1, 1, h, w, []float32{data.MNISTMean}, []float32{data.MNISTStd})
	if err != nil {
		return nil, err
	}
	x := nn.New[float32](1, 1, h, w)
	y := []int{0}
	s.Batch([]int{0}, x.Data(), y)
	pic := image.NewGray(image.Rect(0, 0, w, h))
	copy(pic.Pix, pix)
	return &Input{X: x, Picture: pic}, nil
}

// MaxWholeSide is the longer side a whole COCO image is scaled down to
// (when larger) before the fully convolutional part of a net runs on it.
const MaxWholeSide = 640

// prepareRGB makes a COCO net's input: the picture resized to the crop
// size (or, whole, kept up to MaxWholeSide), normalised as the run's crops.
func prepareRGB(rc experiment.RunConfig, img image.Image, whole bool) (*Input, error) {
	c := rc.COCO
	var rgb *image.NRGBA
	switch b := img.Bounds(); {
	case !whole:
		rgb = imaging.Resize(img, c.Size, c.Size, imaging.Linear)
	case max(b.Dx(), b.Dy()) > MaxWholeSide:
		rgb = imaging.Fit(img, MaxWholeSide, MaxWholeSide, imaging.Linear)
	default:
		rgb = imaging.Clone(img)
	}
	b := rgb.Bounds()
	h, w := b.Dy(), b.Dx()
	pix := make([]uint8, 3*h*w)
	for y := range h {
		for x := range w {
			px := rgb.NRGBAAt(b.Min.X+x, b.Min.Y+y)
			pix[y*w+x], pix[h*w+y*w+x], pix[2*h*w+y*w+x] = px.R, px.G, px.B
		}
	}
	mean, std, err := cocoNorm(rc)
	if err != nil {
		return nil, err
	}
	return rgbInput(pix, h, w, mean, std)
}

// cocoNorm returns the normalisation of the run's crops.
func cocoNorm(rc experiment.RunConfig) (mean, std []float32, err error) {
	if rc.COCO.Norm != "dataset" {
		return cropset.ImageNetMean, cropset.ImageNetStd, nil
	}
	d, err := experiment.LoadData(rc)
	if err != nil {
		return nil, nil, err
	}
	mean, std = d.Train.Norm()
	return mean, std, nil
}

func rgbInput(pix []uint8, h, w int, mean, std []float32) (*Input, error) {
	s, err := data.NewSet("image", pix, []uint8{0}, 1, 3, h, w, mean, std)
	if err != nil {
		return nil, err
	}
	x := nn.New[float32](1, 3, h, w)
	s.Batch([]int{0}, x.Data(), []int{0})
	pic := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range h * w {
		pic.Pix[4*i], pic.Pix[4*i+1], pic.Pix[4*i+2], pic.Pix[4*i+3] = pix[i], pix[h*w+i], pix[2*h*w+i], 255
	}
	return &Input{X: x, Picture: pic}, nil
}

// TestImage returns test image i of the data set of a run with settings rc, prepared, and its
// label. It loads the data set; callers that look at many test images load
// it once with LoadData and call TestInput.
func TestImage(rc experiment.RunConfig, i int) (*Input, int, error) {
	rc.Limit, rc.Val, rc.Scales, rc.TestLimit = 1, 0, nil, 0
	d, err := experiment.LoadData(rc)
	if err != nil {
		return nil, 0, err
	}
	in, err := TestInput(d.Test, i)
	if err != nil {
		return nil, 0, err
	}
	return in, int(d.Test.Y[i]), nil
}

// TestInput prepares sample i of an already loaded test set (MNIST digits
// or COCO crops) with the set's own normalisation.
func TestInput(test *data.Set, i int) (*Input, error) {
	if test == nil || i < 0 || i >= test.N {
		return nil, fmt.Errorf("inspect: test image %d does not exist (0..%d)", i, setN(test)-1)
	}
	if test.C == 3 {
		mean, std := test.Norm()
		return rgbInput(slices.Clone(test.Pixels(i)), test.H, test.W, mean, std)
	}
	return mnistInput(test.Pixels(i), test.H, test.W)
}

func setN(s *data.Set) int {
	if s == nil {
		return 0
	}
	return s.N
}

// Sampling runs net on in and returns each deformable layer's sampling
// field and the class the net predicts.
func Sampling(ctx context.Context, net *model.Net[float32], in *Input) (map[string]*metrics.Field, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	out, err := net.Infer(in.X)
	if err != nil {
		return nil, 0, err
	}
	return trace.Fields(net.Layers, 0), nn.Argmax(out.Data()), nil
}

// ClassName names class i by classes when it has a name there, else by its
// number; "" for a negative (unknown) class.
func ClassName(classes []string, i int) string {
	switch {
	case i < 0:
		return ""
	case i < len(classes):
		return classes[i]
	}
	return strconv.Itoa(i)
}

// TestLabel names test sample i, whose label is y, as the app and dcn title it:
// "test image 3 (label 5)" for MNIST's digits, "test crop 3 (cat)" for a
// COCO crop whose class has a name.
func TestLabel(coco bool, i, y int, classes []string) string {
	if coco && y >= 0 && y < len(classes) {
		return fmt.Sprintf("test crop %d (%s)", i, classes[y])
	}
	return fmt.Sprintf("test image %d (label %d)", i, y)
}

// ScaleDigit scales an MNIST input's digit by sc about the image's centre
// as Scaled-MNIST does (data.ScaleImage: bilinear, black fill) and
// prepares it for rc's nets as PrepareImage does a whole image. `dcn
// replay --sweep` and `dcn figure` scale their digit with it.
func ScaleDigit(rc experiment.RunConfig, in *Input, sc float64) (*Input, error) {
	raw, ok := in.Picture.(*image.Gray)
	if !ok {
		return nil, fmt.Errorf("inspect: scaling needs an MNIST digit")
	}
	h, w := raw.Rect.Dy(), raw.Rect.Dx()
	src := make([]float32, len(raw.Pix))
	for i, p := range raw.Pix {
		src[i] = float32(p)
	}
	dst := make([]float32, len(src))
	data.ScaleImage(dst, src, h, w, sc)
	g := image.NewGray(raw.Rect)
	for i, v := range dst {
		g.Pix[i] = uint8(min(max(math.Round(float64(v)), 0), 255))
	}
	return PrepareImage(rc, g, true)
}

package train

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for Offsets inputs
	_ "image/png"
	"os"

	"github.com/disintegration/imaging"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/trace"
)

// MaxImagePixels caps the size of an image opened for inspection; its
// header is read before any pixel is decoded.
const MaxImagePixels = 40 << 20

// LoadModel builds model name of the run and loads its checkpoint after
// epoch (0: the last complete epoch). It returns the epoch loaded.
func (r *Run) LoadModel(name string, epoch int) (*model.Net[float32], int, error) {
	net, err := NewNet(r.Config, name)
	if err != nil {
		return nil, 0, err
	}
	last, path := r.LatestCheckpoint(name)
	if path == "" {
		return nil, 0, fmt.Errorf("train: %s has no complete epoch of %s", r.Dir, name)
	}
	if epoch == 0 {
		epoch = last
	}
	path = r.CheckpointPath(name, epoch)
	if epoch < 1 || epoch > last || !fileExists(path) {
		return nil, 0, fmt.Errorf("train: %s has no checkpoint of %s after epoch %d (epochs 1..%d)", r.Dir, name, epoch, last)
	}
	if _, err := loadCheckpoint(path, net, nil, ""); err != nil {
		return nil, 0, err
	}
	return net, epoch, nil
}

// ReadImage decodes a JPEG or PNG file, refusing one whose header
// declares more than MaxImagePixels before decoding it.
func ReadImage(path string) (image.Image, error) {
	f, err := os.Open(path)
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

// PrepareImage turns an image into the input of run's nets: for MNIST, a
// grey image resized to 28×28 (or kept at its size when whole is set; the
// nets are fully convolutional up to their pooling head), normalised as
// the training data. MNIST digits are light on dark: invert a dark-on-light
// picture before.
func (r *Run) PrepareImage(img image.Image, whole bool) (*Input, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, errors.New("train: empty image")
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

// TestImage returns test image i of the run's data set, prepared.
func (r *Run) TestImage(i int) (*Input, int, error) {
	rc := r.Config
	rc.Limit, rc.Val, rc.Scales, rc.TestLimit = 1, 0, nil, 0
	d, err := LoadData(rc)
	if err != nil {
		return nil, 0, err
	}
	if i < 0 || i >= d.Test.N {
		return nil, 0, fmt.Errorf("train: test image %d does not exist (0..%d)", i, d.Test.N-1)
	}
	in, err := mnistInput(d.Test.Pixels(i), d.Test.H, d.Test.W)
	return in, int(d.Test.Y[i]), err
}

// Sampling runs net on in and returns each deformable layer's sampling
// field and the class the net predicts.
func Sampling(ctx context.Context, net *model.Net[float32], in *Input) (map[string]*trace.Field, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	out, err := net.Forward(in.X, false)
	if err != nil {
		return nil, 0, err
	}
	return trace.Fields(net.Layers, 0), nn.Argmax(out.Data()), nil
}

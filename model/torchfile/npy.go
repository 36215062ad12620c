package torchfile

import (
	"fmt"
	"strings"

	"github.com/deformscope/deformscope/internal/npy"
	"github.com/deformscope/deformscope/model/metrics"
)

// WriteFieldNpy writes a deformable layer's sampling field on one image
// as .npy files that numpy.load opens: the offsets to path, and the mask,
// when the layer has one, to MaskPath(path). Both are float32 in
// torchvision's layout for a batch of one image: the offsets
// 1×2·G·kh·kw×Ho×Wo (dy before dx for each tap), the mask 1×G·kh·kw×Ho×Wo,
// so that torch.from_numpy gives the tensors deform_conv2d takes. float32
// loses nothing: the engine and PyTorch compute the fields in float32. It
// returns the files written. Each is written atomically; a field that
// does not hold together writes nothing, and a mask that fails to write
// leaves the offsets written, which the error names.
func WriteFieldNpy(path string, f *metrics.Field) ([]string, error) {
	if !strings.HasSuffix(path, ".npy") {
		return nil, fmt.Errorf("torchfile: %s: a .npy file's name ends in .npy", path)
	}
	if f == nil || f.Ho < 1 || f.Wo < 1 {
		return nil, fmt.Errorf("torchfile: %s: no sampling field to write", path)
	}
	plane := f.Ho * f.Wo
	if len(f.Offset) == 0 || len(f.Offset)%(2*plane) != 0 {
		return nil, fmt.Errorf("torchfile: %s: %d offsets do not make 2·K planes of %d×%d", path, len(f.Offset), f.Ho, f.Wo)
	}
	k := len(f.Offset) / (2 * plane) // G·kh·kw
	if f.Mask != nil && len(f.Mask) != k*plane {
		return nil, fmt.Errorf("torchfile: %s: %d mask values for %d taps of %d×%d", path, len(f.Mask), k, f.Ho, f.Wo)
	}
	if err := npy.WriteFile(path, toF32(f.Offset), 1, 2*k, f.Ho, f.Wo); err != nil {
		return nil, err
	}
	files := []string{path}
	if f.Mask != nil {
		mask := MaskPath(path)
		if err := npy.WriteFile(mask, toF32(f.Mask), 1, k, f.Ho, f.Wo); err != nil {
			return files, fmt.Errorf("%w (the offsets are in %s)", err, path)
		}
		files = append(files, mask)
	}
	return files, nil
}

// MaskPath is where WriteFieldNpy puts the mask of offsets written to
// path: x.npy gives x_mask.npy.
func MaskPath(path string) string {
	return strings.TrimSuffix(path, ".npy") + "_mask.npy"
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// Package torchfile is Deformscope's bridge to PyTorch: it reads state
// dicts written by torch.save (.pt/.pth) or as safetensors, maps their keys
// onto our networks, writes a run's weights back out as a PyTorch package
// (model.py, safetensors weights, README), and reads capture files written by
// deformscope_capture.py from any PyTorch model's deformable layers.
//
// Pickles are read by a bounded pickle machine of our own (pickle.go) that
// can only rebuild tensors and dictionaries: any other class or callable a
// file names is refused before anything else happens, as torch.load's
// weights_only mode does. Lengths are checked against what remains before
// anything is allocated, nesting and counts are capped, nothing recurses over
// the values read, and every record's zip CRC is checked.
package torchfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/ckpt"
)

// Tensor is one named array of a state dict, in row-major order, converted to
// float32 whatever its dtype in the file.
type Tensor struct {
	Name  string
	Shape []int
	// Data holds the values, row-major. Keys of a .pt file that name the same view of one storage
	// (tied weights) share one Data: treat it as read-only.
	Data []float32
	// DType is the element type in the file ("F32", "F16", "I64", ...).
	DType string
}

// StateDict is a model's parameters by name, in the order of the file.
type StateDict struct {
	// Path is the file it was read from.
	Path    string
	Tensors []Tensor
}

// Lookup returns the tensor called name.
func (s *StateDict) Lookup(name string) (*Tensor, bool) {
	for i := range s.Tensors {
		if s.Tensors[i].Name == name {
			return &s.Tensors[i], true
		}
	}
	return nil, false
}

// Names returns the tensor names in file order.
func (s *StateDict) Names() []string {
	out := make([]string, len(s.Tensors))
	for i, t := range s.Tensors {
		out[i] = t.Name
	}
	return out
}

// MaxFileSize bounds the files Read accepts (4 GiB): a state dict bigger
// than that is not one of our nets.
const MaxFileSize = 4 << 30

// ErrFormat marks a file that is neither a torch.save zip archive nor
// safetensors.
var ErrFormat = errors.New("not a PyTorch state dict (want a torch.save .pt/.pth file or safetensors)")

// Read reads a state dict from a torch.save file (a zip archive, as
// torch.save writes since PyTorch 1.6) or a safetensors file, telling them
// apart by their first bytes. A checkpoint saved as {"state_dict": ...} or
// {"model": ...} is unwrapped, and the "module." prefix that
// DistributedDataParallel adds to every key is removed.
func Read(path string) (*StateDict, error) {
	f, size, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decode(f, size, path)
}

// open opens the regular file at path for Read or ReadCapture and returns
// its size, refusing a file above MaxFileSize.
func open(path string) (*os.File, int64, error) {
	f, err := safeopen.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("torchfile: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("torchfile: %w", err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("torchfile: %s: not a regular file", path)
	}
	if info.Size() > MaxFileSize {
		f.Close()
		return nil, 0, fmt.Errorf("torchfile: %s: %d bytes, above the limit of %d", path, info.Size(), int64(MaxFileSize))
	}
	return f, info.Size(), nil
}

// Parse reads a state dict held in data, as Read does; name is the file name
// its errors give.
func Parse(data []byte, name string) (*StateDict, error) {
	return decode(bytes.NewReader(data), int64(len(data)), name)
}

func decode(r io.ReaderAt, size int64, name string) (*StateDict, error) {
	var head [8]byte
	n, _ := r.ReadAt(head[:], 0)
	var sd *StateDict
	var err error
	switch {
	case n >= 4 && string(head[:4]) == "PK\x03\x04":
		sd, err = readPT(r, size)
	case n >= 2 && head[0] == 0x80:
		err = errors.New("a legacy (pre-1.6, non-zip) torch.save file; load it in PyTorch and save it again with torch.save, or as safetensors")
	case n == 8:
		sd, _, err = readSafetensors(r, size)
		if err != nil && !errors.Is(err, ckpt.ErrNotSafetensors) {
			break
		}
		if err != nil {
			err = ErrFormat
		}
	default:
		err = ErrFormat
	}
	if err != nil {
		return nil, fmt.Errorf("torchfile: %s: %w", name, err)
	}
	sd.Path = name
	if err := sd.normalise(); err != nil {
		return nil, fmt.Errorf("torchfile: %s: %w", name, err)
	}
	return sd, nil
}

// normalise strips DistributedDataParallel's "module." prefix when every key
// has it, and refuses duplicate names.
func (s *StateDict) normalise() error {
	if len(s.Tensors) == 0 {
		return errors.New("the state dict holds no tensors")
	}
	all := true
	for _, t := range s.Tensors {
		all = all && strings.HasPrefix(t.Name, "module.")
	}
	if all {
		for i := range s.Tensors {
			s.Tensors[i].Name = strings.TrimPrefix(s.Tensors[i].Name, "module.")
		}
	}
	names := s.Names()
	slices.Sort(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			return fmt.Errorf("key %s appears twice", quote(names[i]))
		}
	}
	return nil
}

// numElements returns the product of shape, refusing negative dimensions
// and counts above limit.
func numElements(shape []int, limit int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %s", shapeStr(shape))
		}
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("shape %s holds more than %d values", shapeStr(shape), limit)
		}
		n *= d
	}
	return n, nil
}

// readSafetensors reads a safetensors file of any provenance (ours, the
// safetensors package's, deformscope_capture.py's) with ckpt's reader in its
// permissive mode, and returns it with the header's __metadata__ map.
func readSafetensors(r io.ReaderAt, size int64) (*StateDict, map[string]string, error) {
	st, err := ckpt.ReadSafetensors(r, size)
	if err != nil {
		return nil, nil, err
	}
	sd := &StateDict{Tensors: make([]Tensor, len(st.Tensors))}
	for i, t := range st.Tensors {
		sd.Tensors[i] = Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data, DType: st.DTypes[i]}
	}
	return sd, st.Meta, nil
}

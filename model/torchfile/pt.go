package torchfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"path"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// maxPickle bounds data.pkl, the pickled structure of a torch.save archive
// (the tensors' data lie beside it): a state dict's is a few KB per tensor.
const maxPickle = 64 << 20

// ErrForbidden marks a pickle that names a class or function outside the
// few that rebuild tensors and dictionaries.
var ErrForbidden = errors.New("pickle names a forbidden callable")

// findClass is the unpickler's only way to reach a class or function: it
// answers the tensor rebuilder and the storage types, and refuses everything
// else. (gopickle itself answers collections.OrderedDict, which holds data
// only.)
func findClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return &pytorch.RebuildTensorV2{}, nil
	case "torch.FloatStorage":
		return &pytorch.FloatStorageClass{}, nil
	case "torch.DoubleStorage":
		return &pytorch.DoubleStorageClass{}, nil
	case "torch.HalfStorage":
		return &pytorch.HalfStorageClass{}, nil
	case "torch.BFloat16Storage":
		return &pytorch.BFloat16StorageClass{}, nil
	case "torch.LongStorage":
		return &pytorch.LongStorageClass{}, nil
	case "torch.IntStorage":
		return &pytorch.IntStorageClass{}, nil
	case "torch.ShortStorage":
		return &pytorch.ShortStorageClass{}, nil
	case "torch.CharStorage":
		return &pytorch.CharStorageClass{}, nil
	case "torch.ByteStorage":
		return &pytorch.ByteStorageClass{}, nil
	}
	return nil, fmt.Errorf("%w: %s.%s (only tensors and dictionaries may be rebuilt)", ErrForbidden, module, name)
}

// storageWidth names a storage class the unpickler made and gives its
// element width in bytes.
func storageWidth(c pytorch.StorageClassInterface) (string, int) {
	switch c.(type) {
	case *pytorch.FloatStorageClass:
		return "FloatStorage", 4
	case *pytorch.DoubleStorageClass:
		return "DoubleStorage", 8
	case *pytorch.HalfStorageClass:
		return "HalfStorage", 2
	case *pytorch.BFloat16StorageClass:
		return "BFloat16Storage", 2
	case *pytorch.LongStorageClass:
		return "LongStorage", 8
	case *pytorch.IntStorageClass:
		return "IntStorage", 4
	case *pytorch.ShortStorageClass:
		return "ShortStorage", 2
	case *pytorch.CharStorageClass:
		return "CharStorage", 1
	case *pytorch.ByteStorageClass:
		return "ByteStorage", 1
	}
	return fmt.Sprintf("%T", c), 0
}

// readPT reads a torch.save zip archive.
func readPT(r io.ReaderAt, size int64) (sd *StateDict, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("torch.save archive: %w (truncated file?)", err)
	}
	records := map[string]*zip.File{}
	var pkl *zip.File
	for _, f := range zr.File {
		records[f.Name] = f
		if path.Base(f.Name) == "data.pkl" && pkl == nil {
			pkl = f
		}
		if path.Base(f.Name) == "constants.pkl" {
			return nil, errors.New("a TorchScript archive, not a state dict; save model.state_dict() with torch.save")
		}
	}
	if pkl == nil {
		return nil, errors.New("torch.save archive without data.pkl")
	}
	if pkl.UncompressedSize64 > maxPickle {
		return nil, fmt.Errorf("data.pkl is %d bytes, above the limit of %d", pkl.UncompressedSize64, maxPickle)
	}
	dir := path.Dir(pkl.Name)
	rc, err := pkl.Open()
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	defer rc.Close()

	storages := map[string]pytorch.StorageInterface{}
	u := pickle.NewUnpickler(io.LimitReader(rc, maxPickle))
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() < 5 {
			return nil, fmt.Errorf("data.pkl: persistent id %v is not a storage reference", id)
		}
		kind, _ := t.Get(0).(string)
		class, classOK := t.Get(1).(pytorch.StorageClassInterface)
		key, keyOK := t.Get(2).(string)
		n, nOK := t.Get(4).(int)
		if kind != "storage" || !classOK || !keyOK || !nOK || n < 0 {
			return nil, fmt.Errorf("data.pkl: persistent id %v is not a storage reference", id)
		}
		if s, ok := storages[key]; ok {
			return s, nil
		}
		cname, width := storageWidth(class)
		f, ok := records[path.Join(dir, "data", key)]
		if !ok {
			return nil, fmt.Errorf("storage %q is missing from the archive (truncated file?)", key)
		}
		// Check the claimed size against the record before allocating.
		if width == 0 || uint64(n) > math.MaxInt32 || uint64(n)*uint64(width) != f.UncompressedSize64 {
			return nil, fmt.Errorf("storage %q: %d %s values do not fill its %d-byte record", key, n, cname, f.UncompressedSize64)
		}
		// A compressed record may claim more than the file holds.
		if f.UncompressedSize64 > MaxFileSize {
			return nil, fmt.Errorf("storage %q: %d bytes, above the limit of %d", key, f.UncompressedSize64, int64(MaxFileSize))
		}
		s := class.New(n, "cpu")
		sr, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("storage %q: %w", key, err)
		}
		defer sr.Close()
		if err := s.SetFromFileWithSize(sr, n); err != nil {
			return nil, fmt.Errorf("storage %q: %w (truncated file?)", key, err)
		}
		storages[key] = s
		return s, nil
	}
	obj, err := unpickle(&u)
	if err != nil {
		return nil, err
	}
	return stateDict(obj)
}

// unpickle runs the unpickler, turning a panic inside gopickle on a damaged
// stream into an error.
func unpickle(u *pickle.Unpickler) (obj any, err error) {
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("data.pkl: damaged pickle (%v)", p)
		}
	}()
	obj, err = u.Load()
	if err != nil {
		if errors.Is(err, ErrForbidden) {
			return nil, err
		}
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	return obj, nil
}

// entries lists a pickled dict's items in order.
func entries(obj any) ([][2]any, bool) {
	var out [][2]any
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			it := e.Value.(*types.OrderedDictEntry)
			out = append(out, [2]any{it.Key, it.Value})
		}
	case *types.Dict:
		for _, it := range *d {
			out = append(out, [2]any{it.Key, it.Value})
		}
	default:
		return nil, false
	}
	return out, true
}

// stateDict turns the unpickled object into a state dict, unwrapping a
// checkpoint dict that keeps it under "state_dict" or "model".
func stateDict(obj any) (*StateDict, error) {
	items, ok := entries(obj)
	if !ok {
		return nil, fmt.Errorf("the file holds a %T, not a state dict", obj)
	}
	for _, it := range items {
		if k, _ := it[0].(string); k == "state_dict" || k == "model" {
			if _, ok := entries(it[1]); ok {
				return stateDict(it[1])
			}
		}
	}
	sd := &StateDict{}
	for _, it := range items {
		name, ok := it[0].(string)
		if !ok {
			return nil, fmt.Errorf("key %v is not a string", it[0])
		}
		t, ok := it[1].(*pytorch.Tensor)
		if !ok {
			return nil, fmt.Errorf("key %q holds a %T, not a tensor", name, it[1])
		}
		data, dtype, err := tensorData(t)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		sd.Tensors = append(sd.Tensors, Tensor{Name: name, Shape: t.Size, Data: data, DType: dtype})
	}
	return sd, nil
}

// tensorData copies a (possibly strided) tensor view out of its storage as
// float32, checking that every element lies inside the storage.
func tensorData(t *pytorch.Tensor) ([]float32, string, error) {
	var get func(i int) float64
	var n int
	var dtype string
	switch s := t.Source.(type) {
	case *pytorch.FloatStorage:
		n, dtype, get = len(s.Data), "F32", func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.DoubleStorage:
		n, dtype, get = len(s.Data), "F64", func(i int) float64 { return s.Data[i] }
	case *pytorch.HalfStorage:
		n, dtype, get = len(s.Data), "F16", func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.BFloat16Storage:
		n, dtype, get = len(s.Data), "BF16", func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.LongStorage:
		n, dtype, get = len(s.Data), "I64", func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.IntStorage:
		n, dtype, get = len(s.Data), "I32", func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.ShortStorage:
		n, dtype, get = len(s.Data), "I16", func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.CharStorage:
		n, dtype, get = len(s.Data), "I8", func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.ByteStorage:
		n, dtype, get = len(s.Data), "U8", func(i int) float64 { return float64(s.Data[i]) }
	default:
		return nil, "", fmt.Errorf("storage of type %T", t.Source)
	}
	if len(t.Stride) != len(t.Size) {
		return nil, "", fmt.Errorf("size %v and stride %v differ in rank", t.Size, t.Stride)
	}
	count, err := numElements(t.Size, n)
	if err != nil {
		return nil, "", err
	}
	// The last element's position bounds every other one.
	last := t.StorageOffset
	for i, d := range t.Size {
		if t.Stride[i] < 0 {
			return nil, "", fmt.Errorf("negative stride %v", t.Stride)
		}
		if d > 0 {
			last += (d - 1) * t.Stride[i]
		}
	}
	if t.StorageOffset < 0 || (count > 0 && last >= n) {
		return nil, "", fmt.Errorf("view (offset %d, size %v, stride %v) runs past its storage of %d values", t.StorageOffset, t.Size, t.Stride, n)
	}
	out := make([]float32, count)
	idx := make([]int, len(t.Size))
	for k := range out {
		pos := t.StorageOffset
		for i, j := range idx {
			pos += j * t.Stride[i]
		}
		v := float32(get(pos))
		if v-v != 0 {
			return nil, "", fmt.Errorf("holds %v at index %d", v, k)
		}
		out[k] = v
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < t.Size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, dtype, nil
}

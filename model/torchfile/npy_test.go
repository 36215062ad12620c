package torchfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/internal/npy"
	"github.com/deformscope/deformscope/model/metrics"
)

func TestWriteFieldNpy(t *testing.T) {
	// Two offset groups of a 3×1 kernel on a 2×2 map: K = 6 taps.
	const ho, wo, k = 2, 2, 6
	off := make([]float64, 2*k*ho*wo)
	for i := range off {
		off[i] = float64(i)/4 - 3 // exact in float32
	}
	mask := make([]float64, k*ho*wo)
	for i := range mask {
		mask[i] = float64(i) / 32
	}
	cases := []struct {
		name  string
		field *metrics.Field
	}{
		{"with a mask", &metrics.Field{Offset: off, Mask: mask, Ho: ho, Wo: wo, Groups: 2}},
		{"DCNv1, no mask", &metrics.Field{Offset: off, Ho: ho, Wo: wo, Groups: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "conv3.npy")
			files, err := WriteFieldNpy(path, c.field)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{path}
			if c.field.Mask != nil {
				want = append(want, filepath.Join(filepath.Dir(path), "conv3_mask.npy"))
			}
			if !slices.Equal(files, want) {
				t.Fatalf("wrote %v, want %v", files, want)
			}
			check := func(file string, shape []int, v []float64) {
				a, err := npy.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(a.Shape, shape) || !reflect.DeepEqual(a.Data, toF32(v)) {
					t.Errorf("%s holds %v %v, want float32 %v %v", file, a.Shape, a.Data, shape, v)
				}
			}
			check(path, []int{1, 2 * k, ho, wo}, off)
			if c.field.Mask != nil {
				check(files[1], []int{1, k, ho, wo}, mask)
			} else if _, err := os.Stat(MaskPath(path)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a field without a mask left %s (%v)", MaskPath(path), err)
			}
		})
	}
}

func TestWriteFieldNpyRefuses(t *testing.T) {
	good := &metrics.Field{Offset: make([]float64, 18*4), Mask: make([]float64, 9*4), Ho: 2, Wo: 2, Groups: 1}
	cases := []struct {
		name, file string
		field      *metrics.Field
		wantErr    string
	}{
		{"not .npy", "x.csv", good, "ends in .npy"},
		{"no field", "x.npy", nil, "no sampling field"},
		{"empty map", "x.npy", &metrics.Field{Offset: []float64{1}, Ho: 0, Wo: 2}, "no sampling field"},
		{"odd offsets", "x.npy", &metrics.Field{Offset: make([]float64, 9*4), Ho: 2, Wo: 2}, "36 offsets do not make 2·K planes"},
		{"short mask", "x.npy", &metrics.Field{Offset: good.Offset, Mask: make([]float64, 8*4), Ho: 2, Wo: 2}, "32 mask values for 9 taps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, c.file)
			_, err := WriteFieldNpy(path, c.field)
			if err == nil || !strings.HasPrefix(err.Error(), "torchfile: "+path+": ") || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("got %v, want an error naming %s and saying %q", err, path, c.wantErr)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("a refused field left %v", left)
			}
		})
	}
}

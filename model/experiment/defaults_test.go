package experiment

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deformscope/deformscope/model/train"
)

// offsetFloor is viz.OffsetFloor (model does not import viz): the largest
// |Δp| under which the views say nothing was learned.
const offsetFloor = 0.05

// TestCOCODefaultsMoveTheOffsets trains the COCO defaults' deformable net
// (the middle placement, COCOTrain) on coco128 for half its epochs and
// checks that the last deformable layer's mean |Δp| over the test crops is
// well above the floor: the defaults learn offsets that a person can see.
// (The full run, its time and the course study's protocol beside it are in
// docs/RESULTS.md.)
func TestCOCODefaultsMoveTheOffsets(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for about half a minute")
	}
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "coco128")
	}
	ann, images := filepath.Join(dir, "annotations", "instances_train2017.json"), filepath.Join(dir, "images", "train2017")
	if _, err := os.Stat(ann); err != nil {
		t.Skipf("COCO128 is not available (%v): set DEFORMSCOPE_COCO128 or provide ../shared/coco128", err)
	}
	rc := COCODefaults(ann, images)
	if rc.Train != COCOTrain() || rc.Train.Optimizer != "adam" || rc.Models[1] != "dcnn-middle" {
		t.Fatalf("COCODefaults: %+v", rc)
	}
	rc.Models = []string{"dcnn-middle"}
	rc.Train.Epochs = 6 // epoch 6 of the 12: 0.53 px at conv4 when measured
	rc.COCO.CacheDir = t.TempDir()
	if err := rc.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := LoadData(rc)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNet(rc, "dcnn-middle")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewTrainer("dcnn-middle", net, d.Data, rc.Train)
	if err != nil {
		t.Fatal(err)
	}
	var last map[string]float64
	err = tr.Run(t.Context(), func(e train.Event) {
		if e.Kind != train.KindEpoch {
			return
		}
		last = map[string]float64{}
		for _, o := range e.Epoch.Offsets {
			last[o.Layer] = float64(o.MeanAbs)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := net.DeformBlocks()
	layer := blocks[len(blocks)-1].Name()
	if got := last[layer]; !(got >= 4*offsetFloor) {
		t.Errorf("after %d epochs of the COCO defaults, %s's mean |Δp| is %.3g px; want at least %g (4× the floor %g)",
			rc.Train.Epochs, layer, got, 4*offsetFloor, offsetFloor)
	}
	t.Logf("mean |Δp| after %d epochs: %v", rc.Train.Epochs, last)
}

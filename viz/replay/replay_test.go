package replay

import (
	"context"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// TestScenesRefuses: what a replay cannot draw is refused by name before
// any checkpoint is read. (The GIFs themselves are tested through dcn
// replay and the app's Export GIF…, which write the same bytes.)
func TestScenesRefuses(t *testing.T) {
	run := &rundir.Run{Dir: "runs/x", Config: experiment.SeedProtocol()}
	in := &inspect.Input{}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no frames", Options{Model: "dcnn", Show: viz.ShowPoints}, "no frames"},
		{"a mask replay", Options{Model: "dcnn", Show: viz.ShowMask, Steps: EpochSteps(in, 2)}, "want"},
		{"another model", Options{Model: "resnet", Show: viz.ShowPoints, Steps: EpochSteps(in, 2)}, `no model "resnet"`},
	} {
		if _, err := Scenes(context.Background(), run, tc.o, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if s := EpochSteps(in, 3); len(s) != 3 || s[0].Epoch != 1 || s[2].Epoch != 3 || s[1].In != in {
		t.Errorf("EpochSteps %+v", s)
	}
}

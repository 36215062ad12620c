package inspect

import (
	"context"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
)

// TestReplayRefuses: what a replay cannot run is refused by name before
// any checkpoint is read.
func TestReplayRefuses(t *testing.T) {
	run := &rundir.Run{Dir: "runs/x", Config: experiment.StudyProtocol()}
	in := &Input{}
	for _, tc := range []struct {
		name string
		o    ReplayOptions
		want string
	}{
		{"no frames", ReplayOptions{Model: "dcnn", Points: true}, "no frames"},
		{"another model", ReplayOptions{Model: "resnet", Points: true, Steps: EpochSteps(in, 2)}, `no model "resnet"`},
	} {
		if _, err := Replay(context.Background(), run, tc.o, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if s := EpochSteps(in, 3); len(s) != 3 || s[0].Epoch != 1 || s[2].Epoch != 3 || s[1].In != in {
		t.Errorf("EpochSteps %+v", s)
	}
}

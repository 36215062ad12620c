package runner

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
)

// ImportRun makes a run folder in dir for net, whose weights come from
// elsewhere (a PyTorch state dict, say): rc names the run's data and its one
// model, name; the weights are saved as the checkpoint of epoch 1 with fresh
// optimiser state, so that every command and the app open the run like a
// trained one, and training can go on from it (--resume). The epoch's record
// carries no measurements. A failure leaves no run behind.
func ImportRun(dir string, rc experiment.RunConfig, name string, net *model.Net[float32]) (*rundir.Run, error) {
	if len(rc.Models) != 1 || rc.Models[0] != name {
		return nil, fmt.Errorf("runner: an imported run holds one model, %q, not %v", name, rc.Models)
	}
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	want, err := experiment.NewNet(rc, name)
	if err != nil {
		return nil, err
	}
	if want.Arch != net.Arch {
		return nil, fmt.Errorf("runner: the run's %s is a %s, the imported net a %s", name, want.Arch, net.Arch)
	}
	c, err := train.ImportedCheckpoint(name, net, rc.Train, rc)
	if err != nil {
		return nil, err
	}
	c.Meta["imported"] = rc.Imported
	run, err := rundir.Create(dir, rc)
	if err != nil {
		return nil, err
	}
	nan := metrics.NaN()
	if err = ckpt.Save(run.CheckpointPath(name, 1), c); err == nil {
		err = run.Record(metrics.Epoch{Model: name, Arch: net.Arch, Epoch: 1, LR: rc.Train.LR, TrainLoss: nan, TrainAcc: nan,
			ValLoss: nan, ValAcc: nan, TestLoss: nan, TestAcc: nan, ScaledTestAcc: nan})
	}
	if err != nil {
		// Leave no half-imported run: what this call wrote goes again.
		for _, p := range []string{run.CheckpointPath(name, 1), filepath.Join(dir, rundir.MetricsJSON), filepath.Join(dir, rundir.MetricsCSV)} {
			os.Remove(p)
		}
		run.DiscardIfEmpty()
		return nil, fmt.Errorf("runner: import into %s: %w", dir, err)
	}
	run.Release()
	return run, nil
}

package train

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/optim"
)

// checkpointFormat names the layout of the tensors inside a checkpoint.
const (
	paramPrefix = "param/"
	optPrefix   = "opt/"
)

// Checkpoint captures the trainer's state after its last completed epoch;
// config (the run's settings) is kept in it as JSON, so that a checkpoint
// says how it was made.
func (t *Trainer) Checkpoint(config any) (*ckpt.Checkpoint, error) {
	c := &ckpt.Checkpoint{Meta: map[string]string{}}
	for _, p := range t.Net.Params() {
		c.Tensors = append(c.Tensors, ckpt.Tensor{Name: paramPrefix + p.Name, Shape: slices.Clone(p.Value.Shape()),
			Data: slices.Clone(p.Value.Data())})
	}
	bufs, steps := t.Opt.State()
	for _, k := range slices.Sorted(maps.Keys(bufs)) {
		c.Tensors = append(c.Tensors, ckpt.Tensor{Name: optPrefix + k, Shape: []int{len(bufs[k])}, Data: slices.Clone(bufs[k])})
	}
	cfg, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	rng, _ := json.Marshal(map[string]any{"scheme": "pcg-per-epoch", "seed": t.cfg.Seed, "next_epoch": t.start})
	c.Meta["model"] = t.Name
	c.Meta["arch"] = t.Net.Arch
	c.Meta["epoch"] = strconv.Itoa(t.start)
	c.Meta["optimizer"] = t.cfg.Optimizer
	c.Meta["optimizer_steps"] = strconv.Itoa(steps)
	c.Meta["config"] = string(cfg)
	c.Meta["rng"] = string(rng)
	return c, nil
}

// Restore loads a checkpoint written by Checkpoint into the trainer. It
// refuses a checkpoint of another architecture or optimiser, and one whose
// tensors do not match the network.
func (t *Trainer) Restore(path string) error {
	return t.RestoreChecked(path, nil)
}

// RestoreChecked is Restore with a further check: check (when not nil)
// sees the checkpoint's metadata (model, epoch, config, ...) and can refuse
// it before anything is changed.
func (t *Trainer) RestoreChecked(path string, check func(meta map[string]string) error) error {
	epoch, err := loadCheckpoint(path, t.Net, t.Opt, t.cfg.Optimizer, check)
	if err != nil {
		return err
	}
	t.start = epoch
	return nil
}

// loadCheckpoint checks the checkpoint at path against net (and opt, when
// not nil) and loads it; it returns the checkpoint's epoch. Nothing is
// changed unless every check passes, check's (when not nil) included.
func loadCheckpoint(path string, net *model.Net[float32], opt optim.Optimizer[float32], optimizer string,
	check func(meta map[string]string) error) (int, error) {
	c, err := ckpt.Load(path)
	if err != nil {
		return 0, err
	}
	if a := c.Meta["arch"]; a != net.Arch {
		return 0, fmt.Errorf("train: %s holds a %q network, not %q", path, a, net.Arch)
	}
	epoch, err := strconv.Atoi(c.Meta["epoch"])
	if err != nil || epoch < 0 {
		return 0, fmt.Errorf("train: %s: bad epoch %q", path, c.Meta["epoch"])
	}
	if check != nil {
		if err := check(c.Meta); err != nil {
			return 0, err
		}
	}
	for _, p := range net.Params() {
		ct, ok := c.Lookup(paramPrefix + p.Name)
		if !ok {
			return 0, fmt.Errorf("train: %s lacks parameter %s", path, p.Name)
		}
		if !slices.Equal(ct.Shape, p.Value.Shape()) || ct.Data == nil {
			return 0, fmt.Errorf("train: %s: parameter %s has shape %v (F32 expected), the network's is %v", path, p.Name, ct.Shape, p.Value.Shape())
		}
	}
	if opt != nil {
		if o := c.Meta["optimizer"]; o != optimizer {
			return 0, fmt.Errorf("train: %s holds %q optimiser state, the run uses %q", path, o, optimizer)
		}
		steps, err := strconv.Atoi(c.Meta["optimizer_steps"])
		if err != nil || steps < 0 {
			return 0, fmt.Errorf("train: %s: bad optimizer_steps %q", path, c.Meta["optimizer_steps"])
		}
		bufs := map[string][]float32{}
		for _, ct := range c.Tensors {
			if k, ok := strings.CutPrefix(ct.Name, optPrefix); ok {
				bufs[k] = ct.Data
			}
		}
		if err := opt.SetState(bufs, steps); err != nil {
			return 0, fmt.Errorf("train: %s: %w", path, err)
		}
	}
	for _, p := range net.Params() {
		ct, _ := c.Lookup(paramPrefix + p.Name)
		copy(p.Value.Data(), ct.Data)
	}
	return epoch, nil
}

// LoadWeights checks the checkpoint at path against net and loads its
// weights (not its optimiser state); it returns the checkpoint's epoch.
// Nothing is changed unless every check passes.
func LoadWeights(path string, net *model.Net[float32]) (int, error) {
	return loadCheckpoint(path, net, nil, "", nil)
}

// LoadWeightsChecked is LoadWeights with check, as in RestoreChecked.
func LoadWeightsChecked(path string, net *model.Net[float32], check func(meta map[string]string) error) (int, error) {
	return loadCheckpoint(path, net, nil, "", check)
}

// ImportedCheckpoint returns the checkpoint of net taken as trained for one
// epoch with fresh optimiser state (weights that come from elsewhere, a
// PyTorch state dict say); config is kept in it as Checkpoint keeps it.
func ImportedCheckpoint(name string, net *model.Net[float32], cfg Config, config any) (*ckpt.Checkpoint, error) {
	var err error
	t := &Trainer{Name: name, Net: net, cfg: cfg, start: 1}
	t.Opt, err = optim.New(cfg.Optimizer, net.Params(), cfg.LR, cfg.Momentum, cfg.WeightDecay)
	if err != nil {
		return nil, err
	}
	return t.Checkpoint(config)
}

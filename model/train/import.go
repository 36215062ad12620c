package train

import (
	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/optim"
)

// ImportCheckpoint is the checkpoint of a net whose weights come from
// elsewhere (a PyTorch state dict, say): the weights as they are, as after
// epoch 1, with fresh optimiser state for cfg, so that training can go on
// from it; config is kept in it as Checkpoint keeps it.
func ImportCheckpoint(name string, net *model.Net[float32], cfg Config, config any) (*ckpt.Checkpoint, error) {
	t := &Trainer{Name: name, Net: net, cfg: cfg, start: 1}
	var err error
	switch cfg.Optimizer {
	case "adam":
		t.Opt, err = optim.NewAdam(net.Params(), optim.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay})
	case "sgd":
		t.Opt, err = optim.NewSGD(net.Params(), optim.SGDConfig{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay})
	}
	if err != nil {
		return nil, err
	}
	return t.Checkpoint(config)
}

package viz

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model/metrics"
)

// epochMetric is one metric that EpochSeries plots.
type epochMetric struct {
	key, label string
	get        func(metrics.Epoch) metrics.Num
}

// epochMetrics maps EpochSeries' metric keys to their labels and fields.
var epochMetrics = []epochMetric{
	{"train_loss", "train loss", func(m metrics.Epoch) metrics.Num { return m.TrainLoss }},
	{"val_loss", "val loss", func(m metrics.Epoch) metrics.Num { return m.ValLoss }},
	{"test_loss", "test loss", func(m metrics.Epoch) metrics.Num { return m.TestLoss }},
	{"train_acc", "train acc", func(m metrics.Epoch) metrics.Num { return m.TrainAcc }},
	{"val_acc", "val acc", func(m metrics.Epoch) metrics.Num { return m.ValAcc }},
	{"test_acc", "test acc", func(m metrics.Epoch) metrics.Num { return m.TestAcc }},
	{"scaled_test_acc", "scaled test acc", func(m metrics.Epoch) metrics.Num { return m.ScaledTestAcc }},
}

// EpochMetricKeys returns the metric keys that EpochSeries accepts, in a
// fixed order suitable for a menu.
func EpochMetricKeys() []string {
	keys := make([]string, len(epochMetrics))
	for i, m := range epochMetrics {
		keys[i] = m.key
	}
	return keys
}

// displayName is a model's name in legends: "cnn" reads "CNN".
func displayName(model string) string { return strings.ToUpper(model) }

// EpochSeries builds, from per-epoch records of several models, the series
// for one metric key: one of "train_loss", "val_loss", "test_loss",
// "train_acc", "val_acc", "test_acc", "scaled_test_acc". There is one series
// per model, in the order the models first appear in recs, named like
// "CNN val loss"; X is the epoch number, in increasing order, and a missing
// value is NaN. Training metrics are drawn solid and the others dashed, so
// that train and validation curves can share a figure. When a model has
// several records of one epoch (a resumed run), the last one counts. An
// unknown metric is an error; no records give no series.
func EpochSeries(recs []metrics.Epoch, metric string) ([]Series, error) {
	i := slices.IndexFunc(epochMetrics, func(m epochMetric) bool { return m.key == metric })
	if i < 0 {
		return nil, fmt.Errorf("viz: unknown epoch metric %q (want one of %s)", metric, strings.Join(EpochMetricKeys(), ", "))
	}
	em := epochMetrics[i]
	style := "dashed"
	if strings.HasPrefix(metric, "train_") {
		style = "solid"
	}
	var out []Series
	for _, model := range modelsOf(recs) {
		rs := latestPerEpoch(recs, model)
		s := Series{Name: displayName(model) + " " + em.label, Model: model, Style: style,
			X: make([]float64, len(rs)), Y: make([]float64, len(rs))}
		for j, r := range rs {
			s.X[j], s.Y[j] = float64(r.Epoch), float64(em.get(r))
		}
		out = append(out, s)
	}
	return out, nil
}

// ScaleSeries builds accuracy-against-scale series (for ScaleAccuracy), one
// per model in the order the models first appear in recs, each from that
// model's record with the best scaled_test_acc, or its last epoch if that is
// NaN in every record; it is named like "DCNN (epoch 12)". X is the scale in
// increasing order and Y the accuracy in percent. A model whose chosen record
// holds no per-scale accuracies gives no series.
func ScaleSeries(recs []metrics.Epoch) []Series {
	var out []Series
	for _, model := range modelsOf(recs) {
		rs := latestPerEpoch(recs, model)
		best := len(rs) - 1
		for j, r := range rs {
			v := float64(r.ScaledTestAcc)
			if !math.IsNaN(v) && (math.IsNaN(float64(rs[best].ScaledTestAcc)) || v > float64(rs[best].ScaledTestAcc)) {
				best = j
			}
		}
		r := rs[best]
		if len(r.Scaled) == 0 {
			continue
		}
		sc := slices.Clone(r.Scaled)
		slices.SortStableFunc(sc, func(a, b metrics.ScaleAcc) int { return cmp.Compare(a.Scale, b.Scale) })
		s := Series{Name: fmt.Sprintf("%s (epoch %d)", displayName(model), r.Epoch), Model: model,
			X: make([]float64, len(sc)), Y: make([]float64, len(sc))}
		for j, a := range sc {
			s.X[j], s.Y[j] = a.Scale, float64(a.Acc)
		}
		out = append(out, s)
	}
	return out
}

// StepLossSeries builds the per-step training-loss series of one model from
// its step snapshots: X is the global step, Y the loss, named like
// "CNN train loss".
func StepLossSeries(model string, steps []metrics.Step) Series {
	s := Series{Name: displayName(model) + " train loss", Model: model,
		X: make([]float64, len(steps)), Y: make([]float64, len(steps))}
	for i, st := range steps {
		s.X[i], s.Y[i] = float64(st.Step), st.Loss
	}
	return s
}

// modelsOf returns the model names in recs in order of first appearance.
func modelsOf(recs []metrics.Epoch) []string {
	var models []string
	for _, r := range recs {
		if !slices.Contains(models, r.Model) {
			models = append(models, r.Model)
		}
	}
	return models
}

// latestPerEpoch returns model's records sorted by epoch, keeping the last
// record of each epoch.
func latestPerEpoch(recs []metrics.Epoch, model string) []metrics.Epoch {
	var rs []metrics.Epoch
	for _, r := range recs {
		if r.Model == model {
			rs = append(rs, r)
		}
	}
	slices.SortStableFunc(rs, func(a, b metrics.Epoch) int { return cmp.Compare(a.Epoch, b.Epoch) })
	out := rs[:0]
	for i, r := range rs {
		if i+1 < len(rs) && rs[i+1].Epoch == r.Epoch {
			continue
		}
		out = append(out, r)
	}
	return out
}

package nn

import (
	"fmt"
	"math"
)

// CrossEntropy is the mean softmax cross-entropy of a batch of logits
// (B×classes) against integer targets, and its gradient. It returns an
// error, and no gradient, if a logit or the loss is NaN or infinite.
func CrossEntropy[T Float](logits *Tensor[T], targets []int, grad *Tensor[T]) (loss float64, err error) {
	s := logits.shape
	if len(s) != 2 {
		return 0, fmt.Errorf("nn: loss: logits must be 2-D B×classes, got shape %s", shapeString(s))
	}
	b, k := s[0], s[1]
	if len(targets) != b {
		return 0, fmt.Errorf("nn: loss: %d targets for a batch of %d", len(targets), b)
	}
	if grad != nil && !grad.SameShape(s...) {
		return 0, fmt.Errorf("nn: loss: gradient buffer has shape %s, want %s", shapeString(grad.shape), shapeString(s))
	}
	var total float64
	for i := range b {
		t := targets[i]
		if t < 0 || t >= k {
			return 0, fmt.Errorf("nn: loss: target %d of sample %d is outside 0..%d", t, i, k-1)
		}
		row := logits.data[i*k : (i+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return 0, fmt.Errorf("nn: loss: non-finite logit %v in sample %d", f, i)
			}
			mx = max(mx, f)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - mx)
		}
		lse := mx + math.Log(z)
		total += lse - float64(row[t])
		if grad != nil {
			g := grad.data[i*k : (i+1)*k]
			for j, v := range row {
				g[j] = T(math.Exp(float64(v)-lse) / float64(b))
			}
			g[t] -= T(1 / float64(b))
		}
	}
	loss = total / float64(b)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, fmt.Errorf("nn: loss: non-finite loss %v", loss)
	}
	return loss, nil
}

// Correct counts the rows of logits whose arg-max equals the target
// (first maximum wins ties).
func Correct[T Float](logits *Tensor[T], targets []int) int {
	k := logits.shape[1]
	n := 0
	for i, t := range targets {
		if Argmax(logits.data[i*k:(i+1)*k]) == t {
			n++
		}
	}
	return n
}

// Argmax returns the index of the first largest element.
func Argmax[T Float](v []T) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

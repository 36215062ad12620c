package app

import (
	"testing"
)

// The golden markup of the main views: regenerate with
// `go test ./app -run Markup -update` after a deliberate change, and look at
// the diff.

func TestMarkupIdle(t *testing.T) {
	h := newHarness(t, "/runs")
	h.settle()
	h.capture("idle")
	h.assertMarkup("main_idle.xml")
}

func TestMarkupTraining(t *testing.T) {
	h := newHarness(t, "/runs")
	h.u.apply(sampleSnapshot("/runs/demo"))
	h.settle()
	h.capture("training")
	h.assertMarkup("main_training.xml")

	h.u.tabs.SelectIndex(1)
	h.settle()
	h.capture("results")
	h.assertMarkup("results.xml")
}

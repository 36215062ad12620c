package app

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/viz"
)

// scrollOn scrolls the wheel by dy over the middle of z through the test
// canvas, which finds the scrollable under the pointer as a mouse would (but
// leaves the event's position at the origin).
func scrollOn(h *harness, z *zoomView, dy float32) {
	h.t.Helper()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(z)
	test.Scroll(h.w.Canvas(), pos.Add(fyne.NewPos(z.Size().Width/2, z.Size().Height/2)), 0, dy)
}

// scrollAtMiddle scrolls the wheel by dy with the pointer in the middle of z.
func scrollAtMiddle(z *zoomView, dy float32) {
	z.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(z.Size().Width/2, z.Size().Height/2)},
		Scrolled: fyne.NewDelta(0, dy)})
}

// moreSteps is s with the per-step curves run on to epoch 3, their loss
// rising well above anything drawn before.
func moreSteps(s Snapshot) Snapshot {
	for i := range s.Models {
		m := &s.Models[i]
		m.StepX, m.StepY = append([]float64(nil), m.StepX...), append([]float64(nil), m.StepY...)
		for j := range 150 {
			m.StepX = append(m.StepX, 1.5+float64(j+1)/100)
			m.StepY = append(m.StepY, 5+float64(j)/100)
		}
		m.Step.Step += 150
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }

func TestCurveZoomScrollHoldsAgainstNewData(t *testing.T) {
	h := newHarness(t, "/runs")
	h.u.apply(sampleSnapshot("/runs/demo"))
	h.settle()
	z := h.u.curves.zooms[viz.FigStepLoss]
	before := z.pv.frame
	if !before.ok || before.left <= 0 || before.right >= 1 || before.top <= 0 || before.bottom >= 1 {
		t.Fatalf("frame of the step-loss figure = %+v, want axes and a data area inside the image", before)
	}

	scrollAtMiddle(z, 10)
	k := h.u.rend.request(z.pv)
	if !k.zoom.on || !(k.zoom.x0 > before.x0 && k.zoom.x1 < before.x1 && k.zoom.y0 > before.y0 && k.zoom.y1 < before.y1) {
		t.Fatalf("after scrolling in, the render request's zoom = %+v, want limits inside the data range %+v", k.zoom, before)
	}
	h.settle()
	if f := z.pv.frame; !near(f.x0, k.zoom.x0) || !near(f.x1, k.zoom.x1) || !near(f.y0, k.zoom.y0) || !near(f.y1, k.zoom.y1) {
		t.Fatalf("drawn axes %+v, want the zoom %+v", f, k.zoom)
	}
	if other := h.u.rend.request(viewOf(h.u, viz.FigLoss)); other.zoom.on {
		t.Fatalf("scrolling one figure zoomed another: %+v", other.zoom)
	}

	// New training data: the zoom held the newest point (x 1.5), so it
	// follows the new points, whose loss rises to 6.49, instead of letting
	// them run off the top (issue 24); the rest of the zoom stays put.
	if !k.zoom.follow || k.zoom.after != 1.5 {
		t.Fatalf("a zoom over the newest point (x 1.5) does not follow: %+v", k.zoom)
	}
	h.u.apply(moreSteps(sampleSnapshot("/runs/demo")))
	h.settle()
	if k2 := h.u.rend.request(z.pv); k2.zoom != k.zoom || k2.steps == k.steps {
		t.Fatalf("after new data the request is %+v, want new steps with the zoom %+v kept", k2, k.zoom)
	}
	if f := z.pv.frame; f.y1 < 6.49 || !near(f.y0, k.zoom.y0) || !near(f.x0, k.zoom.x0) || !near(f.x1, k.zoom.x1) {
		t.Fatalf("after new data the zoomed axes are %+v, want %+v with y grown past 6.49", f, k.zoom)
	}

	// Scrolling out widens again; dragging right pans towards lower x.
	scrollOn(h, z, -10)
	out := h.u.rend.request(z.pv).zoom
	if !(out.x1-out.x0 > k.zoom.x1-k.zoom.x0) {
		t.Fatalf("scrolling out gave %+v, want wider than %+v", out, k.zoom)
	}
	z.Dragged(&fyne.DragEvent{Dragged: fyne.NewDelta(30, 0)})
	z.DragEnd()
	if p := h.u.rend.request(z.pv).zoom; !(p.x0 < out.x0 && near(p.x1-p.x0, out.x1-out.x0) && near(p.y0, out.y0)) {
		t.Fatalf("dragging right gave %+v, want %+v moved to lower x", p, out)
	}

	// A double-click follows the data again, now reaching the new losses.
	test.DoubleTap(z)
	if k3 := h.u.rend.request(z.pv); k3.zoom.on {
		t.Fatalf("after a double-click the request still zooms: %+v", k3.zoom)
	}
	h.settle()
	if f := z.pv.frame; f.y1 < 6 || !near(f.x0, 0) || !near(f.x1, 4) {
		t.Fatalf("after reset the axes are %+v, want x 0-4 and y up to the new data (above 6)", f)
	}

	// A zoom away from the newest point (x 3) holds against new data.
	z.set(0.2, 1, 0.5, 2, false)
	held := h.u.rend.request(z.pv).zoom
	if held.follow {
		t.Fatalf("a zoom on x 0.2-1 follows new data: %+v", held)
	}
	h.u.apply(moreSteps(moreSteps(sampleSnapshot("/runs/demo"))))
	h.settle()
	if f := z.pv.frame; !near(f.x0, 0.2) || !near(f.x1, 1) || !near(f.y0, 0.5) || !near(f.y1, 2) {
		t.Fatalf("new data moved a zoom away from them to %+v", f)
	}
}

func TestCurveZoomResetButtonAndLogScale(t *testing.T) {
	h := newHarness(t, "/runs")
	h.u.apply(sampleSnapshot("/runs/demo"))
	h.settle()
	loss, acc := h.u.curves.zooms[viz.FigLoss], h.u.curves.zooms[viz.FigAccuracy]
	loss.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 100)}, Scrolled: fyne.NewDelta(0, 20)})
	acc.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 100)}, Scrolled: fyne.NewDelta(0, 20)})
	if !loss.zoomed() || !acc.zoomed() {
		t.Fatal("scrolling did not zoom the loss and accuracy figures")
	}
	h.settle()

	// The log-scale check resets the loss figure's zoom only.
	h.u.curves.logY.SetChecked(true)
	if loss.zoomed() || h.u.rend.request(loss.pv).zoom.on {
		t.Fatal("toggling the log scale kept the loss figure's zoom")
	}
	if !acc.zoomed() {
		t.Fatal("toggling the log scale reset the accuracy figure's zoom")
	}
	h.settle()
	if !loss.pv.frame.logY || loss.pv.img.Image == nil {
		t.Fatalf("loss figure after the log toggle: frame %+v", loss.pv.frame)
	}
	// Zooming on the log axis works in log space and keeps positive limits.
	loss.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 100)}, Scrolled: fyne.NewDelta(0, 10)})
	zl := h.u.rend.request(loss.pv).zoom
	if !zl.on || !(zl.y0 > 0 && zl.y0 > loss.pv.frame.y0 && zl.y1 < loss.pv.frame.y1) {
		t.Fatalf("log zoom %+v, want positive limits inside %+v", zl, loss.pv.frame)
	}
	h.settle()
	if loss.pv.img.Image == nil {
		t.Fatalf("the zoomed log figure did not draw: %q", loss.pv.msg.Text)
	}

	test.Tap(h.u.curves.resetZoom)
	for _, id := range viz.CurveFigures {
		if h.u.curves.zooms[id].zoomed() || h.u.rend.request(viewOf(h.u, id)).zoom.on {
			t.Fatalf("Reset zoom left %s zoomed", id)
		}
	}
	h.settle()
}

func TestCurveZoomIgnoresFigureWithoutData(t *testing.T) {
	h := newHarness(t, "/runs")
	h.settle()
	z := h.u.curves.zooms[viz.FigStepLoss]
	z.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, 10)})
	z.Dragged(&fyne.DragEvent{Dragged: fyne.NewDelta(5, 5)})
	if z.zoomed() {
		t.Fatal("a figure with no data zoomed")
	}
}

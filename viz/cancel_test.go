package viz

import (
	"context"
	"errors"
	"image"
	"image/color"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// countdownCtx is a context that turns cancelled after its Err has been
// asked left times, and counts the asks after that: a stop at a known
// point inside a write, without timing. Done is nil: the code under test
// polls Err.
type countdownCtx struct {
	mu    sync.Mutex
	left  int
	after int // asks once cancelled
}

func (c *countdownCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *countdownCtx) Done() <-chan struct{}       { return nil }
func (c *countdownCtx) Value(any) any               { return nil }

func (c *countdownCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left > 0 {
		c.left--
		return nil
	}
	c.after++
	return context.Canceled
}

// TestExportsStopWhenCancelled: a PNG or PDF export whose context is done
// before it starts, or during its write, returns context.Canceled at the
// next check, writes nothing more and leaves no file (nor a temporary one).
func TestExportsStopWhenCancelled(t *testing.T) {
	p := simplePlot(t)
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.White)
	in := FigureInput{Records: timedRecords(6, 30, 0)}
	for _, c := range []struct {
		name   string
		export func(ctx context.Context, dir string) error
	}{
		{"plot png", func(ctx context.Context, dir string) error {
			return ExportContext(ctx, p, filepath.Join(dir, "f.png"), RenderOptions{WidthPx: 400, HeightPx: 300})
		}},
		{"plot pdf", func(ctx context.Context, dir string) error {
			return ExportContext(ctx, p, filepath.Join(dir, "f.pdf"), RenderOptions{WidthPx: 400, HeightPx: 300})
		}},
		{"image png", func(ctx context.Context, dir string) error {
			return SaveImageContext(ctx, filepath.Join(dir, "i.png"), img, 96)
		}},
		{"image pdf", func(ctx context.Context, dir string) error {
			return SaveImageContext(ctx, filepath.Join(dir, "i.pdf"), img, 96)
		}},
		{"figures", func(ctx context.Context, dir string) error {
			files, err := ExportFiguresContext(ctx, in, []FigureID{FigLoss, FigAccuracy}, dir, []string{"png", "pdf"},
				RenderOptions{WidthPx: 400, HeightPx: 300})
			if err != nil && len(files) > 0 {
				t.Errorf("figures: %v reported written by a stopped export", files)
			}
			return err
		}},
	} {
		// Uncancelled, each writes its files; count its checks of the
		// context to stop it at the first, the second (inside the first
		// write) and, but for several figures, the last.
		dir := t.TempDir()
		count := &countdownCtx{left: 1 << 30}
		if err := c.export(count, dir); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(dirNames(t, dir)) == 0 {
			t.Fatalf("%s: wrote nothing", c.name)
		}
		checks := 1<<30 - count.left
		stops := []int{0, 1}
		if c.name != "figures" { // the figures before the stop stay written
			stops = append(stops, checks-1)
		}
		for _, left := range stops {
			dir := t.TempDir()
			ctx := &countdownCtx{left: left}
			err := c.export(ctx, dir)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s, stopped after %d of %d checks: got %v, want context.Canceled", c.name, left, checks, err)
			}
			if names := dirNames(t, dir); len(names) > 0 {
				t.Errorf("%s, stopped after %d of %d checks: left %v", c.name, left, checks, names)
			}
			if ctx.after != 1 {
				t.Errorf("%s, stopped after %d of %d checks: asked %d times more; want it to stop at the first",
					c.name, left, checks, ctx.after)
			}
		}
	}
}

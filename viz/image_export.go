package viz

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/deformscope/deformscope/internal/atomicfile"
)

// SaveImage writes a finished picture to path in the format its extension
// names: .png as is, .svg and .pdf as a page of the picture's size at dpi
// dots per inch holding the picture (pixel for pixel, so that the sampling
// points stay exactly where the PNG has them). The write is atomic.
func SaveImage(path string, img image.Image, dpi float64) error {
	return SaveImageContext(context.Background(), path, img, dpi)
}

// SaveImageContext is SaveImage, stopped when ctx is done, before or
// during the write: it then returns ctx's error and leaves the destination
// as it was.
func SaveImageContext(ctx context.Context, path string, img image.Image, dpi float64) error {
	if img == nil {
		return fmt.Errorf("viz: save %s: nil image", path)
	}
	if !(dpi > 0) {
		return fmt.Errorf("viz: save %s: dpi %v, want a positive number", path, dpi)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("viz: save %s: %w", path, err)
	}
	ext := strings.ToLower(filepath.Ext(path))
	var write func(io.Writer) error
	if ext == ".png" {
		write = func(w io.Writer) error { return png.Encode(w, img) }
	}
	if write != nil {
		return saveAtomic(ctx, path, write)
	}
	b := img.Bounds()
	w := vg.Length(float64(b.Dx())/dpi) * vg.Inch
	h := vg.Length(float64(b.Dy())/dpi) * vg.Inch
	var c vg.CanvasWriterTo
	switch ext {
	case ".svg":
		c = vgsvg.New(w, h)
	case ".pdf":
		c = vgpdf.New(w, h)
	default:
		return fmt.Errorf("viz: save %s: unknown picture format %q (want .png, .svg or .pdf)", path, ext)
	}
	c.DrawImage(vg.Rectangle{Max: vg.Point{X: w, Y: h}}, img)
	return saveAtomic(ctx, path, func(wr io.Writer) error { _, err := c.WriteTo(wr); return err })
}

// saveAtomic writes path atomically through write, stopping between its
// chunks once ctx is done.
func saveAtomic(ctx context.Context, path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return write(ctxWriter{ctx, w}) }); err != nil {
		return fmt.Errorf("viz: save %s: %w", path, err)
	}
	return nil
}

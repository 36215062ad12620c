package viz

import (
	"fmt"
	"image"
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
	if img == nil {
		return fmt.Errorf("viz: save %s: nil image", path)
	}
	if !(dpi > 0) {
		return fmt.Errorf("viz: save %s: dpi %v, want a positive number", path, dpi)
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".png" {
		return SavePNG(path, img)
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
	if err := atomicfile.Write(path, 0o644, func(wr io.Writer) error { _, err := c.WriteTo(wr); return err }); err != nil {
		return fmt.Errorf("viz: save %s: %w", path, err)
	}
	return nil
}

package viz

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/deformscope/deformscope/internal/atomicfile"
)

// RenderOptions says how to rasterise a figure. The zero value gives an
// 800×500 px image at 96 dpi.
type RenderOptions struct {
	WidthPx, HeightPx int     // pixel size; if zero, use WidthIn/HeightIn * DPI
	WidthIn, HeightIn float64 // inches
	// DPI scales text and lines (sizes in a figure are in points, 1/72 in);
	// 0 means 96. Raster output rounds it to a whole number.
	DPI         float64
	Transparent bool // transparent background instead of white
}

// Defaults and limits of RenderOptions.
const (
	defaultDPI      = 96
	defaultWidthPx  = 800
	defaultHeightPx = 500
	maxSidePx       = 16384
	maxDPI          = 4800
	// maxPixels bounds a raster figure's area: rendering takes about 20
	// bytes a pixel at its peak (canvas, copy, PNG encoder), so 25 MP (an
	// A3 page at 300 dpi is 17.4 MP) stays near half a gigabyte, where
	// 16384×16384 took 5.3 GB.
	maxPixels = 25_000_000
)

// Check reports whether o gives a usable raster and page size, so that a
// caller can refuse bad options before it creates any file.
func (o RenderOptions) Check() error {
	if _, _, _, err := o.pixels(); err != nil {
		return err
	}
	_, _, err := o.inches()
	return err
}

// dpi returns the resolution, checked.
func (o RenderOptions) dpi() (float64, error) {
	switch {
	case o.DPI == 0:
		return defaultDPI, nil
	case !(o.DPI > 0) || o.DPI > maxDPI:
		return 0, fmt.Errorf("viz: DPI %v is outside (0, %d]", o.DPI, maxDPI)
	}
	return o.DPI, nil
}

// pixels returns the raster size and whole resolution of o.
func (o RenderOptions) pixels() (w, h, dpi int, err error) {
	d, err := o.dpi()
	if err != nil {
		return 0, 0, 0, err
	}
	dpi = max(1, int(math.Round(d)))
	switch {
	case o.WidthPx != 0 || o.HeightPx != 0:
		if o.WidthPx <= 0 || o.HeightPx <= 0 {
			return 0, 0, 0, fmt.Errorf("viz: pixel size %d×%d must be positive in both directions", o.WidthPx, o.HeightPx)
		}
		w, h = o.WidthPx, o.HeightPx
	case o.WidthIn != 0 || o.HeightIn != 0:
		if !(o.WidthIn > 0 && o.HeightIn > 0) || o.WidthIn*d > maxSidePx || o.HeightIn*d > maxSidePx {
			return 0, 0, 0, fmt.Errorf("viz: size %v×%v in at %v dpi is not a usable image size", o.WidthIn, o.HeightIn, d)
		}
		w, h = max(1, int(math.Round(o.WidthIn*d))), max(1, int(math.Round(o.HeightIn*d)))
	default:
		w, h = defaultWidthPx, defaultHeightPx
	}
	if w > maxSidePx || h > maxSidePx {
		return 0, 0, 0, fmt.Errorf("viz: image size %d×%d px exceeds %d px a side", w, h, maxSidePx)
	}
	if w*h > maxPixels {
		return 0, 0, 0, fmt.Errorf("viz: image size %d×%d px is %.1f megapixels, above the limit of %d", w, h, float64(w*h)/1e6, maxPixels/1_000_000)
	}
	return w, h, dpi, nil
}

// inches returns the page size of o for vector output: WidthIn×HeightIn if
// given, else the pixel size at o's DPI.
func (o RenderOptions) inches() (w, h vg.Length, err error) {
	if o.WidthIn != 0 || o.HeightIn != 0 {
		if !(o.WidthIn > 0 && o.HeightIn > 0) || math.IsInf(o.WidthIn, 0) || math.IsInf(o.HeightIn, 0) {
			return 0, 0, fmt.Errorf("viz: size %v×%v in is not a usable page size", o.WidthIn, o.HeightIn)
		}
		return vg.Length(o.WidthIn) * vg.Inch, vg.Length(o.HeightIn) * vg.Inch, nil
	}
	d, err := o.dpi()
	if err != nil {
		return 0, 0, err
	}
	pw, ph := defaultWidthPx, defaultHeightPx
	if o.WidthPx != 0 || o.HeightPx != 0 {
		if o.WidthPx <= 0 || o.HeightPx <= 0 {
			return 0, 0, fmt.Errorf("viz: pixel size %d×%d must be positive in both directions", o.WidthPx, o.HeightPx)
		}
		pw, ph = o.WidthPx, o.HeightPx
	}
	return vg.Length(float64(pw)/d) * vg.Inch, vg.Length(float64(ph)/d) * vg.Inch, nil
}

// Render rasterises p into a new image of exactly the requested pixel size;
// each call returns a fresh image that the caller owns. p is not changed, so
// several goroutines may render the same plot at once.
func Render(p *plot.Plot, o RenderOptions) (*image.NRGBA, error) {
	if p == nil {
		return nil, fmt.Errorf("viz: render: nil plot")
	}
	w, h, dpi, err := o.pixels()
	if err != nil {
		return nil, err
	}
	bg := color.Color(color.White)
	if o.Transparent {
		bg = color.Transparent
	}
	// The canvas size is w/dpi inches, which vgimg turns back into exactly
	// w pixels (it rounds to the nearest pixel).
	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(float64(w)/float64(dpi))*vg.Inch, vg.Length(float64(h)/float64(dpi))*vg.Inch),
		vgimg.UseDPI(dpi),
		vgimg.UseBackgroundColor(bg),
	)
	if err := drawPlot(p, draw.New(c), o.Transparent); err != nil {
		return nil, err
	}
	src, ok := c.Image().(*image.RGBA)
	if !ok || src.Bounds().Dx() != w || src.Bounds().Dy() != h {
		return nil, fmt.Errorf("viz: render: canvas is %v, want %d×%d px", c.Image().Bounds(), w, h)
	}
	return toNRGBA(src), nil
}

// figureMargin is the blank border around a figure: gonum/plot draws up to
// the canvas edge, where a heat map's last column or an edge tick label would
// touch the frame of the app's image or a page.
const figureMargin = vg.Length(6)

// drawPlot draws a shallow copy of p (plot.Draw adjusts the axes it draws,
// and Render must not change the caller's plot), turning a panic inside
// gonum/plot into an error: the app renders from a background goroutine,
// where a panic would end the program.
func drawPlot(p *plot.Plot, c draw.Canvas, transparent bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("viz: render: %v", r)
		}
	}()
	q := *p
	if !transparent && q.BackgroundColor != nil {
		c.SetColor(q.BackgroundColor)
		c.Fill(c.Rectangle.Path())
	}
	q.BackgroundColor = nil
	c = draw.Crop(c, figureMargin, -figureMargin, figureMargin, -figureMargin)
	defer placeLegend(p, &q, c)()
	q.Draw(c)
	return nil
}

// toNRGBA converts premultiplied RGBA to a new non-premultiplied image.
func toNRGBA(src *image.RGBA) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		s := src.Pix[y*src.Stride : y*src.Stride+4*b.Dx()]
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*b.Dx()]
		for i := 0; i < len(s); i += 4 {
			switch a := uint32(s[i+3]); a {
			case 0xff:
				copy(d[i:i+4], s[i:i+4])
			case 0:
				// d is already zero.
			default:
				d[i+0] = uint8((uint32(s[i+0])*0xff + a/2) / a)
				d[i+1] = uint8((uint32(s[i+1])*0xff + a/2) / a)
				d[i+2] = uint8((uint32(s[i+2])*0xff + a/2) / a)
				d[i+3] = uint8(a)
			}
		}
	}
	return dst
}

// Export writes the figure to path; the format follows the extension (in any
// case): .png is rendered as Render does with o; .svg and .pdf take their page
// size from o in inches, or from its pixel size at its DPI if only pixels are
// given. The file is written atomically: on any error the destination is left
// as it was and nothing else is left behind. An unknown extension is an error
// naming it.
func Export(p *plot.Plot, path string, o RenderOptions) error {
	return ExportContext(context.Background(), p, path, o)
}

// ExportContext is Export, stopped when ctx is done: before rendering,
// after it, and between the chunks of the write. A stopped export returns
// ctx's error and leaves the destination as it was.
func ExportContext(ctx context.Context, p *plot.Plot, path string, o RenderOptions) error {
	if p == nil {
		return fmt.Errorf("viz: export %s: nil plot", path)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("viz: export %s: %w", path, err)
	}
	ext := strings.ToLower(filepath.Ext(path))
	var write func(io.Writer) error
	switch ext {
	case ".png":
		img, err := Render(p, o)
		if err != nil {
			return err
		}
		write = func(w io.Writer) error { return png.Encode(w, img) }
	case ".svg", ".pdf":
		pw, ph, err := o.inches()
		if err != nil {
			return err
		}
		var c vg.CanvasWriterTo
		if ext == ".svg" {
			c = vgsvg.New(pw, ph)
		} else {
			c = vgpdf.New(pw, ph)
		}
		if err := drawPlot(p, draw.New(c), o.Transparent); err != nil {
			return err
		}
		write = func(w io.Writer) error { _, err := c.WriteTo(w); return err }
	default:
		return fmt.Errorf("viz: export %s: unknown figure format %q (want .png, .svg or .pdf)", path, ext)
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return write(ctxWriter{ctx, w}) })
	if err != nil {
		return fmt.Errorf("viz: export %s: %w", path, err)
	}
	return nil
}

// Frame is where Render puts a plot's data: the axis ranges drawn, and the
// data area as fractions of the image (Left and Right of its width, Top and
// Bottom of its height, measured from the top). The app maps the mouse
// through it to zoom and pan.
type Frame struct {
	X0, X1, Y0, Y1           float64
	LogY                     bool
	Left, Right, Top, Bottom float64
}

// PlotFrame measures p as Render draws it with o: gonum/plot's own layout
// of the data area, inside the figure's margin. p is not changed. A layout
// that gonum/plot cannot make (it panics on some degenerate axes) or that
// falls outside the image is an error.
func PlotFrame(p *plot.Plot, o RenderOptions) (f Frame, err error) {
	if p == nil {
		return Frame{}, fmt.Errorf("viz: frame: nil plot")
	}
	w, h, dpi, err := o.pixels()
	if err != nil {
		return Frame{}, err
	}
	wl := vg.Length(float64(w)/float64(dpi)) * vg.Inch
	hl := vg.Length(float64(h)/float64(dpi)) * vg.Inch
	q := *p // DataCanvas tidies the axes it reads; leave p as it is
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("viz: frame: %v", r)
		}
	}()
	c := draw.Canvas{Rectangle: vg.Rectangle{
		Min: vg.Point{X: figureMargin, Y: figureMargin},
		Max: vg.Point{X: wl - figureMargin, Y: hl - figureMargin}}}
	defer placeLegend(p, &q, c)()
	da := q.DataCanvas(c)
	f = Frame{X0: q.X.Min, X1: q.X.Max, Y0: q.Y.Min, Y1: q.Y.Max,
		Left: float64(da.Min.X / wl), Right: float64(da.Max.X / wl),
		Top: 1 - float64(da.Max.Y/hl), Bottom: 1 - float64(da.Min.Y/hl)}
	_, f.LogY = q.Y.Scale.(plot.LogScale)
	if !(0 <= f.Left && f.Left < f.Right && f.Right <= 1 && 0 <= f.Top && f.Top < f.Bottom && f.Bottom <= 1) {
		return Frame{}, fmt.Errorf("viz: frame: data area %.3g..%.3g × %.3g..%.3g is not inside the image", f.Left, f.Right, f.Top, f.Bottom)
	}
	return f, nil
}

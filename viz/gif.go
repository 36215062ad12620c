package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"io"

	"github.com/deformscope/deformscope/internal/atomicfile"
)

// GIF encodes frames as an animated GIF that loops forever, each frame shown
// for delay hundredths of a second (the last one three times as long, so the
// end of a replay can be read). Frames are drawn on their first frame's
// canvas (smaller frames at the top left, over white) with Floyd-Steinberg
// dithering to the web-safe palette plus greys, which keeps heat-map
// gradients smooth. It returns an error for no frames, a nil frame, or a
// delay outside 1..6000.
func GIF(w io.Writer, frames []image.Image, delay int) error {
	if len(frames) == 0 {
		return fmt.Errorf("viz: gif: no frames")
	}
	if delay < 1 || delay > 6000 {
		return fmt.Errorf("viz: gif: delay %d: want 1 to 6000 hundredths of a second", delay)
	}
	if frames[0] == nil || frames[0].Bounds().Empty() {
		return fmt.Errorf("viz: gif: frame 0 is empty")
	}
	b := image.Rect(0, 0, frames[0].Bounds().Dx(), frames[0].Bounds().Dy())
	pal := gifPalette()
	out := &gif.GIF{LoopCount: 0}
	for i, f := range frames {
		if f == nil || f.Bounds().Empty() {
			return fmt.Errorf("viz: gif: frame %d is empty", i)
		}
		canvas := image.NewNRGBA(b)
		fillRect(canvas, b, white)
		draw.Draw(canvas, b, f, f.Bounds().Min, draw.Over)
		p := image.NewPaletted(b, pal)
		draw.FloydSteinberg.Draw(p, b, canvas, image.Point{})
		d := delay
		if i == len(frames)-1 {
			d = 3 * delay
		}
		out.Image = append(out.Image, p)
		out.Delay = append(out.Delay, d)
	}
	return gif.EncodeAll(w, out)
}

// gifPalette is the 216 web-safe colours plus 40 greys.
func gifPalette() color.Palette {
	pal := append(color.Palette{}, palette.WebSafe...)
	for i := range 40 {
		v := uint8(3 + i*252/39)
		pal = append(pal, color.Gray{v})
	}
	return pal
}

// SaveGIF writes GIF's animation to path atomically.
func SaveGIF(path string, frames []image.Image, delay int) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return GIF(w, frames, delay) }); err != nil {
		return fmt.Errorf("viz: save %s: %w", path, err)
	}
	return nil
}

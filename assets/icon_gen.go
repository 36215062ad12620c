//go:build ignore

// Icon_gen draws icon.png: a regular 3×3 sampling grid (a plain
// convolution's taps, faint blue) and the same grid bent by learned offsets
// (a deformable convolution's taps, orange), on a dark rounded square.
// Run it with `go generate ./assets` after changing the drawing.
package main

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"math"
	"os"

	"golang.org/x/image/vector"
)

const size = 256

var (
	background = color.NRGBA{0x1c, 0x23, 0x33, 0xff}
	blue       = color.NRGBA{0x1f, 0x77, 0xb4, 0xff}
	orange     = color.NRGBA{0xff, 0x7f, 0x0e, 0xff}
)

type pt struct{ x, y float32 }

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	fill(img, roundedRect(8, 8, size-8, size-8, 44), background)

	// The regular grid, 3×3 taps spaced 62 px about the centre.
	var reg, def [3][3]pt
	for i := range 3 {
		for j := range 3 {
			reg[i][j] = pt{128 + float32(j-1)*62, 128 + float32(i-1)*62}
			// A smooth bend, as a DCN's offsets pull the taps along an
			// object's outline: each row sways sideways, each column bows.
			dx, dy := float64(j-1), float64(i-1)
			ox := 22*math.Sin(1.6*dy+0.6) + 10*dx*math.Abs(dy)
			oy := 18*math.Sin(1.9*dx-0.3) - 8*dy*math.Abs(dx)
			def[i][j] = pt{reg[i][j].x + float32(ox), reg[i][j].y + float32(oy)}
		}
	}
	// Keep the bent grid centred on the regular one.
	var mx, my float32
	for i := range 3 {
		for j := range 3 {
			mx += (def[i][j].x - reg[i][j].x) / 9
			my += (def[i][j].y - reg[i][j].y) / 9
		}
	}
	for i := range 3 {
		for j := range 3 {
			def[i][j].x -= mx
			def[i][j].y -= my
		}
	}
	faint := color.NRGBA{blue.R, blue.G, blue.B, 0xc0}
	grid(img, reg, 5, faint)
	for i := range 3 {
		for j := range 3 {
			fill(img, circle(reg[i][j], 9), faint)
		}
	}
	grid(img, def, 8, orange)
	for i := range 3 {
		for j := range 3 {
			fill(img, circle(def[i][j], 15), background)
			fill(img, circle(def[i][j], 11), orange)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("icon.png", buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// grid draws the lines between horizontally and vertically adjacent taps.
func grid(img *image.NRGBA, g [3][3]pt, width float32, c color.NRGBA) {
	for i := range 3 {
		for j := range 3 {
			if j < 2 {
				fill(img, line(g[i][j], g[i][j+1], width), c)
			}
			if i < 2 {
				fill(img, line(g[i][j], g[i+1][j], width), c)
			}
		}
	}
}

func fill(dst *image.NRGBA, r *vector.Rasterizer, c color.NRGBA) {
	mask := image.NewAlpha(dst.Bounds())
	r.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	draw.DrawMask(dst, dst.Bounds(), image.NewUniform(c), image.Point{}, mask, image.Point{}, draw.Over)
}

func circle(c pt, r float32) *vector.Rasterizer {
	z := vector.NewRasterizer(size, size)
	const n = 48
	for k := range n + 1 {
		a := 2 * math.Pi * float64(k) / n
		p := pt{c.x + r*float32(math.Cos(a)), c.y + r*float32(math.Sin(a))}
		if k == 0 {
			z.MoveTo(p.x, p.y)
		} else {
			z.LineTo(p.x, p.y)
		}
	}
	z.ClosePath()
	return z
}

func line(a, b pt, w float32) *vector.Rasterizer {
	dx, dy := b.x-a.x, b.y-a.y
	l := float32(math.Hypot(float64(dx), float64(dy)))
	nx, ny := -dy/l*w/2, dx/l*w/2
	z := vector.NewRasterizer(size, size)
	z.MoveTo(a.x+nx, a.y+ny)
	z.LineTo(b.x+nx, b.y+ny)
	z.LineTo(b.x-nx, b.y-ny)
	z.LineTo(a.x-nx, a.y-ny)
	z.ClosePath()
	return z
}

func roundedRect(x0, y0, x1, y1, r float32) *vector.Rasterizer {
	z := vector.NewRasterizer(size, size)
	const n = 12
	corners := []struct{ cx, cy, a0 float32 }{
		{x1 - r, y0 + r, -math.Pi / 2}, {x1 - r, y1 - r, 0}, {x0 + r, y1 - r, math.Pi / 2}, {x0 + r, y0 + r, math.Pi},
	}
	first := true
	for _, c := range corners {
		for k := range n + 1 {
			a := float64(c.a0) + math.Pi/2*float64(k)/n
			p := pt{c.cx + r*float32(math.Cos(a)), c.cy + r*float32(math.Sin(a))}
			if first {
				z.MoveTo(p.x, p.y)
				first = false
			} else {
				z.LineTo(p.x, p.y)
			}
		}
	}
	z.ClosePath()
	return z
}

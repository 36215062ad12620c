package coco

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // COCO's images
	_ "image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/disintegration/imaging"
)

// openImage opens an image file inside root and checks its header: a known format, at most maxPixels pixels, and
// the size the JSON gives. On failure it returns a skip reason instead of an error.
func openImage(root *os.Root, im Image, maxPixels int64) (f *os.File, reason string) {
	name := filepath.FromSlash(im.FileName)
	f, err := root.Open(name)
	if err != nil {
		return nil, openReason(err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, ReasonBadImage
	}
	cfg, _, err := image.DecodeConfig(bufio.NewReaderSize(f, 4096))
	switch {
	case err != nil:
		reason = ReasonBadImage
	case cfg.Width <= 0 || cfg.Height <= 0:
		reason = ReasonBadImage
	case cfg.Width > maxSide || cfg.Height > maxSide || int64(cfg.Width)*int64(cfg.Height) > maxPixels:
		reason = ReasonTooLarge
	case cfg.Width != im.Width || cfg.Height != im.Height:
		reason = ReasonSizeMismatch
	}
	if reason == "" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			reason = ReasonBadImage
		}
	}
	if reason != "" {
		f.Close()
		return nil, reason
	}
	return f, ""
}

// openReason classifies an error from os.Root.Open. The name already passed the lexical check, so an escape can
// only come from a symbolic link that leads out of the folder.
func openReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ReasonMissingFile
	case strings.Contains(err.Error(), "escapes"):
		return ReasonPathEscapes
	}
	return ReasonMissingFile
}

// decodeImage opens, checks and decodes an image; it returns a skip reason when that fails.
func decodeImage(root *os.Root, im Image, maxPixels int64) (image.Image, string) {
	f, reason := openImage(root, im, maxPixels)
	if reason != "" {
		return nil, reason
	}
	defer f.Close()
	img, _, err := image.Decode(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return nil, ReasonBadImage
	}
	// A decoder that disagreed with its own header would break the crop arithmetic.
	if b := img.Bounds(); b.Dx() != im.Width || b.Dy() != im.Height {
		return nil, ReasonSizeMismatch
	}
	return img, ""
}

// checkFiles reads the header of every image (or decodes it, with opt.Decode) in parallel and drops the images
// that fail, with their boxes.
func (x *Index) checkFiles(ctx context.Context, opt LoadOptions) error {
	root, err := os.OpenRoot(opt.ImageDir)
	if err != nil {
		return fmt.Errorf("coco: image folder: %w", err)
	}
	defer root.Close()
	reasons := make([]string, len(x.Images))
	err = parallel(ctx, len(x.Images), opt.Workers, func(i int) {
		if opt.Decode {
			_, reasons[i] = decodeImage(root, x.Images[i], opt.MaxPixels)
			return
		}
		f, reason := openImage(root, x.Images[i], opt.MaxPixels)
		if f != nil {
			f.Close()
		}
		reasons[i] = reason
	}, nil)
	if err != nil {
		return err
	}
	x.dropImages(reasons)
	return nil
}

// dropImages removes the images with a non-empty reason, and their boxes.
func (x *Index) dropImages(reasons []string) {
	gone := map[int64]bool{}
	kept := x.Images[:0]
	for i, im := range x.Images {
		if reasons[i] != "" {
			x.Skipped.Images[reasons[i]]++
			gone[im.ID] = true
			continue
		}
		kept = append(kept, im)
	}
	if len(gone) == 0 {
		return
	}
	x.Images = kept
	clear(x.imageByID)
	for i, im := range x.Images {
		x.imageByID[im.ID] = i
	}
	anns := x.Annotations[:0]
	for _, a := range x.Annotations {
		if gone[a.ImageID] {
			x.Skipped.Annotations[ReasonImageSkipped]++
			if a.Clipped {
				x.Info[InfoClipped]--
			}
			continue
		}
		anns = append(anns, a)
	}
	x.Annotations = anns
}

// parallel calls fn(i) for every i in [0, n) on up to workers goroutines (0: GOMAXPROCS) and progress(done, n)
// after each call, one call at a time. It stops early and returns ctx's error if ctx ends.
func parallel(ctx context.Context, n, workers int, fn func(i int), progress func(done, total int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	var next atomic.Int64
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
				if progress != nil {
					mu.Lock()
					done++
					progress(done, n)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// cropRect returns the square of whole pixels that the crop of box b covers in a w×h image: the box's longer side
// plus context on each side, centred on the box, shrunk to the image's shorter side if larger, and moved inside
// the image (so the crop is never padded and never distorted).
func cropRect(b Box, w, h int, context float64) image.Rectangle {
	side := max(b.W, b.H) * (1 + 2*context)
	s := int(math.Round(min(side, float64(min(w, h)))))
	s = max(1, min(s, w, h))
	x0 := int(math.Round(b.X + b.W/2 - float64(s)/2))
	y0 := int(math.Round(b.Y + b.H/2 - float64(s)/2))
	x0 = max(0, min(x0, w-s))
	y0 = max(0, min(y0, h-s))
	return image.Rect(x0, y0, x0+s, y0+s)
}

type subImager interface {
	SubImage(r image.Rectangle) image.Image
}

// cropInto cuts rect (relative to img's origin) out of img, resizes it to size×size with a linear filter (which
// imaging widens when it shrinks, so it averages rather than skips pixels) and writes it to dst as 3 planes of
// RGB bytes. Grey and CMYK images come out as RGB; transparent pixels are composed over black.
func cropInto(dst []uint8, img image.Image, rect image.Rectangle, size int) {
	rect = rect.Add(img.Bounds().Min)
	var src image.Image
	if si, ok := img.(subImager); ok {
		src = si.SubImage(rect)
	} else {
		src = imaging.Crop(img, rect)
	}
	out := imaging.Resize(src, size, size, imaging.Linear)
	plane := size * size
	r, g, b := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	for y := range size {
		row := out.Pix[y*out.Stride : y*out.Stride+4*size]
		for x := range size {
			p := row[4*x : 4*x+4]
			i := y*size + x
			if a := uint32(p[3]); a == 255 {
				r[i], g[i], b[i] = p[0], p[1], p[2]
			} else {
				r[i] = uint8((uint32(p[0])*a + 127) / 255)
				g[i] = uint8((uint32(p[1])*a + 127) / 255)
				b[i] = uint8((uint32(p[2])*a + 127) / 255)
			}
		}
	}
}

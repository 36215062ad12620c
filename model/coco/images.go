package coco

import (
	"bufio"
	"context"
	"encoding/binary"
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
	"syscall"

	"github.com/deformscope/deformscope/internal/imagemem"
	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/coco/internal/jpeg"
)

// openImage opens an image file inside root and checks its header: a known format, at most
// maxPixels pixels, and the size the JSON gives. On failure it returns a skip reason instead of an
// error.
func openImage(root *os.Root, im Image, maxPixels int64) (f *os.File, reason string) {
	name := filepath.FromSlash(im.FileName)
	// Not root.Open: a FIFO named as an image would block in open(2) for ever.
	f, err := safeopen.OpenIn(root, name)
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
	case err != nil && pngTooLarge(f, maxPixels):
		reason = ReasonTooLarge
	case err != nil:
		reason = ReasonBadImage
	case cfg.Width <= 0 || cfg.Height <= 0:
		reason = ReasonBadImage
	case cfg.Width > maxSide || cfg.Height > maxSide || int64(cfg.Width)*int64(cfg.Height) > maxPixels:
		reason = ReasonTooLarge
	case imagemem.Bytes(cfg) > imagemem.MaxBytes:
		// Counted in bytes: a 16-bit PNG within the pixel cap decodes to 8 bytes a pixel, per
		// worker.
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

// pngTooLarge reports whether f is a PNG whose header gives more pixels than maxPixels or a side
// over maxSide. openImage asks it only where image.DecodeConfig failed: on 32-bit builds the PNG
// decoder refuses a header whose pixel count overflows an int ("dimension overflow") before it
// says how large the image is, and such a file is too large, not damaged.
func pngTooLarge(f *os.File, maxPixels int64) bool {
	var h [24]byte // signature (8), IHDR's length and type (8), width and height (8)
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return false
	}
	if string(h[:8]) != "\x89PNG\r\n\x1a\n" || string(h[12:16]) != "IHDR" {
		return false
	}
	w := int64(binary.BigEndian.Uint32(h[16:20]))
	ht := int64(binary.BigEndian.Uint32(h[20:24]))
	if w == 0 || ht == 0 || w > math.MaxInt32 || ht > math.MaxInt32 {
		return false // not a size the PNG format allows: a damaged file
	}
	return w > maxSide || ht > maxSide || w*ht > maxPixels
}

// openReason classifies an error from os.Root.Open. The name already passed the lexical check, so
// an escape can only come from a symbolic link that leads out of the folder.
func openReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ReasonMissingFile
	case strings.Contains(err.Error(), "escapes"):
		return ReasonPathEscapes
	case errors.Is(err, safeopen.ErrNotRegular), errors.Is(err, syscall.ELOOP):
		// There is a file, but no image can be read from it: a FIFO, a
		// folder, a device, or a loop of symbolic links.
		return ReasonBadImage
	}
	return ReasonMissingFile
}

// DecodeImage opens im inside root, checks its header (format, pixel cap maxPixels, the JSON's
// size) and decodes it; when that fails it returns a skip reason (ReasonMissingFile,
// ReasonBadImage, ...) instead.
func DecodeImage(root *os.Root, im Image, maxPixels int64) (image.Image, string) {
	return DecodeImageRegions(root, im, maxPixels, nil)
}

// DecodeImageRegions is DecodeImage for a caller that reads only the pixels inside rects (the crop
// build): a JPEG is decoded there alone (internal/jpeg: the rest stays zero, and what is decoded is
// image/jpeg's to the bit), and a baseline photo's scan stops after the last MCU row any rect
// needs (docs/PERFORMANCE.md has the figures). Other formats, and a nil rects, decode whole.
func DecodeImageRegions(root *os.Root, im Image, maxPixels int64, rects []image.Rectangle) (image.Image, string) {
	f, reason := openImage(root, im, maxPixels)
	if reason != "" {
		return nil, reason
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var img image.Image
	var err error
	if magic, _ := br.Peek(2); rects != nil && string(magic) == "\xff\xd8" {
		img, err = jpeg.DecodeRegions(br, rects)
	} else {
		img, _, err = image.Decode(br)
	}
	if err != nil {
		return nil, ReasonBadImage
	}
	// A decoder that disagreed with its own header would break the crop arithmetic.
	if b := img.Bounds(); b.Dx() != im.Width || b.Dy() != im.Height {
		return nil, ReasonSizeMismatch
	}
	return img, ""
}

// checkFiles reads the header of every image (or decodes it, with opt.Decode) in parallel and drops
// the images that fail, with their boxes.
func (x *Index) checkFiles(ctx context.Context, opt LoadOptions) error {
	root, err := safeopen.OpenRoot(opt.ImageDir)
	if err != nil {
		return fmt.Errorf("coco: image folder: %w", err)
	}
	defer root.Close()
	reasons := make([]string, len(x.Images))
	err = Parallel(ctx, len(x.Images), opt.Workers, func(i int) {
		if opt.Decode {
			_, reasons[i] = DecodeImage(root, x.Images[i], opt.MaxPixels)
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
			if a.AreaNotFinite {
				x.Info[InfoAreaNotFinite]--
			}
			continue
		}
		anns = append(anns, a)
	}
	x.Annotations = anns
}

// Parallel calls fn(i) for every i in [0, n) on up to workers goroutines (0: GOMAXPROCS) and
// progress(done, n) after each call, one call at a time. It stops early and returns ctx's error if
// ctx ends.
func Parallel(ctx context.Context, n, workers int, fn func(i int), progress func(done, total int)) error {
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

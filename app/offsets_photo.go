package app

import (
	"fmt"
	"image"
	"math"
	"path"
	"path/filepath"
	"strings"

	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// srcPhoto is the Offsets view's in-context source: a photo of a COCO
// run's data, whole, with its annotated boxes.
const srcPhoto = "Photo"

// defaultObjectPx is the object side "Whole photo" assumes when no box is
// chosen: a medium COCO object.
const defaultObjectPx = 96

// photoInput is what the in-context view needs of its photo besides the
// net's input: the photo, its boxes, the one chosen and how input pixels
// map back to the photo's.
type photoInput struct {
	photo  image.Image
	entry  inspect.Photo
	object int             // the chosen box; −1 none
	crop   *inspect.Crop   // the object's crop (nil with whole)
	scaled *inspect.Scaled // the whole photo at training scale (nil for a crop)
	limits map[string]float64
}

// photoMap maps between the input and the photo.
func (p *photoInput) photoMap() inspect.PhotoMap {
	return inspect.PhotoMap{Crop: p.crop, Scaled: p.scaled}
}

// toPhoto maps a trace on the input back to the photo.
func (p *photoInput) toPhoto(r *trace.Result) *trace.Result { return p.photoMap().ToPhoto(r) }

// perInput is the photo's pixels per input pixel.
func (p *photoInput) perInput() float64 { return p.photoMap().PerInput() }

// panelAspect is a drawing panel's width over the height its picture may
// take (less the caption band).
func panelAspect(size image.Point) float64 {
	h := size.Y - overlayTextRoom
	if size.X <= 0 || h <= 0 {
		return 1
	}
	return float64(size.X) / float64(h)
}

// fromPhoto maps a photo position to the input's pixels.
func (p *photoInput) fromPhoto(py, px float64) (y, x float64) { return p.photoMap().FromPhoto(py, px) }

// inContext reports whether the request shows a photo in context: the
// Photo source, or an image file of a COCO run that its instances files
// annotate.
func (w *offsetsWorker) inContext(req offsetRequest) bool {
	if w.run.Config.Data != "coco" {
		return false
	}
	if req.photo {
		return true
	}
	if req.file == "" {
		return false
	}
	boxes, _ := w.fileBoxes(req.file)
	return len(boxes.Boxes) > 0
}

// photos returns the run's photos, listed once per run.
func (w *offsetsWorker) photos() ([]inspect.Photo, error) {
	if w.photoList != nil {
		return w.photoList, nil
	}
	w.b.offsetsProgress(w.v, "Reading the run's annotations…")
	list, err := inspect.RunPhotos(w.ctx, w.run)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("the run's instances files list no photo with a box of at least %g px", w.run.Config.COCO.MinBox)
	}
	w.photoList = list
	return list, nil
}

// fileBoxes returns an image file's boxes in the run's instances files,
// matched by its name (inspect.PhotoBoxes), once per file.
func (w *offsetsWorker) fileBoxes(file string) (inspect.Photo, error) {
	if p, ok := w.fileEntries[file]; ok {
		return p, nil
	}
	anns, names, err := inspect.PhotoBoxes(w.ctx, w.run, file)
	if err != nil {
		return inspect.Photo{}, err
	}
	p := inspect.Photo{Path: file, Name: path.Base(filepath.ToSlash(file)), Names: names}
	for _, a := range anns {
		p.Boxes = append(p.Boxes, a.BBox)
	}
	if w.fileEntries == nil || len(w.fileEntries) >= maxCached {
		w.fileEntries = map[string]inspect.Photo{}
	}
	w.fileEntries[file] = p
	return p, nil
}

// photoKey names the request's photo input in the caches.
func photoKey(req offsetRequest) string {
	src := fmt.Sprintf("photo%d", req.photoIdx)
	if !req.photo {
		src = "file:" + req.file
	}
	return fmt.Sprintf("%s|box%d|whole%t|%g", src, req.object, req.whole, req.objectPx)
}

// photoInputFor prepares the request's photo: the chosen object's crop,
// cut as training cut it, or the whole photo resized so that objects of
// the chosen size meet the net at training scale.
func (w *offsetsWorker) photoInputFor(req offsetRequest) (*sceneInput, failure, error) {
	var entry inspect.Photo
	if req.photo {
		list, err := w.photos()
		if err != nil {
			return nil, failNone, err
		}
		if req.photoIdx < 0 || req.photoIdx >= len(list) {
			return nil, failNone, fmt.Errorf("photo %d does not exist (the run's data holds photos 0 to %d)", req.photoIdx, len(list)-1)
		}
		entry = list[req.photoIdx]
	} else {
		var err error
		if entry, err = w.fileBoxes(req.file); err != nil {
			return nil, failImage, err
		}
	}
	img, err := inspect.ReadImage(entry.Path)
	if err != nil {
		return nil, failImage, err
	}
	p := &photoInput{photo: img, entry: entry, object: req.object}
	if p.object < 0 || p.object >= len(entry.Boxes) {
		p.object = -1
		if len(entry.Boxes) > 0 {
			p.object = entry.Largest()
		}
	}
	base := path.Base(entry.Name)
	si := &sceneInput{photo: p, name: strings.TrimSuffix(base, path.Ext(base))}
	if req.whole {
		side := req.objectPx
		if !(side > 0) {
			side = defaultObjectPx
			if p.object >= 0 {
				b := entry.Boxes[p.object]
				side = math.Max(b.W, b.H)
			}
		}
		factor, err := inspect.WholeFactor(w.run, side)
		if err != nil {
			return nil, failNone, err
		}
		// An object as large as the photo would shrink it below one crop:
		// take the largest object size that leaves a crop's worth.
		b := img.Bounds()
		if least := float64(w.run.Config.COCO.Size) / float64(min(b.Dx(), b.Dy())); factor < least {
			factor = least
			side = float64(w.run.Config.COCO.Size) / (factor * (1 + 2*cropset.DefaultContext))
		}
		if p.scaled, err = inspect.PrepareScaled(w.run, img, factor); err != nil {
			return nil, failNone, fmt.Errorf("%s: %w", base, err)
		}
		si.in = p.scaled.Input
		si.label = fmt.Sprintf("%s resized ×%.3g (%g px objects at training scale)", base, p.scaled.Factor, math.Round(side*10)/10)
		return si, failNone, nil
	}
	if p.object < 0 {
		return nil, failNone, fmt.Errorf("%s has no annotated box: tick \"Whole image\" to run the net on the whole photo at training scale", base)
	}
	b := entry.Boxes[p.object]
	if p.crop, err = inspect.PrepareCrop(w.run, img, b); err != nil {
		return nil, failNone, fmt.Errorf("%s: %w", base, err)
	}
	si.in = p.crop.Input
	si.label = fmt.Sprintf("%s, %s %.0f×%.0f px at (%.0f, %.0f)", base, entry.Names[p.object], b.W, b.H, b.X, b.Y)
	return si, failNone, nil
}

// objectLabels names a photo's boxes for the object list.
func objectLabels(p inspect.Photo) []string {
	out := make([]string, len(p.Boxes))
	for i, b := range p.Boxes {
		out[i] = fmt.Sprintf("%d: %s (%.0f×%.0f px)", i+1, p.Names[i], b.W, b.H)
	}
	return out
}

// contextUnit returns the unit the request chooses on a photo input: the
// one under the picked photo position, else the one nearest the chosen
// box's centre, else the layer's centre.
func contextUnit(sc *offsetScene, p *photoInput, req offsetRequest) (int, int, error) {
	if req.hasPick {
		y, x := p.fromPhoto(req.pick[0], req.pick[1])
		return trace.UnitAt(sc.geom, sc.in, sc.Layer, y, x)
	}
	if p.object >= 0 {
		b := p.entry.Boxes[p.object]
		// The box's centre in COCO's frame is at pixel-centre coordinates
		// minus a half.
		y, x := p.fromPhoto(b.Y+b.H/2-0.5, b.X+b.W/2-0.5)
		uy, ux, err := trace.UnitAt(sc.geom, sc.in, sc.Layer, y, x)
		if err == nil {
			return uy, ux, nil
		}
	}
	return sc.units[0] / 2, sc.units[1] / 2, nil
}

// placeInContext maps the scene's traces to the photo and sets its
// context: the boxes, the chosen one, the crop and the view, panelW pixels
// wide.
func placeInContext(sc *offsetScene, p *photoInput, view viz.Viewport, panelW int) {
	sc.photo = p
	sc.Points = p.toPhoto(sc.Points)
	if sc.Grid != nil {
		sc.Grid = p.toPhoto(sc.Grid)
	}
	c := &viz.SceneContext{Photo: p.photo, Chosen: p.object, View: view, Width: max(panelW, 64), Title: sc.Label}
	for i, b := range p.entry.Boxes {
		c.Boxes = append(c.Boxes, viz.Box{X: b.X, Y: b.Y, W: b.W, H: b.H, Label: p.entry.Names[i]})
	}
	if p.crop != nil {
		c.Crop = p.crop.Rect
	}
	if p.scaled != nil {
		c.Chosen = -1 // every box at once: no crop was cut
	}
	sc.Context = c
}

// photoView resolves a viewport: the whole photo when empty.
func photoView(v viz.Viewport, photo image.Image) viz.Viewport {
	if v.Empty() {
		b := photo.Bounds()
		return viz.Viewport{X1: float64(b.Dx()), Y1: float64(b.Dy())}
	}
	return v
}

// boxAt returns the smallest box of the photo that holds photo position
// (y, x) in COCO's frame, or −1.
func boxAt(boxes []coco.Box, y, x float64) int {
	best, area := -1, math.Inf(1)
	for i, b := range boxes {
		if x >= b.X && x < b.X+b.W && y >= b.Y && y < b.Y+b.H && b.W*b.H < area {
			best, area = i, b.W*b.H
		}
	}
	return best
}

package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// cocoFigure draws the paper's three panels from a COCO run's photos: the
// unit at the centre of the smallest object, at the centre of the largest,
// and a unit in the background at the corner of the small object's crop,
// each in its photo framed on the unit, the plain CNN's grid underneath.
func cocoFigure(ctx context.Context, run *rundir.Run, layer string, epoch int, out string, stdout io.Writer) error {
	if !slices.Contains(run.Config.Models, "cnn") {
		return fmt.Errorf("the three-panel figure sets the deformable net beside the plain CNN; %s has no cnn", run.Dir)
	}
	photos, err := inspect.RunPhotos(ctx, run)
	if err != nil {
		return err
	}
	type pick struct {
		photo inspect.Photo
		box   int
		area  float64
	}
	var small, large *pick
	for _, p := range photos {
		for i, b := range p.Boxes {
			if b.W < run.Config.COCO.MinBox || b.H < run.Config.COCO.MinBox {
				continue // training cut no crop of it
			}
			a := b.W * b.H
			if small == nil || a < small.area {
				small = &pick{p, i, a}
			}
			if large == nil || a > large.area {
				large = &pick{p, i, a}
			}
		}
	}
	if small == nil {
		return fmt.Errorf("the run's instances files list no box of at least %g px", run.Config.COCO.MinBox)
	}
	panels := []struct {
		kind string
		p    *pick
		unit string
	}{{"small object", small, ""}, {"large object", large, ""}, {"background", small, "1,1"}}
	var scenes []*viz.OffsetScene
	var kinds []string
	model, ep := "", 0
	for _, pn := range panels {
		b := pn.p.photo.Boxes[pn.p.box]
		f := inspectFlags{run: run.Dir, image: pn.p.photo.Path, layer: layer, epoch: epoch, index: -1, zoom: viz.FrameUnit, width: 420,
			box: fmt.Sprintf("%g,%g,%g,%g", b.X, b.Y, b.W, b.H)}
		ins, err := f.loadRun(ctx)
		if err != nil {
			return err
		}
		sc, err := ins.pointsScene(pn.unit, "size", false, true, viz.FrameUnit)
		if err != nil {
			return err
		}
		scenes = append(scenes, sc)
		kinds = append(kinds, fmt.Sprintf("%s (%s %.0f×%.0f px in %s)", pn.kind, pn.p.photo.Names[pn.p.box], b.W, b.H, filepath.Base(pn.p.photo.Path)))
		model, ep, layer = ins.model, ins.epoch, ins.layer
	}
	fig, err := viz.PaperFigure(fmt.Sprintf("%s %s, epoch %d", model, layer, ep), kinds, scenes)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(out, fig); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s of %s, epoch %d: %s\n", out, layer, model, ep, kinds)
	return nil
}

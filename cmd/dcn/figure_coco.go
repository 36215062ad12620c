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

// cocoFigure draws the paper's three panels from a COCO run's photos
// (inspect.PaperPanels chooses them), each in its photo framed on the unit,
// the plain CNN's grid underneath.
func cocoFigure(ctx context.Context, run *rundir.Run, layer string, epoch int, out string, stdout io.Writer) error {
	if !slices.Contains(run.Config.Models, "cnn") {
		return fmt.Errorf("the three-panel figure sets the deformable net beside the plain CNN; %s has no cnn", run.Dir)
	}
	photos, err := inspect.RunPhotos(ctx, run)
	if err != nil {
		return err
	}
	panels, err := inspect.PaperPanels(photos, run.Config.COCO.MinBox)
	if err != nil {
		return err
	}
	var scenes []*viz.OffsetScene
	var kinds []string
	model, ep := "", 0
	for _, pn := range panels {
		b := pn.Photo.Boxes[pn.Box]
		f := inspectFlags{run: run.Dir, image: pn.Photo.Path, layer: layer, epoch: epoch, index: -1, zoom: viz.FrameUnit, width: 420,
			box: fmt.Sprintf("%g,%g,%g,%g", b.X, b.Y, b.W, b.H)}
		ins, err := f.loadRun(ctx)
		if err != nil {
			return err
		}
		sc, err := ins.pointsScene(pn.Unit, "size", false, true, viz.FrameUnit)
		if err != nil {
			return err
		}
		scenes = append(scenes, sc)
		kinds = append(kinds, fmt.Sprintf("%s (%s %.0f×%.0f px in %s)", pn.Kind, pn.Photo.Names[pn.Box], b.W, b.H,
			filepath.Base(pn.Photo.Path)))
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

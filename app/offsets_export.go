package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/viz"
	"github.com/deformscope/deformscope/viz/replay"
)

// offsetExports is the Offsets view's exports: the picture shown as PNG,
// SVG or PDF, the layer's sampling field as NumPy arrays (what dcn heatmap
// --npy writes), and its epoch replay as a GIF, each written on a
// goroutine of its own. Its fields belong to the UI goroutine.
type offsetExports struct {
	export, gif *widget.Button
	win         fyne.Window
	b           *bridge
	out         exportEnv
	act         exportActions
}

// exportActions are what the exports ask of the view.
type exportActions struct {
	closed func() bool         // the window is closing
	scene  func() *offsetScene // the scene shown; nil for none
	run    func() string       // the run folder whose exports these are (exportRun)
	ctx    context.Context     // ends when the view closes
}

// newOffsetExports makes the export buttons; b reports the exports
// written, out says where they go.
func newOffsetExports(win fyne.Window, b *bridge, out exportEnv, act exportActions) *offsetExports {
	v := &offsetExports{win: win, b: b, out: out, act: act}
	v.export = widget.NewButtonWithIcon("Export PNG…", theme.DocumentSaveIcon(), v.showExport)
	v.gif = widget.NewButtonWithIcon("Export GIF…", theme.MediaVideoIcon(), v.showGIFExport)
	return v
}

// enableFor enables the exports that apply to scene sc (nil: none).
func (v *offsetExports) enableFor(sc *offsetScene) {
	setEnabled(v.export, sc != nil)
	setEnabled(v.gif, sc != nil && sc.run != nil)
}

// showExport asks for the scale and the file, then writes the view as PNG.
func (v *offsetExports) showExport() {
	sc := v.act.scene()
	if v.act.closed() || sc == nil {
		return
	}
	v.exportDialog(sc).Show()
}

// offsetsExportDialog is the Offsets export dialog and its fields.
type offsetsExportDialog struct {
	*dialog.FormDialog
	scale, dir, name   *widget.Entry
	png, svg, pdf, npy *widget.Check
}

func (v *offsetExports) exportDialog(sc *offsetScene) *offsetsExportDialog {
	d := &offsetsExportDialog{scale: widget.NewEntry(), dir: widget.NewEntry(), name: widget.NewEntry(),
		png: widget.NewCheck("PNG", nil), svg: widget.NewCheck("SVG", nil), pdf: widget.NewCheck("PDF", nil),
		npy: widget.NewCheck("NumPy", nil)}
	d.png.SetChecked(true)
	d.scale.SetText(strconv.Itoa(exportScale(sc.in)))
	d.dir.SetText(v.out.dirFor(v.act.run()))
	d.name.SetText(strings.TrimSuffix(sc.fileName(), ".png"))
	browse := widget.NewButton("Browse…", func() {
		dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
			if err == nil && uri != nil {
				d.dir.SetText(uri.Path())
			}
		}, v.win).Show()
	})
	items := []*widget.FormItem{
		{Text: "Scale", Widget: d.scale, HintText: fmt.Sprintf("each of the image's %d×%d pixels becomes scale × scale", sc.in[1], sc.in[0])},
		{Text: "Folder", Widget: container.NewBorder(nil, nil, nil, browse, d.dir), HintText: exportWhere(v.act.run())},
		{Text: "File", Widget: d.name, HintText: "without extension: one file per format"},
		{Text: "Formats", Widget: container.NewHBox(d.png, d.svg, d.pdf, d.npy),
			HintText: "NumPy: the layer's offsets (and mask) as .npy arrays in torchvision's layout"},
	}
	d.FormDialog = dialog.NewForm("Export the Offsets view", "Export", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		scale, err := strconv.Atoi(strings.TrimSpace(d.scale.Text))
		if err != nil || scale < 1 || scale > maxExportScale {
			dialog.ShowError(fmt.Errorf("export: scale: want a whole number from 1 to %d, got %q", maxExportScale, d.scale.Text), v.win)
			return
		}
		dir, name := strings.TrimSpace(d.dir.Text), strings.TrimSpace(d.name.Text)
		if dir == "" || name == "" {
			dialog.ShowError(errors.New("export: choose a folder and a file name"), v.win)
			return
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".png", ".svg", ".pdf", ".npy":
			name = strings.TrimSuffix(name, filepath.Ext(name))
		}
		var paths []string
		for _, f := range []struct {
			on  bool
			ext string
		}{{d.png.Checked, ".png"}, {d.svg.Checked, ".svg"}, {d.pdf.Checked, ".pdf"}, {d.npy.Checked, ".npy"}} {
			if f.on {
				paths = append(paths, filepath.Join(dir, name+f.ext))
			}
		}
		if len(paths) == 0 {
			dialog.ShowError(errors.New("export: choose at least one format (PNG, SVG, PDF or NumPy)"), v.win)
			return
		}
		asked := paths
		if d.npy.Checked && sc.Field != nil && sc.Field.Mask != nil {
			asked = append(slices.Clip(paths), torchfile.MaskPath(filepath.Join(dir, name+".npy")))
		}
		if err := v.out.rememberDirFor(v.act.run(), dir); err != nil {
			dialog.ShowError(err, v.win)
			return
		}
		v.out.confirmOverwrite(asked, func() { v.exportTo(sc, scale, paths...) })
	}, v.win)
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	return d
}

// exportTo draws sc at scale and writes it to each of paths (PNG, SVG or
// PDF by extension; .npy writes the layer's sampling field as dcn heatmap
// --npy does) on a goroutine of its own, reporting through the bridge.
func (v *offsetExports) exportTo(sc *offsetScene, scale int, paths ...string) {
	v.export.Disable()
	v.out.wg.Add(1)
	ctx := v.act.ctx
	go func() {
		defer v.out.wg.Done()
		var img *image.NRGBA
		var err error
		if slices.ContainsFunc(paths, func(p string) bool { return filepath.Ext(p) != ".npy" }) {
			img, err = sc.figure(scale)
		}
		var written []string
		for _, p := range paths {
			if err == nil {
				err = os.MkdirAll(filepath.Dir(p), 0o755)
			}
			if err == nil && filepath.Ext(p) == ".npy" {
				var files []string
				files, err = torchfile.WriteFieldNpy(p, sc.Field)
				written = append(written, files...)
				continue
			}
			if err == nil {
				err = viz.SaveImageContext(ctx, p, img, exportDPI)
				written = append(written, p)
			}
		}
		path := strings.Join(written, ", ")
		size := image.Point{}
		if img != nil {
			size = img.Bounds().Size()
		}
		v.b.offsetsExported(v, path, size, err)
	}()
}

// exportEnded reports an export; it runs on the UI goroutine.
func (v *offsetExports) exportEnded(path string, size image.Point, err error) {
	v.enableFor(v.act.scene())
	if v.act.closed() {
		return
	}
	if err != nil {
		dialog.ShowError(err, v.win)
		return
	}
	dialog.ShowInformation("Export", fmt.Sprintf("Wrote %s (%d×%d px)", path, size.X, size.Y), v.win)
}

// exportDPI sets the page size of an Offsets view exported as SVG or
// PDF: one picture pixel per screen dot.
const exportDPI = 96

// gifDelay is each replay frame's time on screen, in hundredths of a
// second: dcn replay's default.
const gifDelay = 70

// showGIFExport asks for a file, then writes the epoch replay of the
// scene shown as an animated GIF.
func (v *offsetExports) showGIFExport() {
	sc := v.act.scene()
	if v.act.closed() || sc == nil || sc.run == nil {
		return
	}
	d := dialog.NewFileSave(func(f fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, v.win)
			return
		}
		if f == nil {
			return
		}
		path := f.URI().Path()
		f.Close()
		if !strings.EqualFold(filepath.Ext(path), ".gif") {
			path += ".gif"
		}
		v.exportGIF(sc, path)
	}, v.win)
	d.SetFileName("replay-" + strings.TrimSuffix(strings.TrimPrefix(sc.fileName(), "offsets-"), ".png") + ".gif")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".gif"}))
	if l := v.out.locationFor(v.act.run()); l != nil {
		d.SetLocation(l)
	}
	d.Show()
}

// replayOptions are the replay of sc, as dcn replay makes it: every epoch
// of sc's model on its image, the same layer and unit, the points (with the
// CNN's grid) or the |Δp| heat map.
func replayOptions(sc *offsetScene) (inspect.ReplayOptions, replay.Options) {
	ro := inspect.ReplayOptions{Model: sc.Model, Layer: sc.Layer, Points: sc.mode == modePoints, UnitY: sc.unit[0], UnitX: sc.unit[1],
		Round: sc.round, Grid: sc.Grid != nil, Steps: inspect.EpochSteps(sc.input, sc.Epochs)}
	o := replay.Options{Show: viz.ShowPoints, WeightBy: sc.WeightBy, Label: sc.Label}
	if sc.mode != modePoints {
		o.Show = viz.ShowOffset
	}
	if p := sc.photo; p != nil && sc.Context != nil && sc.mode == modePoints {
		// In context, at the framing on screen: the photo, its boxes, the
		// crop and the view the user sees, every frame.
		o.InContext = &replay.InContext{Context: *sc.Context, ToPhoto: p.toPhoto}
		ro.TrainingLimits = p.scaled != nil
	}
	return ro, o
}

// replayScenes runs sc's checkpoints (inspect.Replay) and composes their
// frames (replay.Scenes), as dcn replay does.
func replayScenes(ctx context.Context, sc *offsetScene) ([]*viz.OffsetScene, error) {
	ro, o := replayOptions(sc)
	rf, err := inspect.Replay(ctx, sc.run, ro, nil)
	if err != nil {
		return nil, err
	}
	frames := make([]replay.Frame, len(rf))
	for i, f := range rf {
		frames[i] = replay.Frame(f)
	}
	return replay.Scenes(frames, o)
}

// exportGIF writes the epoch replay of sc to path on a goroutine of its
// own, reporting through the bridge.
func (v *offsetExports) exportGIF(sc *offsetScene, path string) {
	v.export.Disable()
	v.gif.Disable()
	v.out.wg.Add(1)
	ctx := v.act.ctx
	go func() {
		defer v.out.wg.Done()
		scenes, err := replayScenes(ctx, sc)
		var frames []image.Image
		if err == nil {
			frames, err = replay.Frames(scenes, exportScale(sc.in))
		}
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o755)
		}
		if err == nil {
			err = viz.SaveGIF(path, frames, gifDelay)
		}
		size := image.Point{}
		if len(frames) > 0 {
			size = frames[0].Bounds().Size()
		}
		if err == nil {
			path = fmt.Sprintf("%s, %d frames", path, len(frames))
		}
		v.b.offsetsExported(v, path, size, err)
	}()
}

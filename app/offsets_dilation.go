package app

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// appDilationLimit is how many test images (per Scaled-MNIST scale) the
// app's dilation chart measures: a fifth of dcn dilation's default, so
// that the chart comes in seconds; the dialog says so.
const appDilationLimit = inspect.DefaultDilationLimit / 5

// Size of the dilation chart, as dcn dilation --out draws it.
const dilationW, dilationH = 900, 560

// offsetDilation is the Offsets view's Dilation… button and the chart it
// opens. Its fields belong to the UI goroutine.
type offsetDilation struct {
	dilation *widget.Button
	dil      *dilationDialog // the last dilation chart asked for
	win      fyne.Window
	b        *bridge
	wg       *sync.WaitGroup // the window's Close waits for the measurement
	act      dilationActions
}

// dilationActions are what the dilation chart asks of the view.
type dilationActions struct {
	run      func() (*rundir.Run, error) // the run shown, opened
	location func() fyne.ListableURI     // where its exports go; nil for the dialog's default
	ctx      context.Context             // ends when the view closes
}

// newOffsetDilation makes the Dilation… button; wg counts the
// measurements under way.
func newOffsetDilation(win fyne.Window, b *bridge, wg *sync.WaitGroup, act dilationActions) *offsetDilation {
	v := &offsetDilation{win: win, b: b, wg: wg, act: act}
	v.dilation = widget.NewButtonWithIcon("Dilation…", theme.GridIcon(), v.showDilation)
	return v
}

// dilationDialog shows the effective dilation chart of a run (the paper's
// table 2 as a chart): a busy sign while it is measured, then the chart and
// a Save button.
type dilationDialog struct {
	v      *offsetDilation
	d      dialog.Dialog
	busy   *widget.ProgressBarInfinite
	text   *widget.Label
	img    *canvas.Image
	save   *widget.Button
	cancel context.CancelFunc
	run    string
	chart  image.Image
}

// showDilation measures the shown run's effective dilation on a goroutine
// and shows the chart in a dialog.
func (v *offsetDilation) showDilation() {
	run, err := v.act.run()
	if err != nil {
		dialog.ShowError(fmt.Errorf("dilation: %w", err), v.win)
		return
	}
	dd := &dilationDialog{v: v, busy: widget.NewProgressBarInfinite(), text: widget.NewLabel(""), img: canvas.NewImageFromImage(nil),
		run: filepath.Base(filepath.Clean(run.Dir))}
	dd.text.Wrapping = fyne.TextWrapWord
	per := ""
	if run.Config.Data == "mnist" {
		per = " per scale"
	}
	dd.text.SetText(fmt.Sprintf("Measuring every layer of %s on %d test images%s (dcn dilation takes %d)…",
		dd.run, appDilationLimit, per, inspect.DefaultDilationLimit))
	dd.img.FillMode = canvas.ImageFillContain
	dd.img.SetMinSize(fyne.NewSize(dilationW*2/3, dilationH*2/3))
	dd.save = widget.NewButtonWithIcon("Save PNG…", theme.DocumentSaveIcon(), dd.saveAs)
	dd.save.Disable()
	content := container.NewBorder(container.NewVBox(dd.text, dd.busy), dd.save, nil, nil, dd.img)
	dd.d = dialog.NewCustom("Effective dilation: "+dd.run, "Close", content, v.win)
	ctx, cancel := context.WithCancel(v.act.ctx)
	dd.cancel = cancel
	dd.d.SetOnClosed(cancel)
	// Room for the text, the chart, Save and the dialog's own Close.
	dd.d.Resize(fyne.NewSize(dilationW*2/3+40, dilationH*2/3+330))
	dd.d.Show()
	v.dil = dd
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		img, err := dilationChart(ctx, run, dd.run)
		v.b.offsetsDilation(dd, img, err)
	}()
}

// dilationChart measures run and draws its chart, as dcn dilation --out.
func dilationChart(ctx context.Context, run *rundir.Run, name string) (image.Image, error) {
	rep, err := inspect.MeasureDilation(ctx, run, inspect.DilationOptions{Limit: appDilationLimit})
	if err != nil {
		return nil, err
	}
	p, err := viz.DilationChart(name, rep)
	if err != nil {
		return nil, err
	}
	chart, err := viz.Render(p, viz.RenderOptions{WidthPx: dilationW, HeightPx: dilationH})
	if err != nil {
		return nil, err
	}
	// The paper's table 2 under the chart, as dcn dilation --table prints it.
	table, err := viz.DilationTable(dilation.TableOf(rep), dilationW)
	if err != nil {
		return nil, err
	}
	return viz.Column(0, chart, table)
}

// done shows the chart, or why there is none; on the UI goroutine.
func (dd *dilationDialog) done(img image.Image, err error) {
	dd.busy.Stop()
	dd.busy.Hide()
	if err != nil {
		if dd.v.act.ctx.Err() == nil && !strings.Contains(err.Error(), context.Canceled.Error()) {
			dd.text.SetText("Cannot measure the dilation: " + err.Error())
		}
		return
	}
	dd.chart = img
	dd.text.SetText("Mean distance between adjacent sampling locations of a unit's kernel, in pixels of the layer's input (a plain 3×3 conv: exactly 1).")
	dd.img.Image = img
	dd.img.Refresh()
	dd.save.Enable()
}

// saveAs writes the chart as a PNG where the user says.
func (dd *dilationDialog) saveAs() {
	if dd.chart == nil {
		return
	}
	d := dialog.NewFileSave(func(f fyne.URIWriteCloser, err error) {
		if err != nil || f == nil {
			if err != nil {
				dialog.ShowError(err, dd.v.win)
			}
			return
		}
		path := f.URI().Path()
		f.Close()
		if !strings.EqualFold(filepath.Ext(path), ".png") {
			path += ".png"
		}
		if err := viz.SavePNG(path, dd.chart); err != nil {
			dialog.ShowError(err, dd.v.win)
			return
		}
		dialog.ShowInformation("Export", "Wrote "+path, dd.v.win)
	}, dd.v.win)
	d.SetFileName("dilation-" + dd.run + ".png")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png"}))
	if l := dd.v.act.location(); l != nil {
		d.SetLocation(l)
	}
	d.Show()
}

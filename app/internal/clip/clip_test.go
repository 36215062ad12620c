package clip

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestClippedFindsCutWidgets: the clip check reports a button row wider
// than its window and a widget squeezed below its minimum size, and
// passes the same row inside a scroll.
func TestClippedFindsCutWidgets(t *testing.T) {
	test.NewTempApp(t)
	row := func() fyne.CanvasObject {
		return container.NewHBox(widget.NewButton("Smoothing and more", nil), widget.NewButton("Export all", nil))
	}
	for _, c := range []struct {
		name    string
		content fyne.CanvasObject
		want    string
	}{
		{"row past the window", container.NewVBox(row()), `Button("Export all") reaches`},
		{"squeezed", container.NewGridWithColumns(2, widget.NewButton("A rather long button", nil), widget.NewLabel("x")),
			`Button("A rather long button") is`},
		{"scrolled", container.NewHScroll(row()), ""},
	} {
		w := test.NewTempWindow(t, c.content)
		w.SetFixedSize(true)
		w.Resize(fyne.NewSize(150, 100))
		got := strings.Join(Clipped(w), "\n")
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: clipped says %q, want %q", c.name, got, c.want)
		}
	}
}

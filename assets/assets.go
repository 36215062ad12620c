// Package assets holds the files embedded in Deformscope's binary: the
// application icon, a 3×3 sampling grid bent by deformable offsets.
package assets

//go:generate go run icon_gen.go

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon returns the application icon (256×256 PNG).
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", iconPNG)
}

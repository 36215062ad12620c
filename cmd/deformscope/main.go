// Command deformscope is Deformscope's desktop app: it trains a plain CNN
// and a deformable CNN side by side and plots them live.
//
//	deformscope          open the window
//	deformscope --demo   start both models on a small MNIST subset at once
package main

import (
	"flag"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/deformscope/deformscope/app"
	"github.com/deformscope/deformscope/assets"
)

func main() {
	demo := flag.Bool("demo", false, "start training both models on a small MNIST subset at launch")
	flag.Parse()
	a := fyneapp.NewWithID("io.github.deformscope.deformscope")
	a.SetIcon(assets.Icon())
	app.Run(a, app.Options{Demo: *demo})
}

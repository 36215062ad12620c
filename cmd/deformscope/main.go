// Command deformscope is Deformscope's desktop app: it trains a plain CNN
// and a deformable CNN side by side and plots them live.
//
//	deformscope          open the window
//	deformscope --demo   start both models on a small MNIST subset at once
//	deformscope --size 1024x640   open the window at that size
//
// Without --size the window opens at the size it had when it last closed
// (1360×860 the first time), where it was, and never larger than the work
// area of the screen it opens on.
//
// Built with the e2e tag (for the end-to-end test only), DEFORMSCOPE_SCRIPT
// holds steps that drive the window (open a run, choose a tab, type a
// setting, Start, report what shows): see script.go and app.ParseScript.
package main

import (
	"flag"
	"fmt"
	"os"

	"fyne.io/fyne/v2"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/deformscope/deformscope/app"
	"github.com/deformscope/deformscope/assets"
	// locale is initialised before Fyne reads the locale.
	_ "github.com/deformscope/deformscope/cmd/deformscope/internal/locale"
)

func main() {
	demo := flag.Bool("demo", false, "start training both models on a small MNIST subset at launch")
	size := flag.String("size", "", "the window's size at launch, WIDTHxHEIGHT (default: its last size, or 1360x860; at most the screen; from 1024x640 up)")
	flag.Parse()
	opts := app.Options{Demo: *demo, Screen: glfwScreen{}}
	if *size != "" {
		var w, h int
		if n, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || n != 2 || w < 320 || h < 240 || w > 16384 || h > 16384 {
			fmt.Fprintf(os.Stderr, "deformscope: --size %q: want WIDTHxHEIGHT, such as 1024x640\n", *size)
			os.Exit(2)
		}
		opts.Size = fyne.NewSize(float32(w), float32(h))
	}
	a := fyneapp.NewWithID("io.github.deformscope.deformscope")
	a.SetIcon(assets.Icon())
	app.Run(a, opts)
}

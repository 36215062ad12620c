//go:build e2e

package main

import (
	"fmt"
	"os"

	"github.com/deformscope/deformscope/app"
)

// The end-to-end test builds the app with the e2e tag and drives the window
// through a script of steps in DEFORMSCOPE_SCRIPT (app.ParseScript): what
// they do goes to stderr, and shot steps wait for a line on stdin. A build
// without the tag, the one people run, has no such hook.
func init() {
	text := os.Getenv("DEFORMSCOPE_SCRIPT")
	if text == "" {
		return
	}
	steps, err := app.ParseScript(text)
	if err != nil {
		fmt.Fprintf(os.Stderr, "deformscope: DEFORMSCOPE_SCRIPT: %v\n", err)
		os.Exit(2)
	}
	app.UseScript(steps, os.Stderr, os.Stdin)
}

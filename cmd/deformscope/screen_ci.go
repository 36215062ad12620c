//go:build ci

package main

// workArea is unknown to Fyne's headless driver.
func workArea() (w, h int, ok bool) { return 0, 0, false }

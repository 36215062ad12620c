// Package viz draws Deformscope's pictures from engine data: training curves,
// accuracy against scale, confusion matrices, and their export to PNG, SVG,
// PDF and CSV.
//
// Figures are gonum/plot plots. A figure function (Curves, ScaleAccuracy,
// Confusion) takes plain values and returns a fresh *plot.Plot; Render turns a
// plot into a new in-memory image of exactly the requested pixel size, and
// Export writes it to a file, atomically. EpochSeries, StepLossSeries and
// ScaleSeries turn training records into Series, so that the desktop app and
// the command line plot the same things the same way.
//
// The package never imports Fyne: it is safe to call from any goroutine, and
// Render may be called concurrently on the same plot as long as nobody changes
// the plot meanwhile. Data problems (NaN losses, missing values, non-positive
// values on a log axis) leave gaps in a figure instead of failing; malformed
// input (mismatched lengths, bad sizes) gives an error prefixed "viz: ".
//
// Text is set in the Liberation fonts that gonum/plot embeds, so rendering
// needs no system fonts.
package viz

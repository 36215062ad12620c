//go:build !race

package nn

// raceEnabled shortens tests that the race detector slows down tenfold.
const raceEnabled = false

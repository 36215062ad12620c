//go:build !amd64

package nn

// winoXformOK is false: the Winograd transforms run as GEMMs off amd64.
var winoXformOK = false

func winoBT16(dst, src *float32, ld, n int) { panic("nn: winoBT16 without assembly") }
func winoB16(dst, src *float32, ld, n int)  { panic("nn: winoB16 without assembly") }
func winoAT4(dst, src *float32, ld, n int)  { panic("nn: winoAT4 without assembly") }
func winoA16(dst, src *float32, ld, n int)  { panic("nn: winoA16 without assembly") }

package cropset

// goFuses reports whether this build's compiler fuses a float64 product into the sum that takes it
// (x*y + z as one FMA; GOAMD64=v3 and up, arm64): with x = y = 1+2⁻³⁰ and z = −(1+2⁻²⁹) the
// unfused result is 0 (x·y rounds to 1+2⁻²⁹), the fused one 2⁻⁶⁰. Such a build resizes as imaging
// built the same way does, which rounds some crop values otherwise: the cache key says so
// (buildFuses).
func goFuses() bool {
	x := 1 + 0x1p-30
	return mulAdd(x, x, -(1+0x1p-29)) != 0
}

//go:noinline
func mulAdd(x, y, z float64) float64 { return x*y + z }

// buildFuses is goFuses, asked once; a variable for the tests.
var buildFuses = goFuses()

package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStackRowsYGuardPages runs stackRowsY and stackBiasY (through
// stackRowsAVX2Go, with rows apart and with tight rows) on operands of
// their exact minimum lengths, each ending on a PROT_NONE page
// (guardSlice), at every run of 1 to 16 lanes (pw + w ≤ 16, pw 0 to 3),
// 1 to 3 rows and 1 to 4 runs a row, with −0 and NaN among the values,
// strides not multiples of 8: no read or write past any of them faults,
// and each gives the Go loops' bits
// (stackRows's with noStackRows; biasRows's for stackBiasY, with and
// without the ReLU's floor), positions between runs untouched.
func TestStackRowsYGuardPages(t *testing.T) {
	if !stackRowsAVX2 {
		t.Skip("no AVX2 without AVX-512 here: the kernels do not run")
	}
	rng := rand.New(rand.NewPCG(13, 6))
	same := func(what string, w, pw, rows, nb int, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s w %d pw %d rows %d nb %d: element %d = %v, Go %v", what, w, pw, rows, nb, i, got[i], want[i])
			}
		}
	}
	for _, tight := range []bool{false, true} {
		for pw := 0; pw <= 3; pw++ {
			for w := 1; w+pw <= 16; w++ {
				for rows := 1; rows <= 3; rows++ {
					for nb := 1; nb <= 4; nb++ {
						// Images side by side (rows apart), then in blocks of
						// tight rows (stackRowsAVX2Go's whole stores).
						dr, di := nb*(w+pw)+3, w+pw
						sr, si := w+1, (w+1)*rows+5
						if tight {
							dr, di = w+pw, rows*(w+pw)+2
						}
						sn, dn := (rows-1)*sr+(nb-1)*si+w, (rows-1)*dr+(nb-1)*di+pw+w
						src := guardSlice(t, sn)
						for i := range src {
							switch src[i] = float32(rng.NormFloat64()); i % 11 {
							case 3:
								src[i] = float32(math.Copysign(0, -1))
							case 5:
								src[i] = float32(math.NaN())
							}
						}
						dst, want := guardSlice(t, dn), make([]float32, dn)
						for i := range dst {
							dst[i], want[i] = float32(math.NaN()), float32(math.NaN())
						}
						noStackRows = true
						stackRows(want, dr, di, src, sr, si, w, pw, rows, nb)
						noStackRows = false
						stackRowsAVX2Go(dst, dr, di, src, sr, si, w, pw, rows, nb, false, 0, 0)
						same("stackRowsY", w, pw, rows, nb, dst, want)
						if pw > 0 {
							continue
						}
						for _, relu := range []bool{false, true} {
							floor := float32(math.Inf(-1))
							if relu {
								floor = 0
							}
							b := float32(rng.NormFloat64())
							if nb == 2 {
								b = float32(math.Copysign(0, -1)) // −0 + −0 stays −0
							}
							for i := range dst {
								dst[i], want[i] = float32(math.NaN()), float32(math.NaN())
							}
							for y := range rows {
								for i := range nb {
									noVec(func() {
										biasRows(want[y*dr+i*di:][:w], w, src[y*sr+i*si:][:w], w, 1, w, b, relu)
									})
								}
							}
							stackRowsAVX2Go(dst, dr, di, src, sr, si, w, 0, rows, nb, true, b, floor)
							same("stackBiasY", w, pw, rows, nb, dst, want)
						}
					}
				}
			}
		}
	}
}

// noVec runs f with the vector kernels off (the Go loops).
func noVec(f func()) {
	saved := vecOK
	vecOK = false
	defer func() { vecOK = saved }()
	f()
}

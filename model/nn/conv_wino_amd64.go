package nn

import "golang.org/x/sys/cpu"

// winoXformOK reports whether the AVX-512 transforms of conv_wino_amd64.s
// run here.
var winoXformOK = cpu.X86.HasAVX512F

// winoBT16 writes the 16 rows of V = (Bᵀ⊗Bᵀ)·D from D's 16 rows.
//
//go:noescape
func winoBT16(dst, src *float32, ld, n int)

// winoB16 writes the 16 rows of (Bᵀ⊗Bᵀ)ᵀ·dV from dV's 16 rows.
//
//go:noescape
func winoB16(dst, src *float32, ld, n int)

// winoAT4 writes the 4 rows of (Aᵀ⊗Aᵀ)·M from M's 16 rows.
//
//go:noescape
func winoAT4(dst, src *float32, ld, n int)

// winoA16 writes the 16 rows of (Aᵀ⊗Aᵀ)ᵀ·dY4 from dY4's 4 rows.
//
//go:noescape
func winoA16(dst, src *float32, ld, n int)

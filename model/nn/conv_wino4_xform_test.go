package nn

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// wino4Case is one of the four F(4×4, 3×3) transforms: its Go version, its
// rows in and out, and its dense Kronecker matrix (rows × kk) in float64.
type wino4Case struct {
	name     string
	goF      func(dst, src []float64, ld, n int)
	go32     func(dst, src []float32, ld, n int)
	rows, kk int
	kron     func() []float64
}

// wino4Kron returns the Kronecker product m⊗m (r·r × c·c) of the r×c
// matrix m, transposed when tr.
func wino4Kron(m [][]float64, tr bool) []float64 {
	r, c := len(m), len(m[0])
	out := make([]float64, r*r*c*c)
	for a := range r {
		for b := range r {
			for i := range c {
				for j := range c {
					v := m[a][i] * m[b][j]
					if tr {
						out[(i*c+j)*r*r+a*r+b] = v
					} else {
						out[(a*r+b)*c*c+i*c+j] = v
					}
				}
			}
		}
	}
	return out
}

func wino4Rows[M ~[6]float64](m []M) [][]float64 {
	out := make([][]float64, len(m))
	for i := range m {
		out[i] = m[i][:]
	}
	return out
}

func wino4Cases() []wino4Case {
	return []wino4Case{
		{"BT", wino4BTGo[float64], wino4BTGo[float32], 36, 36,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatBT[:]), false) }},
		{"B", wino4BGo[float64], wino4BGo[float32], 36, 36,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatBT[:]), true) }},
		{"AT", wino4ATGo[float64], wino4ATGo[float32], 16, 36,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatAT[:]), false) }},
		{"A", wino4AGo[float64], wino4AGo[float32], 36, 16,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatAT[:]), true) }},
	}
}

// wino4Fill sets s to random values of many scales with zeros of both
// signs among them.
func wino4Fill[T Float](rng *rand.Rand, s []T) {
	for i := range s {
		switch rng.IntN(8) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = T(math.Copysign(0, -1))
		default:
			s[i] = T(rng.NormFloat64() * math.Exp2(float64(rng.IntN(20)-10)))
		}
	}
}

// TestWino4XformGoMatchesKronecker checks each Go transform against the
// naive product of its dense 36×36 (or 16×36, 36×16) Kronecker matrix in
// float64, and that it leaves dst's columns past n alone.
func TestWino4XformGoMatchesKronecker(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 23))
	for _, tc := range wino4Cases() {
		m := tc.kron()
		for _, n := range []int{1, 5, 16, 37} {
			ld := n + 3
			src := make([]float64, tc.kk*ld)
			wino4Fill(rng, src)
			dst := make([]float64, tc.rows*ld)
			for i := range dst {
				dst[i] = 12345
			}
			tc.goF(dst, src, ld, n)
			for r := range tc.rows {
				for c := range ld {
					got := dst[r*ld+c]
					if c >= n {
						if got != 12345 {
							t.Fatalf("%s n=%d: row %d column %d past n written: %v", tc.name, n, r, c, got)
						}
						continue
					}
					var want, mag float64
					for k := range tc.kk {
						want += m[r*tc.kk+k] * src[k*ld+c]
						mag += math.Abs(m[r*tc.kk+k] * src[k*ld+c])
					}
					if math.Abs(got-want) > 1e-13*mag {
						t.Fatalf("%s n=%d: row %d column %d: %v, want %v", tc.name, n, r, c, got, want)
					}
				}
			}
		}
	}
}

// TestWino4XformAdjoint checks that the backward transforms are the
// transposes of the forward ones: ⟨Bᵀx, y⟩ = ⟨x, By⟩ and ⟨Aᵀx, y⟩ =
// ⟨x, Ay⟩ (in the Kronecker sense, over a block of columns).
func TestWino4XformAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 23))
	cs := wino4Cases()
	for _, pair := range [][2]wino4Case{{cs[0], cs[1]}, {cs[2], cs[3]}} {
		fwd, bwd := pair[0], pair[1]
		const n, ld = 21, 24
		x := make([]float64, fwd.kk*ld)
		y := make([]float64, fwd.rows*ld)
		wino4Fill(rng, x)
		wino4Fill(rng, y)
		fx := make([]float64, fwd.rows*ld)
		by := make([]float64, fwd.kk*ld)
		fwd.goF(fx, x, ld, n)
		bwd.goF(by, y, ld, n)
		dot := func(a, b []float64) (s, mag float64) {
			for i := range a {
				if i%ld < n {
					s += a[i] * b[i]
					mag += math.Abs(a[i] * b[i])
				}
			}
			return s, mag
		}
		l, lm := dot(fx, y)
		r, rm := dot(x, by)
		if math.Abs(l-r) > 1e-12*(lm+rm) {
			t.Errorf("%s/%s: ⟨Fx, y⟩ = %v, ⟨x, Fᵀy⟩ = %v", fwd.name, bwd.name, l, r)
		}
	}
}

// TestWino4Identity checks F(4×4, 3×3) itself on the Go transforms and
// the tables: Aᵀ[(G w Gᵀ) ⊙ (Bᵀ d B)]A is the 3×3 correlation of the
// 6×6 patch d with w (a 4×4 output), for a few patches in a block's
// columns, in float64.
func TestWino4Identity(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 23))
	const n, ld = 7, 9
	d := make([]float64, 36*ld)
	wino4Fill(rng, d)
	var w [3][3]float64
	for i := range 3 {
		for j := range 3 {
			w[i][j] = rng.NormFloat64()
		}
	}
	var u [6][6]float64 // G w Gᵀ
	for a := range 6 {
		for b := range 6 {
			for i := range 3 {
				for j := range 3 {
					u[a][b] += wino4MatG[a][i] * w[i][j] * wino4MatG[b][j]
				}
			}
		}
	}
	v := make([]float64, 36*ld)
	wino4BTGo(v, d, ld, n)
	for k := range 36 {
		for c := range n {
			v[k*ld+c] *= u[k/6][k%6]
		}
	}
	y := make([]float64, 16*ld)
	wino4ATGo(y, v, ld, n)
	for c := range n {
		for a := range 4 {
			for b := range 4 {
				var want, mag float64
				for i := range 3 {
					for j := range 3 {
						p := w[i][j] * d[((a+i)*6+b+j)*ld+c]
						want += p
						mag += math.Abs(p)
					}
				}
				if got := y[(4*a+b)*ld+c]; math.Abs(got-want) > 1e-12*(1+mag) {
					t.Fatalf("column %d output (%d, %d): %v, want %v", c, a, b, got, want)
				}
			}
		}
	}
}

// TestWino4XformFloat32 checks that the float32 Go transforms are the
// float64 ones rounded: within float32's relative precision of the sum of
// the magnitudes (1e-6, about 17 units of 2⁻²⁴). It logs the worst and the
// mean error in those units over 4000 columns of each transform (-v).
func TestWino4XformFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 23))
	for _, tc := range wino4Cases() {
		m := tc.kron()
		const n, ld = 4000, 4003
		src := make([]float32, tc.kk*ld)
		wino4Fill(rng, src)
		dst := make([]float32, tc.rows*ld)
		tc.go32(dst, src, ld, n)
		var worst, sum float64
		for r := range tc.rows {
			for c := range n {
				var want, mag float64
				for k := range tc.kk {
					p := m[r*tc.kk+k] * float64(src[k*ld+c])
					want += p
					mag += math.Abs(p)
				}
				got := float64(dst[r*ld+c])
				if math.Abs(got-want) > 1e-6*mag {
					t.Fatalf("%s: row %d column %d: %v, want %v", tc.name, r, c, got, want)
				}
				if mag > 0 {
					e := math.Abs(got-want) / mag / 0x1p-24
					worst = max(worst, e)
					sum += e
				}
			}
		}
		t.Logf("%s: error / (Σ|c·x| · 2⁻²⁴): worst %.2f, mean %.3f", tc.name, worst, sum/float64(tc.rows*n))
	}
}

// The AVX-512 kernels of conv_wino4_amd64.s are generated from the Go
// versions' 1-D passes (the loop bodies of wino4RowsBT and so on) by
// wino4Asm below (TestWino4AsmGenerated keeps the file in step;
// `go test ./model/nn -run Wino4AsmGenerated -wino4.gen` rewrites it).

var wino4Gen = flag.Bool("wino4.gen", false, "rewrite conv_wino4_amd64.s from wino4Asm")

// wino4Stmt is one statement of a 1-D pass's loop body (wino4RowsBT and
// so on in conv_wino4_xform.go): name := expr (a temporary) or yR[c] =
// expr (output R).
type wino4Stmt struct {
	name string // the temporary's name, or "" for an output
	out  int    // the output's row
	expr ast.Expr
}

// wino4PassBody parses conv_wino4_xform.go and returns the 1-D pass of a
// kernel as its Go version writes it: the number of inputs (the loads
// x0c, x1c, … := x0[c], x1[c], … that open the loop body), the number of
// outputs, and the statements that follow the loads. The generator runs
// exactly these operations, so the Go code is the one definition of the
// order.
func wino4PassBody(kernel string) (q, p int, body []wino4Stmt) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "conv_wino4_xform.go", nil, 0)
	if err != nil {
		panic(err)
	}
	fn := "wino4Rows" + strings.TrimPrefix(kernel, "wino4")
	var loop *ast.RangeStmt
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == fn {
			for _, st := range fd.Body.List {
				if r, ok := st.(*ast.RangeStmt); ok {
					loop = r
				}
			}
		}
	}
	if loop == nil {
		panic("wino4Asm: no loop in " + fn)
	}
	bad := func(n ast.Node) {
		panic(fmt.Sprintf("wino4Asm: %s: %s: not a load, a temporary or an output", fn, fset.Position(n.Pos())))
	}
	for i, st := range loop.Body.List {
		as, ok := st.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != len(as.Rhs) {
			bad(st)
		}
		if i == 0 { // the loads: xKc := xK[c], K = 0, 1, …
			for k, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); !ok || id.Name != fmt.Sprintf("x%dc", k) ||
					wino4Src(as.Rhs[k]) != fmt.Sprintf("x%d", k) {
					bad(l)
				}
			}
			q = len(as.Lhs)
			continue
		}
		if len(as.Lhs) != 1 {
			bad(st)
		}
		switch l := as.Lhs[0].(type) {
		case *ast.Ident:
			if as.Tok != token.DEFINE {
				bad(st)
			}
			body = append(body, wino4Stmt{name: l.Name, expr: as.Rhs[0]})
		case *ast.IndexExpr:
			var r int
			if _, err := fmt.Sscanf(wino4Src(l), "y%d", &r); err != nil || as.Tok != token.ASSIGN {
				bad(st)
			}
			body = append(body, wino4Stmt{out: r, expr: as.Rhs[0]})
			p = max(p, r+1)
		default:
			bad(st)
		}
	}
	return q, p, body
}

// wino4Src returns the slice's name of an index expression s[c], or "".
func wino4Src(e ast.Expr) string {
	ix, ok := e.(*ast.IndexExpr)
	if !ok {
		return ""
	}
	s, ok1 := ix.X.(*ast.Ident)
	c, ok2 := ix.Index.(*ast.Ident)
	if !ok1 || !ok2 || c.Name != "c" {
		return ""
	}
	return s.Name
}

// wino4Const returns the value of an integer constant expression (4, -4),
// and whether it is one.
func wino4Const(e ast.Expr) (float64, bool) {
	sign := 1.0
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		sign, e = -1, u.X
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, false
	}
	v, err := strconv.Atoi(lit.Value)
	if err != nil {
		return 0, false
	}
	return sign * float64(v), true
}

// wino4Product returns c and x of a product T(c*x) (the only kind the
// passes have), and whether e is one.
func wino4Product(e ast.Expr) (float64, ast.Expr, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return 0, nil, false
	}
	if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "T" {
		return 0, nil, false
	}
	m, ok := call.Args[0].(*ast.BinaryExpr)
	if !ok || m.Op != token.MUL {
		return 0, nil, false
	}
	c, ok := wino4Const(m.X)
	return c, m.Y, ok
}

// wino4Asm returns the text of conv_wino4_amd64.s.
func wino4Asm() string {
	var b strings.Builder
	b.WriteString(`// Code generated by wino4Asm in conv_wino4_xform_test.go; DO NOT EDIT.

#include "textflag.h"

// The F(4×4, 3×3) Winograd transforms (AVX-512), separable: per 16
// columns, a pass of the 1-D matrix along j for each group of input rows
// into a scratch, then the same pass along i from the scratch into dst.
// The scratch is dst's own 16 columns where it has the rows (wino4BT,
// wino4B, wino4A: the pass along i reads a column of rows whole before it
// writes them back), else 64-byte rows on the stack (wino4AT); measured,
// dst's rows took about 5 % less CPU time than the stack's.
//
// A pass runs the operations of its Go version's loop body (wino4RowsBT
// and so on in conv_wino4_xform.go, the factored sums) in their order:
// each + or − a VADDPS or VSUBPS, each product T(c*x) a VMULPS by c (2, 4,
// 8 or their negatives, exact), every result in a register of its own, no
// fused multiply-add; so the bits are the Go versions'. Rows at stride ld
// bytes in src and dst, which must not overlap; n is a multiple of 16
// (columns past the last whole 16 are left alone).
//
// Registers: DI dst, SI src, R8 ld, CX columns left, R9 3·ld, R10 5·ld,
// R11 6·ld, R12 18·ld, R13 30·ld, DX 12·ld, AX the source group, BX the
// destination column of rows; Z0-Z5 a pass's inputs (Z0-Z3 in wino4A's
// pass), its results in the registers after them, Z26 up the
// coefficients (results skip them).
//
// wino4BTP is wino4BT whose pass along j reads the patch rows from the
// gather's planes (winoGather4) instead of a block D: group i's six rows
// at stride lp bytes from src + (i mod 4)·6·lp + (i/4)·sh, DX lp, R12
// 3·lp and R13 5·lp in that pass (set again for the pass along i).
//
// wino4BP is wino4B whose pass along i writes the 16 rows 6i+j, i, j < 4,
// straight into the scatter's planes (winoScatter4) as 0 + x (the first
// term of winoScatter's sums into zeroed planes, the same bits): plane
// 4i+j at pl + (4i+j)·lp bytes, the other 20 rows into dst as wino4B.
// AX the plane column, R9 4·lp and R10 12·lp in that pass, Z31 zero, Z30
// the sum (set again for the pass along j).
//
// wino4ATY is wino4AT whose pass along i writes its 16 rows into a second
// stack scratch, which the block's end then biases (VADDPS b, VMAXPS
// floor: vbiasM's operations), records as mask bits where mrow > 0
// (vbiasM's comparison, one 16-bit store per row, rows mrow bytes apart)
// and interleaves into the output map y as winoInt4x does (the same
// permutation tables), each group of four tiles at y + 4·tab[g] bytes
// plus a·wo4 for output row a (winoPlaceAT). AX the table, BX the mask,
// R9 wo4, R10 mrow, R11 y's row, R12 a group's offset there; all the
// offsets set again for the next block.
`)
	for _, k := range []string{"wino4BT", "wino4B", "wino4AT", "wino4A", "wino4BTP", "wino4BP", "wino4ATY"} {
		wino4AsmKernel(&b, k)
	}
	b.WriteString(wino4IntTables)
	return b.String()
}

// wino4IntTables are wino4ATY's interleave tables: winoInt4x's wcInA and
// wcInB (conv_winocopy_amd64.s), as w4InA and w4InB.
var wino4IntTables = func() string {
	var b strings.Builder
	for _, t := range []struct {
		name string
		add  int
	}{{"w4InA", 0}, {"w4InB", 4}} {
		fmt.Fprintf(&b, "\n")
		for e := range 16 {
			fmt.Fprintf(&b, "DATA %s<>+%d(SB)/4, $%d\n", t.name, 4*e, e/4+t.add+8*(e%4))
		}
		fmt.Fprintf(&b, "GLOBL %s<>(SB), RODATA|NOPTR, $64\n", t.name)
	}
	return b.String()
}()

// wino4AsmKernel writes one kernel whose two passes run the loop body of
// its Go version's 1-D pass (wino4PassBody).
func wino4AsmKernel(b *strings.Builder, name string) {
	planes := name == "wino4BTP" // wino4BT reading the gather's planes
	scat := name == "wino4BP"    // wino4B writing the scatter's planes
	place := name == "wino4ATY"  // wino4AT biasing and placing into y
	name0 := name
	switch {
	case planes || scat:
		name0 = strings.TrimSuffix(name, "P")
	case place:
		name0 = "wino4AT"
	}
	q, p, body := wino4PassBody(name0) // inputs and outputs of a 1-D pass
	consts := map[float64]int{}
	var order []float64
	for _, st := range body {
		ast.Inspect(st.expr, func(n ast.Node) bool {
			if e, ok := n.(ast.Expr); ok {
				if c, _, ok := wino4Product(e); ok {
					if _, ok := consts[c]; !ok {
						consts[c] = 26 + len(order)
						order = append(order, c)
					}
				}
			}
			return true
		})
	}
	if len(order) > 6 {
		panic("wino4Asm: too many coefficients")
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, "\t"+format+"\n", a...) }
	inDst := p >= q
	switch {
	case planes:
		fmt.Fprintf(b, "\n// func %s(dst, src *float32, ld, lp, sh, n int)\n", name)
		fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-48\n", name)
	case scat:
		fmt.Fprintf(b, "\n// func %s(dst, src *float32, ld int, pl *float32, lp, n int)\n", name)
		fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-48\n", name)
	case place:
		fmt.Fprintf(b, "\n// func %s(y, src *float32, ld int, tab *int32, wo4 int, b, floor float32, "+
			"mk *uint8, mrow, n int)\n", name)
		fmt.Fprintf(b, "TEXT ·%s(SB), $%d-72\n", name, 64*p*q+64*p*p)
	case inDst:
		fmt.Fprintf(b, "\n// func %s(dst, src *float32, ld, n int)\n", name)
		fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-32\n", name)
	default:
		fmt.Fprintf(b, "\n// func %s(dst, src *float32, ld, n int)\n", name)
		fmt.Fprintf(b, "TEXT ·%s(SB), $%d-32\n", name, 64*p*q)
	}
	if place {
		w("MOVQ y+0(FP), DI")
	} else {
		w("MOVQ dst+0(FP), DI")
	}
	w("MOVQ src+8(FP), SI")
	w("MOVQ ld+16(FP), R8")
	switch {
	case place:
		w("MOVQ n+64(FP), CX")
	case planes || scat:
		w("MOVQ n+40(FP), CX")
	default:
		w("MOVQ n+24(FP), CX")
	}
	w("LEAQ (R8)(R8*2), R9")
	w("LEAQ (R8)(R8*4), R10")
	w("LEAQ (R9)(R9*1), R11")
	w("LEAQ (R11)(R11*2), R12")
	w("LEAQ (R11)(R11*4), R13")
	w("LEAQ (R9)(R9*1), DX")
	w("ADDQ DX, DX")
	for _, v := range order {
		w("MOVL $0x%08x, AX", math.Float32bits(float32(v)))
		w("VPBROADCASTD AX, Z%d // %v", consts[v], v)
	}
	if scat {
		w("VPXORD Z31, Z31, Z31")
	}
	if place {
		w("VBROADCASTSS b+40(FP), Z29")
		w("VBROADCASTSS floor+44(FP), Z30")
		w("VPXORD Z31, Z31, Z31")
	}
	w("JMP %s_check", name)
	fmt.Fprintf(b, "%s_loop:\n", name)
	// rowOff is the offset of row r·ld from a base register.
	rowOff := func(r int) string {
		off, ok := map[int]string{0: "", 1: "(R8*1)", 2: "(R8*2)", 3: "(R9*1)", 4: "(R8*4)",
			5: "(R10*1)", 6: "(R11*1)", 8: "(R8*8)", 12: "(DX*1)", 18: "(R12*1)", 24: "(R11*4)",
			30: "(R13*1)"}[r]
		if !ok {
			panic(fmt.Sprintf("wino4Asm: no offset for row %d", r))
		}
		return off
	}
	// pass emits one 1-D pass: inputs loaded by load(k) into Z0, Z1, …,
	// the statements of body in order (each + or − one VADDPS or VSUBPS,
	// each product T(c*x) one VMULPS, every result in a register of its
	// own), outputs stored by store(r, reg).
	pass := func(load func(k int) string, store func(r int, z string)) {
		env := map[string]string{}
		for k := range q {
			w("VMOVUPS %s, Z%d", load(k), k)
			env[fmt.Sprintf("x%dc", k)] = fmt.Sprintf("Z%d", k)
		}
		next := q
		fresh := func() string {
			if next == 26 {
				next += len(order) // the coefficients'
			}
			if next >= 32 || scat && next >= 30 || place && next >= 20 {
				panic("wino4Asm: too many results in " + name)
			}
			next++
			return fmt.Sprintf("Z%d", next-1)
		}
		var eval func(e ast.Expr) string
		eval = func(e ast.Expr) string {
			if c, x, ok := wino4Product(e); ok {
				xz := eval(x)
				z := fresh()
				w("VMULPS Z%d, %s, %s", consts[c], xz, z)
				return z
			}
			switch e := e.(type) {
			case *ast.ParenExpr:
				return eval(e.X)
			case *ast.Ident:
				if z, ok := env[e.Name]; ok {
					return z
				}
			case *ast.BinaryExpr:
				op := map[token.Token]string{token.ADD: "VADDPS", token.SUB: "VSUBPS"}[e.Op]
				if op == "" {
					break
				}
				x, y := eval(e.X), eval(e.Y)
				z := fresh()
				w("%s %s, %s, %s", op, y, x, z)
				return z
			}
			panic(fmt.Sprintf("wino4Asm: %s: %T is not a sum, a product T(c*x) or a name", name, e))
		}
		for _, st := range body {
			z := eval(st.expr)
			if st.name != "" {
				env[st.name] = z
			} else {
				store(st.out, z)
			}
		}
	}
	// The scratch of the pass along j is dst's own rows (rows g·p+r, the
	// layout of the output) where they hold it (p ≥ q), else the stack.
	w("MOVQ SI, AX")
	w("MOVQ DI, BX")
	if scat || place { // the pass along j's offsets again
		w("LEAQ (R8)(R8*2), R9")
		w("LEAQ (R8)(R8*4), R10")
	}
	if place {
		w("LEAQ (R9)(R9*1), R11")
		w("LEAQ (R11)(R11*2), R12")
		w("LEAQ (R11)(R11*4), R13")
		w("LEAQ (R9)(R9*1), DX")
		w("ADDQ DX, DX")
	}
	load := func(k int) string { return "(AX)" + rowOff(k) }
	if planes {
		w("MOVQ lp+24(FP), DX")
		w("LEAQ (DX)(DX*2), R12")
		w("LEAQ (DX)(DX*4), R13")
		load = func(k int) string {
			return "(AX)" + map[int]string{0: "", 1: "(DX*1)", 2: "(DX*2)", 3: "(R12*1)", 4: "(DX*4)",
				5: "(R13*1)"}[k]
		}
	}
	for g := range q {
		pass(load,
			func(r int, z string) {
				if inDst {
					w("VMOVUPS %s, (BX)%s", z, rowOff(r))
				} else {
					w("VMOVUPS %s, %d(SP)", z, 64*(g*p+r))
				}
			})
		switch {
		case g < q-1 && planes && g == 3: // group 4: plane group 0, a plane row down
			w("MOVQ sh+32(FP), AX")
			w("ADDQ SI, AX")
			w("LEAQ (BX)%s, BX", rowOff(p))
		case g < q-1 && planes: // the next plane group: 6·lp on
			w("LEAQ (AX)(R12*2), AX")
			w("LEAQ (BX)%s, BX", rowOff(p))
		case g < q-1:
			w("LEAQ (AX)%s, AX", rowOff(q))
			if inDst {
				w("LEAQ (BX)%s, BX", rowOff(p))
			}
		}
	}
	if planes { // the pass along i's offsets again
		w("LEAQ (R9)(R9*1), DX")
		w("ADDQ DX, DX")
		w("LEAQ (R11)(R11*2), R12")
		w("LEAQ (R11)(R11*4), R13")
	}
	w("MOVQ DI, BX")
	if scat {
		w("MOVQ pl+24(FP), AX")
		w("MOVQ lp+32(FP), R9")
		w("SHLQ $2, R9")
		w("LEAQ (R9)(R9*2), R10")
	}
	for c := range p {
		pass(func(k int) string {
			if inDst {
				return "(BX)" + rowOff(k*p)
			}
			return fmt.Sprintf("%d(SP)", 64*(k*p+c))
		},
			func(r int, z string) {
				if place {
					w("VMOVUPS %s, %d(SP)", z, 64*p*q+64*(r*p+c))
					return
				}
				if scat && r < 4 && c < 4 {
					w("VADDPS %s, Z31, Z30", z)
					w("VMOVUPS Z30, (AX)%s", map[int]string{0: "", 1: "(R9*1)", 2: "(R9*2)", 3: "(R10*1)"}[r])
					return
				}
				w("VMOVUPS %s, (BX)%s", z, rowOff(r*p))
			})
		if c < p-1 {
			w("ADDQ R8, BX")
			if scat && c < 3 {
				w("ADDQ lp+32(FP), AX")
			}
		}
	}
	if place {
		wino4PlaceEpilogue(b, name, 64*p*q)
	}
	w("ADDQ $64, SI")
	if !place {
		w("ADDQ $64, DI")
	}
	if scat {
		w("ADDQ $64, pl+24(FP)")
	}
	w("SUBQ $16, CX")
	fmt.Fprintf(b, "%s_check:\n", name)
	w("CMPQ CX, $16")
	w("JGE %s_loop", name)
	w("VZEROUPPER")
	w("RET")
}

// wino4PlaceEpilogue writes the end of wino4ATY's block: the 16 rows at
// off(SP) (row 4a+b), biased, their mask bits stored and interleaved into
// y, output row a at a time.
func wino4PlaceEpilogue(b *strings.Builder, name string, off int) {
	w := func(format string, a ...any) { fmt.Fprintf(b, "\t"+format+"\n", a...) }
	w("VMOVUPS w4InA<>(SB), Z20")
	w("VMOVUPS w4InB<>(SB), Z21")
	w("MOVQ tab+24(FP), AX")
	w("MOVQ mk+48(FP), BX")
	w("MOVQ wo4+32(FP), R9")
	w("MOVQ mrow+56(FP), R10")
	w("MOVQ DI, R11")
	for a := range 4 {
		for k := range 4 {
			w("VMOVUPS %d(SP), Z%d", off+64*(4*a+k), 4+k)
		}
		for k := range 4 {
			w("VADDPS Z29, Z%d, Z%d", 4+k, 4+k)
			w("VMAXPS Z%d, Z30, Z%d", 4+k, 4+k)
		}
		w("TESTQ R10, R10")
		w("JZ %s_nomask%d", name, a)
		for k := range 4 {
			w("VCMPPS $0x1e, Z31, Z%d, K1", 4+k)
			w("KMOVW K1, (BX)")
			w("ADDQ R10, BX")
		}
		fmt.Fprintf(b, "%s_nomask%d:\n", name, a)
		// winoInt4x's INT4: Z4–Z7 (lane i of Z(4+j) is element j of
		// group i) into the 16 groups of four in Z0–Z3.
		w("VSHUFF64X2 $0x44, Z5, Z4, Z8")
		w("VSHUFF64X2 $0xee, Z5, Z4, Z10")
		w("VSHUFF64X2 $0x44, Z7, Z6, Z9")
		w("VSHUFF64X2 $0xee, Z7, Z6, Z11")
		w("VMOVAPS Z20, Z0")
		w("VPERMI2PS Z9, Z8, Z0")
		w("VMOVAPS Z21, Z1")
		w("VPERMI2PS Z9, Z8, Z1")
		w("VMOVAPS Z20, Z2")
		w("VPERMI2PS Z11, Z10, Z2")
		w("VMOVAPS Z21, Z3")
		w("VPERMI2PS Z11, Z10, Z3")
		for k := range 4 {
			w("MOVLQSX %d(AX), R12", 4*k)
			w("VMOVUPS Z%d, (R11)(R12*4)", k)
		}
		if a < 3 {
			w("ADDQ R9, R11")
		}
	}
	w("ADDQ $16, tab+24(FP)")
	w("ADDQ $2, mk+48(FP)")
}

// TestWino4AsmGenerated checks that conv_wino4_amd64.s is wino4Asm's text
// (or rewrites it with -wino4.gen).
func TestWino4AsmGenerated(t *testing.T) {
	want := wino4Asm()
	if *wino4Gen {
		if err := os.WriteFile("conv_wino4_amd64.s", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("conv_wino4_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("conv_wino4_amd64.s is not wino4Asm's text: rerun with -wino4.gen")
	}
}

// wino4Kernel returns the AVX-512 kernel of a case.
func wino4Kernel(name string) func(dst, src *float32, ld, n int) {
	return map[string]func(dst, src *float32, ld, n int){
		"BT": wino4BT, "B": wino4B, "AT": wino4AT, "A": wino4A}[name]
}

// wino4Avx2Kernels are the AVX2 kernels of the cases (wino4BT2 and so on).
var wino4Avx2Kernels = map[string]func(dst, src *float32, ld, n int){
	"BT": wino4BT2, "B": wino4B2, "AT": wino4AT2, "A": wino4A2}

// TestWino4XformAsmBits checks that each AVX-512 kernel gives the bits of
// its Go version, on inputs of many scales with zeros of both signs, at
// widths that are and are not multiples of 16 and strides ld ≠ n, and
// that it writes nothing past its last whole 16 columns nor in the rows
// before and after its output rows (sentinel rows around dst).
func TestWino4XformAsmBits(t *testing.T) {
	if !wino4XformOK {
		t.Skip("no AVX-512 here: the kernels do not run")
	}
	rng := rand.New(rand.NewPCG(10, 23))
	for _, tc := range wino4Cases() {
		kern := wino4Kernel(tc.name)
		for _, nl := range [][2]int{{5, 9}, {16, 16}, {16, 21}, {32, 80}, {48, 53}, {37, 40},
			{256, 304}, {256, 256}, {272, 272}, {272, 301}, {1000, 1011}} {
			n, ld := nl[0], nl[1]
			n16 := n &^ 15
			src := make([]float32, tc.kk*ld)
			wino4Fill(rng, src)
			want := make([]float32, tc.rows*ld)
			const guard = 2 // sentinel rows before and after dst
			all := make([]float32, (guard+tc.rows+guard)*ld)
			got := all[guard*ld : (guard+tc.rows)*ld]
			const sentinel = 0x7fc0beef
			for i := range all {
				all[i] = math.Float32frombits(sentinel)
			}
			tc.go32(want, src, ld, n16)
			kern(&got[0], &src[0], 4*ld, n)
			for i, v := range all {
				if r := i/ld - guard; (r < 0 || r >= tc.rows) && math.Float32bits(v) != sentinel {
					t.Fatalf("%s n=%d ld=%d: row %d (outside dst's %d rows) column %d written",
						tc.name, n, ld, r, tc.rows, i%ld)
				}
			}
			for r := range tc.rows {
				for c := range ld {
					g := math.Float32bits(got[r*ld+c])
					if c >= n16 {
						if g != sentinel {
							t.Fatalf("%s n=%d ld=%d: row %d column %d past %d written", tc.name, n, ld, r, c, n16)
						}
						continue
					}
					if w := math.Float32bits(want[r*ld+c]); g != w {
						t.Fatalf("%s n=%d ld=%d: row %d column %d: %v (%#x), Go %v (%#x)",
							tc.name, n, ld, r, c, got[r*ld+c], g, want[r*ld+c], w)
					}
				}
			}
		}
	}
}

// BenchmarkWino4Xform times each F(4×4, 3×3) transform as its AVX-512
// kernel, its AVX2 kernel and its Go version on a block of n columns with rows at
// stride ld = n+48 (off multiples of 256, as winoStride sets them): n =
// 64 (16 KB in and 16 KB out, in the 48 KB L1), n = 256 (64 channels of 4
// tiles, or 4 of 64: 44 KB in and out, in L2), n = 4096 (in L2) and n =
// 16384 (64 channels of 256 tiles: 2.4 MB in and out, past L2). MB/s
// counts the rows read and written; cpu-ns/op (cpuLoop) and cpu-ns/col,
// the process's CPU time per call and per column (one channel's tile),
// are steadier than the wall time on the shared cores.
func BenchmarkWino4Xform(b *testing.B) {
	for _, n := range []int{64, 256, 4096, 16384} {
		ld := n + 48
		src := make([]float32, 36*ld)
		dst := make([]float32, 36*ld)
		wino4Fill(rand.New(rand.NewPCG(11, 23)), src)
		for _, tc := range wino4Cases() {
			for _, how := range []string{"asm", "avx2", "go"} {
				b.Run(fmt.Sprintf("%s/n=%d/%s", tc.name, n, how), func(b *testing.B) {
					if how == "asm" && !wino4XformOK {
						b.Skip("no AVX-512 here")
					}
					kern := wino4Kernel(tc.name)
					if how == "avx2" {
						if !cpu.X86.HasAVX2 {
							b.Skip("no AVX2 here")
						}
						how, kern = "asm", wino4Avx2Kernels[tc.name]
					}
					b.SetBytes(int64(4 * n * (tc.rows + tc.kk)))
					c0 := cpuTime()
					cpuLoop(b, 0, func() {
						if how == "asm" {
							kern(&dst[0], &src[0], 4*ld, n)
						} else {
							tc.go32(dst, src, ld, n)
						}
					})
					b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/float64(n), "cpu-ns/col")
				})
			}
		}
	}
}

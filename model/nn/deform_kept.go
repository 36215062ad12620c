package nn

// keptTables holds the sampling tables (sampleTable's base, wts, fy, fx,
// md and vv) of every image of a training Forward, so that Backward reads
// them instead of computing them again: the table was built twice an
// image, once in each pass (about 12 % of the deformable conv2's CPU at
// 64×64). Each image's share is written by the Forward's fill of that
// image; Backward attaches the worker's table to it and pads the image
// again (cheaper to redo than the table, and as large: C values a padded
// pixel against 36 bytes a (pixel, tap)).
//
// Memory: 36 bytes (float32) per output pixel and tap per image, 42 MB for
// 32 crops of 64×64 with one offset group; a batch whose tables would
// exceed keptTablesLimit entries is not kept (Backward recomputes).
type keptTables[T Float] struct {
	base           []int32
	wts            []T // 4 per entry
	fy, fx, md, vv []T
	m              int      // entries per image
	gen            uint64   // the Forward whose tables these are (0: none)
	done           []uint64 // per image: gen once its table is filled
}

// keptTablesLimit bounds the entries (output pixels × taps × groups ×
// batch) whose tables a Forward keeps.
const keptTablesLimit = 4 << 20

// prepare readies the store for Forward gen of geometry g: with keep off
// or a batch too large it lets go of the memory and keeps nothing.
func (k *keptTables[T]) prepare(g geom, groups int, gen uint64, keep bool) {
	m := groups * g.k() * g.p()
	n := m * g.B
	if !keep || n > keptTablesLimit {
		*k = keptTables[T]{}
		return
	}
	k.m, k.gen = m, gen
	k.base = grow(k.base, n)
	k.wts = grow(k.wts, 4*n)
	k.fy, k.fx, k.md, k.vv = grow(k.fy, n), grow(k.fx, n), grow(k.md, n), grow(k.vv, n)
	k.done = grow(k.done, g.B)
	clear(k.done)
}

// attach points t's table at image b's share (capacity limited, so that
// nothing grows into a neighbour's).
func (k *keptTables[T]) attach(t *sampleTable[T], b int) {
	lo, hi := b*k.m, (b+1)*k.m
	t.base = k.base[lo:hi:hi]
	t.wts = k.wts[4*lo : 4*hi : 4*hi]
	t.fy, t.fx = k.fy[lo:hi:hi], k.fx[lo:hi:hi]
	t.md, t.vv = k.md[lo:hi:hi], k.vv[lo:hi:hi]
	t.view = true
}

// filled records that image b's table of Forward gen is complete.
func (k *keptTables[T]) filled(gen uint64, b int) {
	if k.gen == gen && gen != 0 {
		k.done[b] = gen
	}
}

// has reports whether image b's table of Forward gen is kept.
func (k *keptTables[T]) has(gen uint64, b int) bool {
	return gen != 0 && k.gen == gen && b < len(k.done) && k.done[b] == gen
}

// detach gives t its own table slices again after it was attached to a
// kept share (a later fill must not write into the store).
func (t *sampleTable[T]) detach() {
	if t.view {
		t.base, t.wts, t.fy, t.fx, t.md, t.vv = nil, nil, nil, nil, nil, nil
		t.view = false
	}
}

package torchfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// This file is the one reader of the pickles in torch.save archives (data.pkl). It is a small
// pickle machine of its own, not a general unpickler: it knows the opcodes that torch.save writes
// (protocols 2 to 5), builds only plain values, dictionaries, lists, tuples, storages and tensors,
// and runs in bounded time and memory on any input. It replaces gopickle, which allocated whatever
// a length claimed before reading it (a 143-byte file with a BINUNICODE8 length of 2^45 ran out of
// memory), and whose values our code walked recursively (a dict holding itself overflowed the
// stack: a fatal error that recover cannot catch).
//
// Every length is checked against the bytes that remain before anything is allocated; the stack,
// the memo, and the number of containers and of their elements are capped. Nothing, here or in the
// callers, walks a value recursively (a dict that holds itself, or two that hold each other, or a
// chain nested a million deep, are values like others): that, not a depth limit, is what keeps deep
// nesting safe. A container's depth is recorded when elements are put in it and nesting beyond
// maxDepth so built is refused, which stops the plain pile of nested wrappers early; but it is no
// bound on the depth of the values built, since a container filled after it was put in another
// (through the memo) does not raise the depth of the one that holds it. A callable other than the
// tensor rebuilder, the storage classes and collections.OrderedDict is refused when its name is
// read (ErrForbidden), before anything else happens, as torch.load's weights_only mode does.

// Limits of the pickle machine. A state dict of one of our nets uses a few hundred containers,
// nested 4 deep.
const (
	maxStack      = 1 << 16 // items on the stack, marks included
	maxMemo       = 1 << 20 // memo entries
	maxContainers = 1 << 20 // dicts, lists, tuples, tensors and storages made
	maxElements   = 1 << 23 // elements put in them, all together
	maxDepth      = 64      // nesting as recorded when filled (not a bound: see above)
	maxRank       = 16      // dimensions of a tensor
	maxNameLen    = 256     // a GLOBAL's module or name
)

// pickle values: nil, bool, int, float64, string, []byte, *pyDict, *pyList, pyTuple, *pyGlobal,
// *pyStorage, *pyTensor.
type (
	pyMark  struct{}
	pyTuple struct {
		items []any
		depth int
	}
	pyList struct {
		items []any
		depth int
	}
	// pyDict is a dict or an OrderedDict: its items in insertion order.
	pyDict struct {
		keys, vals []any
		depth      int
	}
	// pyGlobal is a class or function the machine may call.
	pyGlobal struct{ module, name string }
	// pyStorage is a torch storage: a record of the archive, of n values of dtype.
	pyStorage struct {
		key   string
		dtype string
		width int
		n     int
		data  []byte // little-endian, n*width bytes
	}
	pyTensor struct {
		st     *pyStorage
		offset int
		size   []int
		stride []int
	}
)

// storageTypes maps the storage classes of torch.save to our dtype names and element widths.
var storageTypes = map[string]struct {
	dtype string
	width int
}{
	"torch.FloatStorage":    {"F32", 4},
	"torch.DoubleStorage":   {"F64", 8},
	"torch.HalfStorage":     {"F16", 2},
	"torch.BFloat16Storage": {"BF16", 2},
	"torch.LongStorage":     {"I64", 8},
	"torch.IntStorage":      {"I32", 4},
	"torch.ShortStorage":    {"I16", 2},
	"torch.CharStorage":     {"I8", 1},
	"torch.ByteStorage":     {"U8", 1},
}

// findGlobal answers the names a pickle may reach: the tensor rebuilder, the storage classes and
// OrderedDict.
func findGlobal(module, name string) (*pyGlobal, error) {
	full := module + "." + name
	if _, ok := storageTypes[full]; ok || full == "torch._utils._rebuild_tensor_v2" || full == "collections.OrderedDict" {
		return &pyGlobal{module, name}, nil
	}
	return nil, fmt.Errorf("%w: %s (only tensors and dictionaries may be rebuilt)", ErrForbidden, clip(full))
}

// storageLoader returns the storage a persistent id names, reading its record; class is its storage
// class.
type storageLoader func(key string, dtype string, width, n int) (*pyStorage, error)

// unpickler is the machine's state.
type unpickler struct {
	b          []byte
	pos        int
	stack      []any
	marks      []int
	memo       map[uint32]any
	containers int
	elements   int
	load       storageLoader
}

// errorf makes a damaged-pickle error at the current opcode.
func (u *unpickler) errorf(format string, args ...any) error {
	return fmt.Errorf("data.pkl: byte %d: "+format, append([]any{u.pos}, args...)...)
}

// unpickle runs the pickle in b to its STOP and returns the value it leaves.
func unpickle(b []byte, load storageLoader) (any, error) {
	u := &unpickler{b: b, memo: map[uint32]any{}, load: load}
	v, err := u.run()
	if err != nil {
		if errors.Is(err, ErrForbidden) {
			return nil, err
		}
		if strings.HasPrefix(err.Error(), "data.pkl") || strings.HasPrefix(err.Error(), "storage ") {
			return nil, err
		}
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	return v, nil
}

// take returns the next n bytes, refusing a length beyond what remains (before anything is
// allocated).
func (u *unpickler) take(n uint64) ([]byte, error) {
	if n > uint64(len(u.b)-u.pos) {
		return nil, u.errorf("a length of %d bytes with %d left (a damaged or hostile file)", n, len(u.b)-u.pos)
	}
	s := u.b[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return s, nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	s, err := u.take(uint64(n))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v, nil
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= maxStack {
		return u.errorf("more than %d items on the pickle stack", maxStack)
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, u.errorf("pop from an empty stack")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, u.errorf("empty stack")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the items above the last mark and removes them and the mark.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, u.errorf("no mark on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := u.stack[m:]
	u.stack = u.stack[:m]
	return items, nil
}

// made counts a new container with n elements.
func (u *unpickler) made(n int) error {
	u.containers++
	if u.containers > maxContainers {
		return u.errorf("more than %d containers", maxContainers)
	}
	return u.added(n)
}

// added counts n elements put into containers.
func (u *unpickler) added(n int) error {
	u.elements += n
	if u.elements > maxElements {
		return u.errorf("more than %d elements in containers", maxElements)
	}
	return nil
}

// depthOf is the nesting depth of a value: 0 for a scalar.
func depthOf(v any) int {
	switch c := v.(type) {
	case *pyTuple:
		return c.depth
	case *pyList:
		return c.depth
	case *pyDict:
		return c.depth
	}
	return 0
}

// nest raises a container's depth for a new element, refusing a container that would hold itself
// and nesting beyond maxDepth.
func (u *unpickler) nest(depth *int, self any, elems ...any) error {
	for _, e := range elems {
		if e == self {
			return u.errorf("a %s that holds itself", describe(self))
		}
		if d := depthOf(e) + 1; d > *depth {
			*depth = d
		}
	}
	if *depth > maxDepth {
		return u.errorf("containers nested more than %d deep", maxDepth)
	}
	return nil
}

func (u *unpickler) newTuple(items []any) (any, error) {
	if err := u.made(len(items)); err != nil {
		return nil, err
	}
	t := &pyTuple{items: append([]any(nil), items...)}
	if err := u.nest(&t.depth, t, items...); err != nil {
		return nil, err
	}
	return t, nil
}

func (u *unpickler) setItems(d any, kv []any) error {
	dict, ok := d.(*pyDict)
	if !ok {
		return u.errorf("SETITEM on a %s", describe(d))
	}
	if len(kv)%2 != 0 {
		return u.errorf("an odd number of items for a dict")
	}
	if err := u.added(len(kv)); err != nil {
		return err
	}
	if err := u.nest(&dict.depth, dict, kv...); err != nil {
		return err
	}
	for i := 0; i < len(kv); i += 2 {
		dict.keys = append(dict.keys, kv[i])
		dict.vals = append(dict.vals, kv[i+1])
	}
	return nil
}

func (u *unpickler) appendItems(l any, items []any) error {
	list, ok := l.(*pyList)
	if !ok {
		return u.errorf("APPEND to a %s", describe(l))
	}
	if err := u.added(len(items)); err != nil {
		return err
	}
	if err := u.nest(&list.depth, list, items...); err != nil {
		return err
	}
	list.items = append(list.items, items...)
	return nil
}

func (u *unpickler) put(i uint32) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	if _, ok := u.memo[i]; !ok && len(u.memo) >= maxMemo {
		return u.errorf("more than %d memo entries", maxMemo)
	}
	u.memo[i] = v
	return nil
}

func (u *unpickler) get(i uint32) error {
	v, ok := u.memo[i]
	if !ok {
		return u.errorf("memo entry %d was never set", i)
	}
	return u.push(v)
}

func (u *unpickler) str(n uint64) (string, error) {
	s, err := u.take(n)
	return string(s), err
}

// run executes opcodes to STOP.
func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.b) {
			return nil, u.errorf("no STOP (a truncated pickle)")
		}
		op := u.b[u.pos]
		u.pos++
		var err error
		switch op {
		case 0x80: // PROTO
			var p uint64
			if p, err = u.uint(1); err == nil && p > 5 {
				err = u.errorf("pickle protocol %d", p)
			}
		case 0x95: // FRAME: a hint of the next frame's length, checked against what remains
			var n uint64
			if n, err = u.uint(8); err == nil && n > uint64(len(u.b)-u.pos) {
				err = u.errorf("a frame of %d bytes with %d left", n, len(u.b)-u.pos)
			}
		case '.': // STOP
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		case '(': // MARK
			if len(u.marks) >= maxStack {
				return nil, u.errorf("more than %d marks", maxStack)
			}
			u.marks = append(u.marks, len(u.stack))
		case '0': // POP
			_, err = u.pop()
		case '1': // POP_MARK
			_, err = u.popMark()
		case '2': // DUP
			var v any
			if v, err = u.top(); err == nil {
				err = u.push(v)
			}
		case 'N':
			err = u.push(nil)
		case 0x88:
			err = u.push(true)
		case 0x89:
			err = u.push(false)
		case 'J': // BININT
			var v uint64
			if v, err = u.uint(4); err == nil {
				err = u.push(int(int32(uint32(v))))
			}
		case 'K': // BININT1
			var v uint64
			if v, err = u.uint(1); err == nil {
				err = u.push(int(v))
			}
		case 'M': // BININT2
			var v uint64
			if v, err = u.uint(2); err == nil {
				err = u.push(int(v))
			}
		case 0x8a, 0x8b: // LONG1, LONG4
			var n uint64
			if op == 0x8a {
				n, err = u.uint(1)
			} else {
				n, err = u.uint(4)
			}
			if err != nil {
				break
			}
			if n > 8 {
				err = u.errorf("an integer of %d bytes", n)
				break
			}
			var s []byte
			if s, err = u.take(n); err != nil {
				break
			}
			var v uint64
			for i := len(s) - 1; i >= 0; i-- {
				v = v<<8 | uint64(s[i])
			}
			if n > 0 && n < 8 && s[n-1]&0x80 != 0 {
				v -= 1 << (8 * n) // negative
			}
			err = u.push(int(int64(v)))
		case 'G': // BINFLOAT, big-endian
			var s []byte
			if s, err = u.take(8); err == nil {
				err = u.push(math.Float64frombits(binary.BigEndian.Uint64(s)))
			}
		case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
			w := map[byte]int{'X': 4, 0x8c: 1, 0x8d: 8}[op]
			var n uint64
			if n, err = u.uint(w); err != nil {
				break
			}
			var s string
			if s, err = u.str(n); err == nil {
				err = u.push(s)
			}
		case 'B', 'C', 0x8e, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
			w := map[byte]int{'B': 4, 'C': 1, 0x8e: 8, 0x96: 8}[op]
			var n uint64
			if n, err = u.uint(w); err != nil {
				break
			}
			var s []byte
			if s, err = u.take(n); err == nil {
				err = u.push(append([]byte(nil), s...))
			}
		case ')': // EMPTY_TUPLE
			var t any
			if t, err = u.newTuple(nil); err == nil {
				err = u.push(t)
			}
		case 't': // TUPLE
			var items []any
			if items, err = u.popMark(); err != nil {
				break
			}
			var t any
			if t, err = u.newTuple(items); err == nil {
				err = u.push(t)
			}
		case 0x85, 0x86, 0x87: // TUPLE1..3
			n := int(op - 0x84)
			if len(u.stack) < n || (len(u.marks) > 0 && len(u.stack)-n < u.marks[len(u.marks)-1]) {
				err = u.errorf("TUPLE%d on a stack of %d", n, len(u.stack))
				break
			}
			items := u.stack[len(u.stack)-n:]
			var t any
			if t, err = u.newTuple(items); err == nil {
				u.stack = u.stack[:len(u.stack)-n]
				err = u.push(t)
			}
		case ']': // EMPTY_LIST
			if err = u.made(0); err == nil {
				err = u.push(&pyList{})
			}
		case 'l': // LIST
			var items []any
			if items, err = u.popMark(); err != nil {
				break
			}
			l := &pyList{}
			if err = u.made(0); err == nil {
				if err = u.appendItems(l, items); err == nil {
					err = u.push(l)
				}
			}
		case 'a': // APPEND
			var v, l any
			if v, err = u.pop(); err != nil {
				break
			}
			if l, err = u.top(); err == nil {
				err = u.appendItems(l, []any{v})
			}
		case 'e': // APPENDS
			var items []any
			if items, err = u.popMark(); err != nil {
				break
			}
			var l any
			if l, err = u.top(); err == nil {
				err = u.appendItems(l, items)
			}
		case '}': // EMPTY_DICT
			if err = u.made(0); err == nil {
				err = u.push(&pyDict{})
			}
		case 'd': // DICT
			var items []any
			if items, err = u.popMark(); err != nil {
				break
			}
			d := &pyDict{}
			if err = u.made(0); err == nil {
				if err = u.setItems(d, items); err == nil {
					err = u.push(d)
				}
			}
		case 's': // SETITEM
			if len(u.stack) < 3 || (len(u.marks) > 0 && len(u.stack)-3 < u.marks[len(u.marks)-1]) {
				err = u.errorf("SETITEM on a stack of %d", len(u.stack))
				break
			}
			kv := u.stack[len(u.stack)-2:]
			if err = u.setItems(u.stack[len(u.stack)-3], kv); err == nil {
				u.stack = u.stack[:len(u.stack)-2]
			}
		case 'u': // SETITEMS
			var items []any
			if items, err = u.popMark(); err != nil {
				break
			}
			var d any
			if d, err = u.top(); err == nil {
				err = u.setItems(d, items)
			}
		case 'q': // BINPUT
			var i uint64
			if i, err = u.uint(1); err == nil {
				err = u.put(uint32(i))
			}
		case 'r': // LONG_BINPUT
			var i uint64
			if i, err = u.uint(4); err == nil {
				err = u.put(uint32(i))
			}
		case 0x94: // MEMOIZE
			err = u.put(uint32(len(u.memo)))
		case 'h': // BINGET
			var i uint64
			if i, err = u.uint(1); err == nil {
				err = u.get(uint32(i))
			}
		case 'j': // LONG_BINGET
			var i uint64
			if i, err = u.uint(4); err == nil {
				err = u.get(uint32(i))
			}
		case 'c': // GLOBAL: "module\nname\n"
			var mod, name string
			if mod, err = u.line(); err != nil {
				break
			}
			if name, err = u.line(); err != nil {
				break
			}
			var g *pyGlobal
			if g, err = findGlobal(mod, name); err == nil {
				err = u.push(g)
			}
		case 0x93: // STACK_GLOBAL
			var n, m any
			if n, err = u.pop(); err != nil {
				break
			}
			if m, err = u.pop(); err != nil {
				break
			}
			mod, ok1 := m.(string)
			name, ok2 := n.(string)
			if !ok1 || !ok2 {
				err = u.errorf("STACK_GLOBAL of a %s and a %s", describe(m), describe(n))
				break
			}
			var g *pyGlobal
			if g, err = findGlobal(mod, name); err == nil {
				err = u.push(g)
			}
		case 'R': // REDUCE
			var args, fn any
			if args, err = u.pop(); err != nil {
				break
			}
			if fn, err = u.pop(); err != nil {
				break
			}
			var v any
			if v, err = u.reduce(fn, args); err == nil {
				err = u.push(v)
			}
		case 'b': // BUILD: an OrderedDict's state (state_dict's _metadata) is dropped
			var state, obj any
			if state, err = u.pop(); err != nil {
				break
			}
			if obj, err = u.top(); err != nil {
				break
			}
			if _, ok := obj.(*pyDict); !ok {
				err = u.errorf("BUILD of a %s", describe(obj))
			}
			_ = state
		case 'Q': // BINPERSID
			var pid any
			if pid, err = u.pop(); err != nil {
				break
			}
			var s *pyStorage
			if s, err = u.persistent(pid); err == nil {
				err = u.push(s)
			}
		default:
			return nil, u.errorf("unsupported pickle opcode 0x%02x", op)
		}
		if err != nil {
			return nil, err
		}
	}
}

// line reads a GLOBAL's newline-ended module or name.
func (u *unpickler) line() (string, error) {
	rest := u.b[u.pos:min(len(u.b), u.pos+maxNameLen+1)]
	i := strings.IndexByte(string(rest), '\n')
	if i < 0 {
		return "", u.errorf("a GLOBAL name longer than %d bytes, or unterminated", maxNameLen)
	}
	u.pos += i + 1
	return string(rest[:i]), nil
}

// reduce calls one of the three callables a state dict needs.
func (u *unpickler) reduce(fn, args any) (any, error) {
	g, ok := fn.(*pyGlobal)
	if !ok {
		return nil, u.errorf("REDUCE calls a %s", describe(fn))
	}
	t, ok := args.(*pyTuple)
	if !ok {
		return nil, u.errorf("REDUCE with a %s for arguments", describe(args))
	}
	switch g.module + "." + g.name {
	case "collections.OrderedDict":
		if len(t.items) != 0 {
			return nil, u.errorf("OrderedDict with %d arguments", len(t.items))
		}
		if err := u.made(0); err != nil {
			return nil, err
		}
		return &pyDict{}, nil
	case "torch._utils._rebuild_tensor_v2":
		return u.rebuildTensor(t.items)
	}
	return nil, u.errorf("%s.%s cannot be called", g.module, g.name)
}

// rebuildTensor checks _rebuild_tensor_v2's arguments (storage, storage_offset, size, stride,
// requires_grad, backward_hooks[, metadata]) and makes the tensor; its view is checked against the
// storage when it is read.
func (u *unpickler) rebuildTensor(a []any) (any, error) {
	if len(a) < 4 || len(a) > 7 {
		return nil, u.errorf("_rebuild_tensor_v2 with %d arguments", len(a))
	}
	st, ok := a[0].(*pyStorage)
	if !ok {
		return nil, u.errorf("_rebuild_tensor_v2 of a %s, not a storage", describe(a[0]))
	}
	off, ok := a[1].(int)
	if !ok || off < 0 {
		return nil, u.errorf("_rebuild_tensor_v2: storage offset %s", describeInt(a[1]))
	}
	size, err := u.ints(a[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := u.ints(a[3], "stride")
	if err != nil {
		return nil, err
	}
	if err := u.made(0); err != nil {
		return nil, err
	}
	return &pyTensor{st: st, offset: off, size: size, stride: stride}, nil
}

// ints reads a tuple of at most maxRank integers that are not negative.
func (u *unpickler) ints(v any, what string) ([]int, error) {
	t, ok := v.(*pyTuple)
	if !ok || len(t.items) > maxRank {
		return nil, u.errorf("tensor %s: a %s, not a tuple of at most %d integers", what, describe(v), maxRank)
	}
	out := make([]int, len(t.items))
	for i, x := range t.items {
		n, ok := x.(int)
		if !ok || n < 0 {
			return nil, u.errorf("tensor %s: %s at %d", what, describeInt(x), i)
		}
		out[i] = n
	}
	return out, nil
}

// persistent resolves a storage reference ("storage", class, key, location, numel).
func (u *unpickler) persistent(pid any) (*pyStorage, error) {
	t, ok := pid.(*pyTuple)
	if !ok || len(t.items) < 5 {
		return nil, u.errorf("persistent id is a %s, not a storage reference", describe(pid))
	}
	kind, _ := t.items[0].(string)
	class, classOK := t.items[1].(*pyGlobal)
	key, keyOK := t.items[2].(string)
	n, nOK := t.items[4].(int)
	if kind != "storage" || !classOK || !keyOK || !nOK || n < 0 {
		return nil, u.errorf("persistent id is not a storage reference")
	}
	typ, ok := storageTypes[class.module+"."+class.name]
	if !ok {
		return nil, u.errorf("storage of class %s.%s", class.module, class.name)
	}
	if key == "" || len(key) > maxNameLen || strings.ContainsAny(key, "/\\") || key == "." || key == ".." {
		return nil, u.errorf("storage key %s", quote(key))
	}
	return u.load(key, typ.dtype, typ.width, n)
}

// describe names a pickle value's kind, for errors: never its contents, which may be huge or hold
// themselves.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int:
		return "int"
	case float64:
		return "float"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case *pyTuple:
		return fmt.Sprintf("tuple of %d", len(v.items))
	case *pyList:
		return fmt.Sprintf("list of %d", len(v.items))
	case *pyDict:
		return fmt.Sprintf("dict of %d", len(v.keys))
	case *pyGlobal:
		return v.module + "." + v.name
	case *pyStorage:
		return "storage"
	case *pyTensor:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}

func describeInt(v any) string {
	if n, ok := v.(int); ok {
		return fmt.Sprint(n)
	}
	return "a " + describe(v)
}

// maxQuoted is how many bytes of a name an error quotes.
const maxQuoted = 80

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(s[:maxQuoted], ""), len(s))
}

// quote is %q of a name from a file, shortened for an error message.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q… (%d bytes)", strings.ToValidUTF8(s[:maxQuoted], ""), len(s))
}

// f16 converts an IEEE 754 half-precision value to float32, NaN and ±Inf included.
func f16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		if frac == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: frac × 2^-24.
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// shapeStr prints a shape for an error, at most 8 dimensions of it.
func shapeStr(shape []int) string {
	if len(shape) <= 8 {
		return fmt.Sprint(shape)
	}
	return fmt.Sprintf("%v… (%d dimensions)", shape[:8], len(shape))
}

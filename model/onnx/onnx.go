// Package onnx writes Deformscope's nets as ONNX models, so that a net
// trained here runs in ONNX Runtime, OpenVINO or any other runtime that
// reads the standard format.
//
// Each layer maps onto standard operators of the default domain at opset 19:
// a convolution is Conv (then Relu); the course study's deformable block is two Conv
// nodes (offset and modulator, with the block's parameter names), Clip for
// the offset clamp at ±max(H, W)/4 of the block's input, Sigmoid and Mul by 2
// for the DCNv2 mask, and DeformConv, which follows torchvision's layout as
// our engine does (DCNv1 leaves DeformConv's mask input out); max pooling is
// MaxPool, the global average pool is GlobalAveragePool then Flatten, and the
// classifier is Gemm. Weights are initializers named as the net's parameters
// (conv4.offset.weight, fc.bias, …). The graph's input "input" is
// N×C×H×W with a free batch size N and the net's training H×W (the clamp
// bound is a constant of that size); its output "logits" is N×classes.
// The model's metadata records the architecture and, when given, the run,
// model and epoch it came from.
//
// The file is an ONNX ModelProto in protocol-buffer wire format, written
// with google.golang.org/protobuf's protowire (already in the module graph
// through gorgonia): protowire gets tags, varints, lengths and fixed-width
// floats right, and the package only has to know ONNX's field numbers. The
// generated ONNX bindings (a protoc run or a third-party module with the
// whole of onnx.proto) would cost more than the dozen messages used here.
package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/nn"
)

// Opset is the version of the default ONNX operator set the models use; it
// is the first with DeformConv.
const Opset = 19

// IRVersion is the ONNX IR version of the files (9 goes with opset 19).
const IRVersion = 9

// InputName and OutputName name the graph's input and output.
const (
	InputName  = "input"
	OutputName = "logits"
)

// Info is where the net came from, for the model's metadata. Every field is
// optional.
type Info struct {
	Run   string // run folder
	Model string // model of the run ("dcnn-middle")
	Epoch int    // epoch of the checkpoint
}

// Encode returns net as an ONNX model. It fails on a layer that has no
// ONNX form here (none of our architectures has one).
func Encode(net *model.Net[float32], info Info) ([]byte, error) {
	g := &graph{names: map[string]bool{InputName: true}}
	x := InputName
	c, h, w := net.InC, net.InH, net.InW
	flat := false
	for _, l := range net.Layers {
		var err error
		switch l := l.(type) {
		case *nn.Conv2D[float32]:
			cfg := l.Config()
			x, err = g.conv(l.Name(), x, cfg, l.Weight, l.Bias)
			c = cfg.Out
			h, w = cfg.OutSize(h, w)
			if cfg.ReLU {
				x = g.node("Relu", l.Name()+".relu", []string{x})
			}
		case *nn.DeformBlock[float32]:
			x, err = g.deform(l, x, h, w)
			cfg := l.Regular.Config()
			c = cfg.Out
			h, w = cfg.OutSize(h, w)
		case *nn.ReLU[float32]:
			x = g.node("Relu", l.Name(), []string{x})
		case *nn.MaxPool2D[float32]:
			x = g.node("MaxPool", l.Name(), []string{x},
				attrInts("kernel_shape", l.K, l.K), attrInts("strides", l.K, l.K))
			h, w = h/l.K, w/l.K
		case *nn.GlobalAvgPool[float32]:
			x = g.node("GlobalAveragePool", l.Name(), []string{x})
			x = g.node("Flatten", l.Name()+".flatten", []string{x}, attrInt("axis", 1))
			flat = true
		case *nn.Flatten[float32]:
			x = g.node("Flatten", l.Name(), []string{x}, attrInt("axis", 1))
			c, flat = c*h*w, true
		case *nn.Dropout[float32]:
			// Dropout is the identity at inference.
		case *nn.Linear[float32]:
			if !flat || c != l.In {
				return nil, fmt.Errorf("onnx: %s: %s takes %d features, but the layers before it give %s", net.Arch, l.Name(), l.In, shapeText(flat, c, h, w))
			}
			wn, e1 := g.param(l.Weight)
			bn, e2 := g.param(l.Bias)
			if err = errors.Join(e1, e2); err == nil {
				x = g.node("Gemm", l.Name(), []string{x, wn, bn}, attrInt("transB", 1))
				c = l.Out
			}
		default:
			return nil, fmt.Errorf("onnx: %s: layer %s (%T) has no ONNX form", net.Arch, l.Name(), l)
		}
		if err != nil {
			return nil, fmt.Errorf("onnx: %s: %w", net.Arch, err)
		}
		if h <= 0 || w <= 0 {
			return nil, fmt.Errorf("onnx: %s: layer %s leaves no pixels of a %d×%d input", net.Arch, l.Name(), net.InH, net.InW)
		}
	}
	if !flat || c != net.Classes {
		return nil, fmt.Errorf("onnx: %s: the net ends in %s, not %d class logits", net.Arch, shapeText(flat, c, h, w), net.Classes)
	}
	// The last node's output becomes the graph's output.
	g.nodes[len(g.nodes)-1].out = OutputName

	var gm msg
	for _, n := range g.nodes {
		gm = gm.sub(graphNode, n.encode())
	}
	gm = gm.str(graphName, net.Arch)
	for _, t := range g.inits {
		gm = gm.sub(graphInitializer, t)
	}
	gm = gm.str(graphDoc, "Deformscope "+net.Arch)
	gm = gm.sub(graphInput, valueInfo(InputName, dimParam("N"), dimValue(net.InC), dimValue(net.InH), dimValue(net.InW)))
	gm = gm.sub(graphOutput, valueInfo(OutputName, dimParam("N"), dimValue(net.Classes)))

	var m msg
	m = m.i64(modelIRVersion, IRVersion)
	m = m.str(modelProducerName, "Deformscope")
	m = m.str(modelProducerVersion, "1")
	m = m.str(modelDoc, fmt.Sprintf("Deformscope %s: input %s N×%d×%d×%d (normalised as in training), output %s N×%d",
		net.Arch, InputName, net.InC, net.InH, net.InW, OutputName, net.Classes))
	m = m.sub(modelGraph, gm)
	m = m.sub(modelOpsetImport, msg(nil).str(opsetDomain, "").i64(opsetVersion, Opset))
	meta := [][2]string{{"arch", net.Arch}, {"classes", strconv.Itoa(net.Classes)},
		{"input", fmt.Sprintf("%d×%d×%d", net.InC, net.InH, net.InW)}}
	if info.Run != "" {
		meta = append(meta, [2]string{"run", info.Run})
	}
	if info.Model != "" {
		meta = append(meta, [2]string{"model", info.Model})
	}
	if info.Epoch > 0 {
		meta = append(meta, [2]string{"epoch", strconv.Itoa(info.Epoch)})
	}
	for _, kv := range meta {
		m = m.sub(modelMetadata, msg(nil).str(entryKey, kv[0]).str(entryValue, kv[1]))
	}
	return m, nil
}

func shapeText(flat bool, c, h, w int) string {
	if flat {
		return fmt.Sprintf("%d features", c)
	}
	return fmt.Sprintf("%d×%d×%d maps", c, h, w)
}

// WriteFile writes net as an ONNX model to path, atomically. A path that
// exists is refused (with an error that wraps fs.ErrExist) unless replace
// is true, and even then only a regular file (or a link to one) is
// replaced: never a folder (a run folder, say), a device or a FIFO.
func WriteFile(path string, net *model.Net[float32], info Info, replace bool) error {
	if err := checkDestination(path, replace); err != nil {
		return err
	}
	b, err := Encode(net, info)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// checkDestination refuses a destination that must not be replaced: the
// project's one rule (atomicfile.CheckDest: never over what is not a
// regular file; a symbolic link counts as what it points to), a folder
// with a message naming the file to give instead, and an existing file
// unless replace.
func checkDestination(path string, replace bool) error {
	if path == "" {
		return errors.New("onnx: no destination file given")
	}
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return fmt.Errorf("onnx: %s is a folder: name the .onnx file to write (such as %s)", path, filepath.Join(path, "model.onnx"))
	}
	if err := atomicfile.CheckDest(path); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	if err == nil && !replace {
		return fmt.Errorf("onnx: %s: %w: refusing to replace it", path, fs.ErrExist)
	}
	return nil
}

// graph collects nodes and initializers with unique value names.
type graph struct {
	nodes []node
	inits []msg
	names map[string]bool
}

// node is one operator: its type, name, input and output values and
// encoded attributes.
type node struct {
	op, name string
	in       []string
	out      string
	attrs    []msg
}

// value returns a fresh value name based on name.
func (g *graph) value(name string) string {
	v := name
	for i := 2; g.names[v]; i++ {
		v = name + "_" + strconv.Itoa(i)
	}
	g.names[v] = true
	return v
}

// node appends an operator named name and returns its output's name.
func (g *graph) node(op, name string, in []string, attrs ...msg) string {
	out := g.value(name)
	g.nodes = append(g.nodes, node{op: op, name: name, in: in, out: out, attrs: attrs})
	return out
}

// encode returns the NodeProto of n.
func (n node) encode() msg {
	var m msg
	for _, v := range n.in {
		m = m.str(nodeInput, v)
	}
	m = m.str(nodeOutput, n.out)
	m = m.str(nodeName, n.name)
	m = m.str(nodeOpType, n.op)
	for _, a := range n.attrs {
		m = m.sub(nodeAttribute, a)
	}
	return m
}

// param adds a parameter as an initializer named after it.
func (g *graph) param(p *nn.Param[float32]) (string, error) {
	if g.names[p.Name] {
		return "", fmt.Errorf("parameter %s appears twice", p.Name)
	}
	g.names[p.Name] = true
	g.inits = append(g.inits, tensor(p.Name, p.Value.Shape(), p.Value.Data()))
	return p.Name, nil
}

// scalar adds a float32 scalar initializer.
func (g *graph) scalar(name string, v float32) string {
	n := g.value(name)
	g.inits = append(g.inits, tensor(n, nil, []float32{v}))
	return n
}

// convAttrs are the geometry attributes Conv and DeformConv share.
func convAttrs(cfg nn.Conv2DConfig) []msg {
	st, dl := cfg.Stride, cfg.Dilation
	for i := range 2 {
		st[i], dl[i] = max(st[i], 1), max(dl[i], 1)
	}
	return []msg{attrInts("kernel_shape", cfg.Kernel[0], cfg.Kernel[1]), attrInts("strides", st[0], st[1]),
		attrInts("pads", cfg.Padding[0], cfg.Padding[1], cfg.Padding[0], cfg.Padding[1]), attrInts("dilations", dl[0], dl[1])}
}

// conv adds a Conv node reading x with weight w and bias b (b may be nil).
func (g *graph) conv(name, x string, cfg nn.Conv2DConfig, w, b *nn.Param[float32]) (string, error) {
	in := []string{x}
	for _, p := range []*nn.Param[float32]{w, b} {
		if p == nil {
			continue
		}
		n, err := g.param(p)
		if err != nil {
			return "", err
		}
		in = append(in, n)
	}
	return g.node("Conv", name, in, convAttrs(cfg)...), nil
}

// deform adds the course study's deformable block reading x, an h×w map.
func (g *graph) deform(b *nn.DeformBlock[float32], x string, h, w int) (string, error) {
	name := b.Name()
	ps := map[string]*nn.Param[float32]{}
	for _, p := range b.Params() {
		ps[strings.TrimPrefix(p.Name, name+".")] = p
	}
	reg := b.Regular
	cfg := reg.Config()
	side := cfg
	side.ReLU = false
	ow, ob := ps["offset.weight"], ps["offset.bias"]
	if ow == nil || ob == nil {
		return "", fmt.Errorf("deformable block %s has no offset convolution", name)
	}
	side.Out = ow.Value.Shape()[0]
	off, err := g.conv(name+".offset", x, side, ow, ob)
	if err != nil {
		return "", err
	}
	// The engine clamps at max(H, W)/4 of the block's input, in float32.
	limit := float32(max(h, w)) / 4
	lo, hi := g.scalar(name+".clamp_min", -limit), g.scalar(name+".clamp_max", limit)
	off = g.node("Clip", name+".offset_clamped", []string{off, lo, hi})
	mask := ""
	if mw, mb := ps["modulator.weight"], ps["modulator.bias"]; mw != nil && mb != nil {
		side.Out = mw.Value.Shape()[0]
		m, err := g.conv(name+".modulator", x, side, mw, mb)
		if err != nil {
			return "", err
		}
		m = g.node("Sigmoid", name+".modulator_sigmoid", []string{m})
		two := "two"
		if !g.names[two] {
			two = g.scalar(two, 2)
		}
		mask = g.node("Mul", name+".mask", []string{m, two})
	}
	wn, err := g.param(reg.Weight)
	if err != nil {
		return "", err
	}
	in := []string{x, wn, off, ""}
	if reg.Bias != nil {
		if in[3], err = g.param(reg.Bias); err != nil {
			return "", err
		}
	}
	if mask != "" {
		in = append(in, mask)
	} else if in[3] == "" {
		in = in[:3]
	}
	attrs := append(convAttrs(cfg), attrInt("group", 1), attrInt("offset_group", reg.Groups()))
	y := g.node("DeformConv", name+".regular", in, attrs...)
	if cfg.ReLU {
		y = g.node("Relu", name+".relu", []string{y})
	}
	return y, nil
}

// ONNX's field numbers (onnx/onnx.proto) for the messages written here.
const (
	modelIRVersion       protowire.Number = 1
	modelProducerName    protowire.Number = 2
	modelProducerVersion protowire.Number = 3
	modelDoc             protowire.Number = 6
	modelGraph           protowire.Number = 7
	modelOpsetImport     protowire.Number = 8
	modelMetadata        protowire.Number = 14

	opsetDomain  protowire.Number = 1
	opsetVersion protowire.Number = 2

	entryKey   protowire.Number = 1
	entryValue protowire.Number = 2

	graphNode        protowire.Number = 1
	graphName        protowire.Number = 2
	graphInitializer protowire.Number = 5
	graphDoc         protowire.Number = 10
	graphInput       protowire.Number = 11
	graphOutput      protowire.Number = 12

	nodeInput     protowire.Number = 1
	nodeOutput    protowire.Number = 2
	nodeName      protowire.Number = 3
	nodeOpType    protowire.Number = 4
	nodeAttribute protowire.Number = 5

	attrName      protowire.Number = 1
	attrI         protowire.Number = 3
	attrIntsField protowire.Number = 8
	attrType      protowire.Number = 20

	tensorDims     protowire.Number = 1
	tensorDataType protowire.Number = 2
	tensorName     protowire.Number = 8
	tensorRaw      protowire.Number = 9

	valueName protowire.Number = 1
	valueType protowire.Number = 2

	typeTensor      protowire.Number = 1
	typeTensorElem  protowire.Number = 1
	typeTensorShape protowire.Number = 2
	shapeDim        protowire.Number = 1
	dimValueField   protowire.Number = 1
	dimParamField   protowire.Number = 2
	attributeInt    int64            = 2 // AttributeProto.INT
	attributeInts   int64            = 7 // AttributeProto.INTS
	dataTypeFloat   int64            = 1 // TensorProto.FLOAT
)

// msg is an encoded protocol-buffer message under construction.
type msg []byte

func (m msg) str(n protowire.Number, s string) msg {
	return protowire.AppendString(protowire.AppendTag(m, n, protowire.BytesType), s)
}

func (m msg) i64(n protowire.Number, v int64) msg {
	return protowire.AppendVarint(protowire.AppendTag(m, n, protowire.VarintType), uint64(v))
}

func (m msg) sub(n protowire.Number, b msg) msg {
	return protowire.AppendBytes(protowire.AppendTag(m, n, protowire.BytesType), b)
}

// attrInt is an INT attribute.
func attrInt(name string, v int) msg {
	return msg(nil).str(attrName, name).i64(attrI, int64(v)).i64(attrType, attributeInt)
}

// attrInts is an INTS attribute, one field a value as onnx.proto (proto2,
// not packed) declares it.
func attrInts(name string, vs ...int) msg {
	m := msg(nil).str(attrName, name)
	for _, v := range vs {
		m = m.i64(attrIntsField, int64(v))
	}
	return m.i64(attrType, attributeInts)
}

// tensor is a float32 TensorProto with little-endian raw data.
func tensor(name string, dims []int, data []float32) msg {
	var m msg
	for _, d := range dims {
		m = m.i64(tensorDims, int64(d))
	}
	m = m.i64(tensorDataType, dataTypeFloat)
	m = m.str(tensorName, name)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return m.sub(tensorRaw, raw)
}

func dimValue(v int) msg    { return msg(nil).i64(dimValueField, int64(v)) }
func dimParam(s string) msg { return msg(nil).str(dimParamField, s) }
func valueInfo(name string, dims ...msg) msg {
	var shape msg
	for _, d := range dims {
		shape = shape.sub(shapeDim, d)
	}
	tt := msg(nil).i64(typeTensorElem, dataTypeFloat).sub(typeTensorShape, shape)
	return msg(nil).str(valueName, name).sub(valueType, msg(nil).sub(typeTensor, tt))
}

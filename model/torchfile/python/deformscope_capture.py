"""Records the deformable convolutions of any PyTorch model, for Deformscope to show.

    import deformscope_capture
    deformscope_capture.capture(model, x, "capture.safetensors")    # x: the model's input for one image

Then open the file in Deformscope (Offsets view, "Open capture...") or on the command line:
    dcn offsets --capture capture.safetensors --layer NAME --unit Y,X --group all --json

capture() runs model(x) once without gradients and records, in call order, every deformable convolution of these
families, each named by the path of its module ("backbone.layer3.1.conv2"; "#2", "#3" ... for further calls):

  torchvision  calls of torchvision.ops.deform_conv2d, made by torchvision.ops.DeformConv2d or directly through
               torchvision.ops.deform_conv2d (a name bound with "from torchvision.ops import deform_conv2d" before
               capture() is not seen; call it through the module);
  mmcv         mmcv's DeformConv2d(x, offset), ModulatedDeformConv2d(x, offset, mask), and the Pack modules
               ('DCN', 'DCNv2') that make their offsets with a `conv_offset` submodule (DCNv2: o1, o2, mask =
               chunk(conv_offset(x), 3, dim=1); offset = cat(o1, o2); mask = sigmoid(mask));
  dcnv3        InternImage's DCNv3 (submodules `offset`, `mask`, `dw_conv`; NHWC; its CUDA op or its pure-PyTorch
               core): `group` groups, (dx, dy) interleaved, taps x-major, masks softmaxed over each group's points,
               offset_scale, remove_center;
  dcnv4        DCNv4 (one `offset_mask` Linear; input (N, H*W, C)): per group 2K interleaved (dx, dy) then K mask
               values, the whole padded to a multiple of 8; no softmax; offset_scale, remove_center.

A family is known by what the module is (its class name and its submodules), so a layer copied into your own
repository is found as well as one from the installed library. A module whose class name looks deformable but
that matches no family is named in a warning. The model's output is not changed: the hooks only read.

Every layer is stored in one convention, torchvision's: offsets (1, 2*G*kh*kw, Ho, Wo), per group, taps
row-major (k = i*kw + j), (dy, dx) interleaved, in pixels relative to the regular grid (tap (i, j) of output
(h, w) samples y = h*stride - pad + i*dilation + dy); the mask (1, G*kh*kw, Ho, Wo) as applied (after sigmoid
or softmax). DCNv3 and DCNv4 scale their base grid by offset_scale too, so their stored offset is
(s - 1)(i*dilation - c) + s*d with c = dilation*(k - 1)//2; with remove_center the centre tap's offset and mask
are stored as 0 and the layer says remove_center. Fed to torchvision.ops.deform_conv2d, the stored offsets and
masks sample exactly where the layer sampled.

The file is safetensors: tensors "image" (1, C, H, W), "layer.N.offset" and "layer.N.mask" (absent for DCNv1 and
mmcv's DCN), all float32; the metadata "format" is "deformscope-capture/2" and "layers" is a JSON list of {"name",
"family", "in": [C, H, W], "out": [O, Ho, Wo], "kernel", "stride", "padding", "dilation": [h, w], "groups",
"remove_center", "offset_scale", "mask": bool} in call order (N is the index in that list). The image is x when x
has the shape (1, C, H, W); a model that takes something else (an NHWC tensor for a bare DCNv3 stack) is captured
with image= the picture as (1, C, H, W). Needs only torch and torchvision.
"""
import json
import os
import re
import struct
import warnings

import torch
import torch.nn.functional as F
import torchvision
import torchvision.ops.deform_conv as _dc

FORMAT = "deformscope-capture/2"
FAMILIES = ("torchvision", "mmcv", "dcnv3", "dcnv4")
_LOOKS_DEFORMABLE = re.compile(r"deform|dcn", re.IGNORECASE)


def _pair(v):
    return [int(v[0]), int(v[1])] if isinstance(v, (tuple, list)) else [int(v), int(v)]


def family_of(module):
    """The family a module belongs to, by its class name and submodules, or None."""
    name = type(module).__name__
    subs = dict(module.named_children())
    if isinstance(module, torchvision.ops.DeformConv2d):
        return None  # its deform_conv2d call is recorded as torchvision's
    if "offset_mask" in subs and hasattr(module, "group"):
        return "dcnv4"
    if "offset" in subs and "mask" in subs and hasattr(module, "group"):
        return "dcnv3"
    if "conv_offset" in subs and hasattr(module, "deform_groups"):
        return "mmcv-pack"
    if name in ("DeformConv2d", "ModulatedDeformConv2d") and hasattr(module, "deform_groups"):
        return "mmcv"
    return None


def _grid_delta(k, dil, s):
    """DCNv3/v4's base-grid scaling as a torchvision offset per tap index along one axis: (s-1)(t*dil - c)."""
    c = dil * (k - 1) // 2
    return torch.tensor([(s - 1.0) * (t * dil - c) for t in range(k)], dtype=torch.float64)


def convert_xmajor(off, mask, groups, kernel, dilation, offset_scale, remove_center):
    """DCNv3/v4 offsets (N, H, W, G, P, 2) as (dx, dy), x-major taps, and masks (N, H, W, G, P) to torchvision's
    offset (N, 2*G*kh*kw, H, W) and mask (N, G*kh*kw, H, W), float64."""
    kh, kw = kernel
    n, h, w = off.shape[:3]
    k = kh * kw
    taps = [(i, j) for j in range(kw) for i in range(kh)]  # point p: x index j outer, y index i inner
    if remove_center:
        taps = [t for t in taps if t != (kh // 2, kw // 2)]
    s = float(offset_scale)
    gy, gx = _grid_delta(kh, dilation[0], s), _grid_delta(kw, dilation[1], s)
    out_off = torch.zeros(n, groups, k, 2, h, w, dtype=torch.float64)
    out_mask = torch.zeros(n, groups, k, h, w, dtype=torch.float64)
    off = off.detach().cpu().double().permute(0, 3, 4, 5, 1, 2)  # N, G, P, 2, H, W (a GPU model's too)
    mask = mask.detach().cpu().double().permute(0, 3, 4, 1, 2)  # N, G, P, H, W
    for p, (i, j) in enumerate(taps):
        t = i * kw + j
        out_off[:, :, t, 0] = gy[i] + s * off[:, :, p, 1]
        out_off[:, :, t, 1] = gx[j] + s * off[:, :, p, 0]
        out_mask[:, :, t] = mask[:, :, p]
    return out_off.reshape(n, 2 * groups * k, h, w), out_mask.reshape(n, groups * k, h, w)


def _out_size(size, k, s, p, d):
    return (size + 2 * p - (d * (k - 1) + 1)) // s + 1


class _Recorder:
    def __init__(self, model):
        self.names = {m: n for n, m in model.named_modules()}
        self.stack, self.layers, self.tensors, self.counts = [], [], {}, {}
        self.pending = {}  # module -> what its sub-hooks saw
        self.suppress = 0  # inside a family module: its own torchvision calls are part of it
        self.seen_deformable = []

    def name(self, owner):
        self.counts[owner] = self.counts.get(owner, 0) + 1
        name = owner or "deform_conv2d"
        if self.counts[owner] > 1:
            name += "#%d" % self.counts[owner]
        return name

    def add(self, owner, family, c_in, hw_in, out, kernel, stride, padding, dilation, groups, offset, mask,
            remove_center=False, offset_scale=1.0):
        i = len(self.layers)
        self.layers.append({"name": self.name(owner), "family": family, "in": [int(c_in), int(hw_in[0]), int(hw_in[1])],
                            "out": [int(v) for v in out], "kernel": _pair(kernel), "stride": _pair(stride),
                            "padding": _pair(padding), "dilation": _pair(dilation), "groups": int(groups),
                            "remove_center": bool(remove_center), "offset_scale": float(offset_scale),
                            "mask": mask is not None})
        self.tensors["layer.%d.offset" % i] = offset[:1].detach().float()
        if mask is not None:
            self.tensors["layer.%d.mask" % i] = mask[:1].detach().float()

    # torchvision's deform_conv2d, patched in while capturing.
    def recording(self, original):
        def deform_conv2d(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), mask=None):
            out = original(input, offset, weight, bias, stride=stride, padding=padding, dilation=dilation, mask=mask)
            if self.suppress == 0:
                kh, kw = weight.shape[2], weight.shape[3]
                self.add(self.stack[-1] if self.stack else "", "torchvision", input.shape[1], input.shape[2:],
                         out.shape[1:], (kh, kw), stride, padding, dilation, offset.shape[1] // (2 * kh * kw),
                         offset, mask)
            return out
        return deform_conv2d

    def pre(self, module, inputs):
        name = self.names.get(module, "")
        self.stack.append(name)
        fam = family_of(module)
        if fam is not None:
            self.suppress += 1
            self.pending[module] = {"inputs": inputs}
        elif _LOOKS_DEFORMABLE.search(type(module).__name__) and not isinstance(module, torchvision.ops.DeformConv2d):
            self.seen_deformable.append((name, type(module).__name__, len(self.layers)))

    def post(self, module, inputs, output):
        self.stack.pop()
        fam = family_of(module)
        if fam is None:
            return
        self.suppress -= 1
        seen = self.pending.pop(module, {})
        owner = self.names.get(module, "")
        if fam in ("mmcv", "mmcv-pack"):
            self.add_mmcv(module, fam, owner, seen, output)
        elif fam == "dcnv3":
            self.add_dcnv3(module, owner, seen, output)
        else:
            self.add_dcnv4(module, owner, seen, output)

    def sub_hook(self, parent, key):
        def hook(_module, _inputs, output):
            if parent in self.pending:
                self.pending[parent][key] = output.detach()
        return hook

    def add_mmcv(self, m, fam, owner, seen, output):
        x = seen["inputs"][0]
        kernel, k = _pair(m.kernel_size), None
        k = kernel[0] * kernel[1]
        dg = int(m.deform_groups)
        if fam == "mmcv-pack":
            raw = seen.get("conv_offset")
            if raw is None:
                raise RuntimeError("capture: %s: its conv_offset was not called" % owner)
            if raw.shape[1] == 3 * dg * k:  # ModulatedDeformConv2dPack ('DCNv2')
                o1, o2, mask = torch.chunk(raw, 3, dim=1)
                offset, mask = torch.cat((o1, o2), dim=1), torch.sigmoid(mask)
            elif raw.shape[1] == 2 * dg * k:  # DeformConv2dPack ('DCN')
                offset, mask = raw, None
            else:
                raise RuntimeError("capture: %s: conv_offset gives %d channels, want 2 or 3 x %d groups x %d taps"
                                   % (owner, raw.shape[1], dg, k))
        else:
            offset = seen["inputs"][1]
            mask = seen["inputs"][2] if len(seen["inputs"]) > 2 else None
        self.add(owner, "mmcv", x.shape[1], x.shape[2:], output.shape[1:], kernel, m.stride, m.padding, m.dilation,
                 dg, offset, mask)

    def add_dcnv3(self, m, owner, seen, output):
        x = seen["inputs"][0]  # N, H, W, C
        if "offset" not in seen or "mask" not in seen:
            raise RuntimeError("capture: %s: its offset and mask Linears were not both called" % owner)
        n, h, w, c = x.shape
        g, rc, k = int(m.group), int(bool(getattr(m, "remove_center", False))), int(m.kernel_size)
        p = k * k - rc
        off = seen["offset"].reshape(n, h, w, g, p, 2)
        mask = F.softmax(seen["mask"].reshape(n, h, w, g, p).double(), -1)
        self._add_xmajor(m, owner, "dcnv3", x.shape[0], c, (h, w), output.shape[-1], off, mask, g, k, rc)

    def add_dcnv4(self, m, owner, seen, output):
        x = seen["inputs"][0]  # N, L, C
        shape = seen.get("shape")
        if "offset_mask" not in seen:
            raise RuntimeError("capture: %s: its offset_mask Linear was not called" % owner)
        n, length, c = x.shape
        h, w = (int(shape[0]), int(shape[1])) if shape is not None else (int(length ** 0.5), int(length ** 0.5))
        g, rc, k = int(m.group), int(bool(getattr(m, "remove_center", False))), int(m.kernel_size)
        p = k * k - rc
        om = seen["offset_mask"].reshape(n, h, w, -1)[..., :g * 3 * p].reshape(n, h, w, g, 3 * p)
        off = om[..., :2 * p].reshape(n, h, w, g, p, 2)
        mask = om[..., 2 * p:]
        self._add_xmajor(m, owner, "dcnv4", n, c, (h, w), output.shape[-1], off, mask, g, k, rc)

    def _add_xmajor(self, m, owner, family, n, c, hw, c_out, off, mask, g, k, rc):
        stride, pad, dil = _pair(m.stride), _pair(m.pad), _pair(m.dilation)
        ho = _out_size(hw[0], k, stride[0], pad[0], dil[0])
        wo = _out_size(hw[1], k, stride[1], pad[1], dil[1])
        if (ho, wo) != tuple(off.shape[1:3]):
            raise RuntimeError("capture: %s: offsets are %dx%d but the layer's output is %dx%d (stride %s)"
                               % (owner, off.shape[1], off.shape[2], ho, wo, stride))
        s = float(getattr(m, "offset_scale", 1.0))
        offset, mask = convert_xmajor(off, mask, g, (k, k), dil, s, rc)
        self.add(owner, family, c, hw, (c_out, ho, wo), (k, k), stride, pad, dil, g, offset, mask, rc, s)


class _Seeing:
    """A DCNv4 module's forward that tells the recorder the shape it was called with."""

    def __init__(self, rec, module, forward):
        self.rec, self.module, self.forward = rec, module, forward

    def __call__(self, input, shape=None, *args, **kwargs):
        if self.module in self.rec.pending:
            self.rec.pending[self.module]["shape"] = shape
        return self.forward(input, shape, *args, **kwargs)


def _seeing_shape(rec, module, forward):
    return _Seeing(rec, module, forward)


def capture(model, x, path, picture=None, image=None, output=None):
    """Runs model(x) for one image and writes every deformable convolution it calls to path.

    x is what the model takes for one image (batch 1); image, if given, is that image as (1, C, H, W), stored as
    "image" (default: x itself, which must then be (1, C, H, W)). picture, if given, is the image as a person sees
    it: a uint8 tensor (H, W, 3) or (H, W); it is stored as "picture" and shown instead of a rescaled image.
    output, if a list, gets the model's output appended (the same as without capture: the hooks only read).
    Returns the list of recorded layers' metadata. Raises ValueError when the model calls no deformable layer."""
    shown = x if image is None else image
    if shown.dim() != 4 or shown.shape[0] != 1:
        raise ValueError("capture: the image must have shape (1, C, H, W), got %s (give image=...)"
                         % (tuple(shown.shape),))
    rec = _Recorder(model)
    original = _dc.deform_conv2d
    patched = rec.recording(original)
    hooks = []
    for m in model.modules():
        hooks.append(m.register_forward_pre_hook(rec.pre))
        hooks.append(m.register_forward_hook(rec.post))
        fam = family_of(m)
        subs = {"mmcv-pack": ("conv_offset",), "dcnv3": ("offset", "mask"), "dcnv4": ("offset_mask",)}.get(fam, ())
        for key in subs:
            hooks.append(getattr(m, key).register_forward_hook(rec.sub_hook(m, key)))
        if fam == "dcnv4":
            # forward(input, shape=None): a keyword reaches no pre-hook in torch 1.x, so the module's own forward
            # is wrapped, on this instance only, to see it.
            m.forward = _seeing_shape(rec, m, m.forward)
    _dc.deform_conv2d = patched
    torchvision.ops.deform_conv2d = patched
    try:
        with torch.no_grad():
            y = model(x)
        if output is not None:
            output.append(y)
    finally:
        _dc.deform_conv2d = original
        torchvision.ops.deform_conv2d = original
        for h in hooks:
            h.remove()
        for m in model.modules():
            if isinstance(m.__dict__.get("forward"), _Seeing):
                del m.forward
    for name, cls, _ in rec.seen_deformable:
        inside = [l for l in rec.layers if l["name"] == name or l["name"].startswith(name + ".")
                  or l["name"].startswith(name + "#")]
        if not inside:
            warnings.warn("capture: %s (%s) looks like a deformable convolution but is none of the families "
                          "this script knows (%s): it is not recorded" % (name or "the model", cls, ", ".join(FAMILIES)))
    if not rec.layers:
        raise ValueError("capture: the model called no deformable convolution (torchvision, mmcv, DCNv3 or DCNv4)")
    rec.tensors["image"] = shown.detach().float()
    if picture is not None:
        rec.tensors["picture"] = picture.detach().to(torch.uint8)
    _write(path, rec.tensors, {"format": FORMAT, "layers": json.dumps(rec.layers)})
    return rec.layers


def _write(path, tensors, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    kinds = {torch.float32: "F32", torch.uint8: "U8"}
    for name, t in tensors.items():
        t = t.contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": kinds[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for c in chunks:
            f.write(c)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)

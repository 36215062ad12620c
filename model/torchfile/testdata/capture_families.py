"""Proves deformscope_capture.py faithful for every family it records (torchvision, mmcv, DCNv3, DCNv4).

Run by cmd/dcn's TestCaptureFamilies with Debian's python3-torch and python3-torchvision:
    /usr/bin/python3 model/torchfile/testdata/capture_families.py OUT_DIR
and, to write the fixture dcnv3_g4.safetensors that tests without PyTorch use:
    /usr/bin/python3 model/torchfile/testdata/capture_families.py --fixture model/torchfile/testdata/dcnv3_g4.safetensors
and the capture behind docs/offsets-capture-dcnv3.png (an untrained DCNv3-style stack on a COCO photo):
    /usr/bin/python3 model/torchfile/testdata/capture_families.py --photo ../shared/coco128/images/train2017/000000000034.jpg OUT

mmcv, InternImage and DCNv4 are not installable here, so the modules below are written from their documented
formulas (../shared/research/dcn-implementations.md), named and built as the real ones are so that the capture finds
them by class name and submodules: mmcv's DeformConv2d, ModulatedDeformConv2d and their Pack modules (conv_offset),
DCNv3 with a grid_sample core on CPU (offset, mask, dw_conv; NHWC; x-major taps, (dx, dy), softmax per group,
offset_scale scaling the base grid, remove_center), DCNv4 in plain PyTorch (offset_mask, padded to a multiple of 8,
no softmax; input (N, H*W, C) with shape=).

For each model the script checks, and fails (exit 1) unless within 1e-4:
  1. the model's output is the same with and without capture;
  2. torchvision's deform_conv2d fed the capture file's offsets and masks reproduces each layer's own output
     (the module's weights for torchvision/mmcv; a depth-wise all-ones weight over the DCNv3/v4 core's value
     input, which is what the core computes: per channel, the masked sum of its group's samples);
and writes OUT_DIR/cases.json: sampling points computed directly from each module's own sampling rule and the
offsets it used, for units of its last layers, depth 1 to 3, one group and all, for the Go test to compare with
`dcn offsets --capture ... --json`. It also records the error a model without deformable layers gets and the
warning an unknown deformable-looking module gets.
"""
import json
import math
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import deformscope_capture  # noqa: E402
from model import read_safetensors  # noqa: E402

TOL = 1e-4


# ---- torchvision: DeformConv2d modules fed by their own offset convolutions ----
class TVBlock(nn.Module):
    def __init__(self, c, g, stride, dil, modulated):
        super().__init__()
        self.offset = nn.Conv2d(c, 2 * g * 9, 3, stride, dil, dil)
        self.modulator = nn.Conv2d(c, g * 9, 3, stride, dil, dil) if modulated else None
        self.dcn = torchvision.ops.DeformConv2d(c, c, 3, stride, dil, dil)

    def forward(self, x):
        off = self.offset(x)
        mask = torch.sigmoid(self.modulator(x)) if self.modulator is not None else None
        self.used = (x, off, mask)
        return self.dcn(x, off, mask)


# ---- mmcv, from mmcv/ops/deform_conv.py and modulated_deform_conv.py's documented behaviour ----
class DeformConv2d(nn.Module):
    """mmcv's DeformConv2d(x, offset): offsets given, torchvision's layout, no mask."""

    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, groups=1, deform_groups=1):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = (k, k), (stride, stride), (padding, padding), (
            dilation, dilation)
        self.groups, self.deform_groups = groups, deform_groups
        self.weight = nn.Parameter(torch.randn(cout, cin // groups, k, k) * 0.2)
        self.bias = None

    def op(self, x, offset, mask):
        self.used = (x, offset, mask)
        return torchvision.ops.deform_conv2d(x, offset, self.weight, self.bias, self.stride, self.padding,
                                             self.dilation, mask)

    def forward(self, x, offset):
        return self.op(x, offset, None)


class ModulatedDeformConv2d(DeformConv2d):
    """mmcv's ModulatedDeformConv2d(x, offset, mask)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.bias = nn.Parameter(torch.randn(self.weight.shape[0]) * 0.1)

    def forward(self, x, offset, mask):
        return self.op(x, offset, mask)


class DeformConv2dPack(DeformConv2d):
    """mmcv's 'DCN': offsets from conv_offset."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        k = self.kernel_size[0]
        self.conv_offset = nn.Conv2d(self.weight.shape[1] * self.groups, self.deform_groups * 2 * k * k, k,
                                     self.stride, self.padding, self.dilation)

    def forward(self, x):
        return self.op(x, self.conv_offset(x), None)


class ModulatedDeformConv2dPack(ModulatedDeformConv2d):
    """mmcv's 'DCNv2': o1, o2, mask = chunk(conv_offset(x), 3); offset = cat(o1, o2); mask = sigmoid(mask)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        k = self.kernel_size[0]
        self.conv_offset = nn.Conv2d(self.weight.shape[1] * self.groups, self.deform_groups * 3 * k * k, k,
                                     self.stride, self.padding, self.dilation)

    def forward(self, x):
        o1, o2, mask = torch.chunk(self.conv_offset(x), 3, dim=1)
        return self.op(x, torch.cat((o1, o2), dim=1), torch.sigmoid(mask))


class GivenOffsets(nn.Module):
    """A user's block that makes offsets (and a mask) for mmcv's plain DeformConv2d / ModulatedDeformConv2d."""

    def __init__(self, c, g, modulated):
        super().__init__()
        self.make = nn.Conv2d(c, g * (3 if modulated else 2) * 9, 3, 1, 1)
        self.conv = (ModulatedDeformConv2d if modulated else DeformConv2d)(c, c, 3, 1, 1, 1, deform_groups=g)
        self.modulated, self.g = modulated, g

    def forward(self, x):
        raw = self.make(x)
        if self.modulated:
            return self.conv(x, raw[:, :2 * self.g * 9], torch.sigmoid(raw[:, 2 * self.g * 9:]))
        return self.conv(x, raw)


# ---- DCNv3 and DCNv4: their sampling rule ----
def xmajor_points(k, remove_center):
    """The points of a k×k kernel in DCNv3/v4's order: x index outer, y index inner; (i, j) = (row, column)."""
    pts = [(i, j) for j in range(k) for i in range(k)]
    if remove_center:
        pts.remove((k // 2, k // 2))
    return pts


def locations(off, ho, wo, k, stride, pad, dil, s, remove_center):
    """DCNv3/v4's sampling locations in input pixels: p0 − c·s + (t·dil + d)·s per axis, p0 = c − pad + o·stride,
    c = dil·(k−1)//2. off: (N, Ho, Wo, G, P, 2) as (dx, dy). Returns y, x of shape (N, Ho, Wo, G, P)."""
    c = dil * (k - 1) // 2
    pts = xmajor_points(k, remove_center)
    ti = torch.tensor([float(i) for i, _ in pts], dtype=off.dtype)
    tj = torch.tensor([float(j) for _, j in pts], dtype=off.dtype)
    oy = torch.arange(ho, dtype=off.dtype)[None, :, None, None, None] * stride
    ox = torch.arange(wo, dtype=off.dtype)[None, None, :, None, None] * stride
    y = oy + c - pad - c * s + (ti * dil + off[..., 1]) * s
    x = ox + c - pad - c * s + (tj * dil + off[..., 0]) * s
    return y, x


class DCNv3(nn.Module):
    """InternImage's DCNv3 (ops_dcnv3/modules/dcnv3.py's structure), with a grid_sample core on CPU."""

    def __init__(self, channels, kernel_size=3, stride=1, pad=1, dilation=1, group=4, offset_scale=1.0,
                 remove_center=False):
        super().__init__()
        self.channels, self.kernel_size, self.stride, self.pad, self.dilation = channels, kernel_size, stride, pad, dilation
        self.group, self.group_channels, self.offset_scale = group, channels // group, offset_scale
        self.remove_center = int(remove_center)
        p = kernel_size * kernel_size - self.remove_center
        self.dw_conv = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, groups=channels), ToLast(),
                                     nn.LayerNorm(channels), nn.GELU())
        self.offset = nn.Linear(channels, group * p * 2)
        self.mask = nn.Linear(channels, group * p)
        self.input_proj = nn.Linear(channels, channels)
        self.output_proj = nn.Linear(channels, channels)
        nn.init.normal_(self.offset.weight, std=0.6)
        nn.init.normal_(self.mask.weight, std=0.6)

    def forward(self, input):
        n, h, w, _ = input.shape
        x = self.input_proj(input)
        x1 = self.dw_conv(input.permute(0, 3, 1, 2))
        offset = self.offset(x1)
        mask = F.softmax(self.mask(x1).reshape(n, h, w, self.group, -1), -1)
        core = self.core(x, offset, mask)
        self.used = (x, offset, mask, core)
        return self.output_proj(core)

    def core(self, value, offset, mask):
        """grid_sample on the padded input, as dcnv3_core_pytorch does: normalised location (loc + ½)/size."""
        k, g, gc = self.kernel_size, self.group, self.group_channels
        n, h, w, c = value.shape
        padded = F.pad(value, (0, 0, self.pad, self.pad, self.pad, self.pad))
        hp, wp = h + 2 * self.pad, w + 2 * self.pad
        ho = (hp - (self.dilation * (k - 1) + 1)) // self.stride + 1
        wo = (wp - (self.dilation * (k - 1) + 1)) // self.stride + 1
        p = k * k - self.remove_center
        off = offset.reshape(n, ho, wo, g, p, 2)
        y, x = locations(off, ho, wo, k, self.stride, 0, self.dilation, self.offset_scale, self.remove_center)
        grid = torch.stack(((x + 0.5) / wp * 2 - 1, (y + 0.5) / hp * 2 - 1), -1)  # N, Ho, Wo, G, P, 2
        grid = grid.permute(0, 3, 1, 2, 4, 5).reshape(n * g, ho, wo * p, 2)
        v = padded.reshape(n, hp, wp, g, gc).permute(0, 3, 4, 1, 2).reshape(n * g, gc, hp, wp)
        sampled = F.grid_sample(v, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        sampled = sampled.reshape(n, g, gc, ho, wo, p)
        m = mask.reshape(n, ho, wo, g, p).permute(0, 3, 1, 2, 4)[:, :, None]
        return (sampled * m).sum(-1).reshape(n, c, ho, wo).permute(0, 2, 3, 1)


class ToLast(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1)


def bilinear_zero(v, y, x):
    """v (B, C, H, W) sampled at pixel positions y, x (B, Q), bilinear, zero outside: (B, C, Q)."""
    b, c, h, w = v.shape
    flat = v.reshape(b, c, h * w)
    y0, x0 = torch.floor(y), torch.floor(x)
    out = torch.zeros(b, c, y.shape[1], dtype=v.dtype)
    for dy in (0, 1):
        for dx in (0, 1):
            yy, xx = y0 + dy, x0 + dx
            wgt = (1 - (y - yy).abs()) * (1 - (x - xx).abs())
            ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            idx = (yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)).long()
            got = torch.gather(flat, 2, idx[:, None, :].expand(b, c, idx.shape[1]))
            out += got * (wgt * ok)[:, None, :]
    return out


class DCNv4(nn.Module):
    """DCNv4 (DCNv4_op/DCNv4/modules/dcnv4.py's structure) in plain PyTorch: one offset_mask Linear, per group
    2P interleaved (dx, dy) then P masks, padded to a multiple of 8, no softmax; input (N, H*W, C)."""

    def __init__(self, channels, kernel_size=3, stride=1, pad=1, dilation=1, group=4, offset_scale=1.0,
                 remove_center=False):
        super().__init__()
        self.channels, self.kernel_size, self.stride, self.pad, self.dilation = channels, kernel_size, stride, pad, dilation
        self.group, self.group_channels, self.offset_scale = group, channels // group, offset_scale
        self.remove_center = int(remove_center)
        self.K = group * (kernel_size * kernel_size - self.remove_center)
        self.offset_mask = nn.Linear(channels, int(math.ceil(self.K * 3 / 8) * 8))
        self.value_proj = nn.Linear(channels, channels)
        self.output_proj = nn.Linear(channels, channels)
        nn.init.normal_(self.offset_mask.weight, std=0.6)

    def forward(self, input, shape=None):
        n, length, c = input.shape
        h, w = shape if shape is not None else (int(length ** 0.5), int(length ** 0.5))
        x = self.value_proj(input).reshape(n, h, w, c)
        om = self.offset_mask(input).reshape(n, h, w, -1)
        k, g, gc = self.kernel_size, self.group, self.group_channels
        p = k * k - self.remove_center
        om = om[..., :g * 3 * p].reshape(n, h, w, g, 3 * p)
        off, mask = om[..., :2 * p].reshape(n, h, w, g, p, 2), om[..., 2 * p:]
        y, xx = locations(off, h, w, k, self.stride, self.pad, self.dilation, self.offset_scale, self.remove_center)
        v = x.reshape(n, h, w, g, gc).permute(0, 3, 4, 1, 2).reshape(n * g, gc, h, w)
        qy = y.permute(0, 3, 1, 2, 4).reshape(n * g, -1)
        qx = xx.permute(0, 3, 1, 2, 4).reshape(n * g, -1)
        s = bilinear_zero(v, qy, qx).reshape(n, g, gc, h, w, p)
        m = mask.permute(0, 3, 1, 2, 4)[:, :, None]
        core = (s * m).sum(-1).reshape(n, c, h, w).permute(0, 2, 3, 1)
        self.used = (x, off, mask, core)
        return self.output_proj(core.reshape(n, length, c))


class V4Stack(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):  # x: N, H, W, C
        n, h, w, c = x.shape
        y = x.reshape(n, h * w, c)
        for m in self.layers:
            y = m(y, shape=(h, w))
        return y


class NHWCStack(nn.Sequential):
    pass


# ---- the checks ----
def read_field(plane, y, x):
    ho, wo = plane.shape
    y = max(0.0, min(ho - 1.0, y))
    x = max(0.0, min(wo - 1.0, x))
    y0, x0 = int(math.floor(y)), int(math.floor(x))
    y1, x1 = min(y0 + 1, ho - 1), min(x0 + 1, wo - 1)
    ly, lx = y - y0, x - x0
    p = plane
    return float((1 - ly) * (1 - lx) * p[y0, x0] + (1 - ly) * lx * p[y0, x1] + ly * (1 - lx) * p[y1, x0] +
                 ly * lx * p[y1, x1])


def native_points(info, y, x, g):
    """Layer info's sampling points for output position (y, x), group g, in torchvision's tap order (row-major),
    by the layer's own rule from the offsets it used."""
    k, (sh, sw), (ph, pw), (dh, dw) = info["k"], info["stride"], info["pad"], info["dil"]
    out = []
    if info["kind"] == "tv":  # offset (2GK, Ho, Wo) as (dy, dx); mask (GK, Ho, Wo) or None
        off, mask = info["off"], info["mask"]
        for i in range(k):
            for j in range(k):
                t = g * k * k + i * k + j
                py = y * sh - ph + i * dh + read_field(off[2 * t], y, x)
                px = x * sw - pw + j * dw + read_field(off[2 * t + 1], y, x)
                wt = read_field(mask[t], y, x) if mask is not None else 1.0
                out.append((py, px, wt))
        return out
    off, mask, s, rc = info["off"], info["mask"], info["scale"], info["rc"]  # off (Ho, Wo, G, P, 2) (dx, dy)
    pts = xmajor_points(k, rc)
    c = dh * (k - 1) // 2
    for i in range(k):
        for j in range(k):
            if rc and (i, j) == (k // 2, k // 2):
                continue
            p = pts.index((i, j))
            dx, dy = read_field(off[:, :, g, p, 0], y, x), read_field(off[:, :, g, p, 1], y, x)
            py = y * sh + c - ph - c * s + (i * dh + dy) * s
            px = x * sw + c - pw - c * s + (j * dw + dx) * s
            out.append((py, px, read_field(mask[:, :, g, p], y, x)))
    return out


def reference(infos, at, uy, ux, depth, group):
    pts = [(float(uy), float(ux), 1.0)]
    for d in range(depth):
        i = at - d
        info = infos[i]
        if d > 0:
            nxt = infos[i + 1]
            ry, rx = info["out"][0] / nxt["in"][0], info["out"][1] / nxt["in"][1]
            pts = [((y + 0.5) * ry - 0.5, (x + 0.5) * rx - 0.5, w) for y, x, w in pts]
        # One group at the unit's own layer; below, every group made the map sampled.
        groups = range(info["groups"]) if group == "all" or d > 0 else [int(group)]
        nxt_pts = []
        for y, x, w in pts:
            for g in groups:
                nxt_pts += [(py, px, w * pw) for py, px, pw in native_points(info, y, x, g)]
        pts = nxt_pts
    return [[y, x, w] for y, x, w in pts]


def tv_info(m, x, off, mask):
    return {"kind": "tv", "k": m.kernel_size[0] if isinstance(m.kernel_size, tuple) else m.kernel_size,
            "stride": list(m.stride), "pad": list(m.padding), "dil": list(m.dilation),
            "groups": off.shape[1] // (2 * 9), "off": off[0].double(), "mask": None if mask is None else mask[0].double(),
            "in": list(x.shape[2:]), "out": list(off.shape[2:])}


def xm_info(m, off, mask, hw):
    return {"kind": "xm", "k": m.kernel_size, "stride": [m.stride] * 2, "pad": [m.pad] * 2, "dil": [m.dilation] * 2,
            "groups": m.group, "off": off[0].double(), "mask": mask[0].double(), "scale": m.offset_scale,
            "rc": bool(m.remove_center), "in": list(hw), "out": list(off.shape[1:3])}


def build(family, g, gen):
    c = 8
    if family == "torchvision":
        model = nn.Sequential(TVBlock(c, g, 1, 1, True), TVBlock(c, g, 2, 1, False), TVBlock(c, g, 1, 2, True))
    elif family == "mmcv":
        model = nn.Sequential(ModulatedDeformConv2dPack(c, c, 3, 1, 1, 1, deform_groups=g),
                              DeformConv2dPack(c, c, 3, 2, 1, 1, deform_groups=g),
                              GivenOffsets(c, g, True), GivenOffsets(c, g, False))
    elif family == "dcnv3":
        s = 1.0 if g == 1 else 0.5
        model = NHWCStack(DCNv3(c, group=g, offset_scale=s), DCNv3(c, pad=2, dilation=2, group=g),
                          DCNv3(c, group=g, remove_center=(g == 4), offset_scale=s))
    else:
        s = 1.0 if g == 1 else 0.5
        model = V4Stack([DCNv4(c, group=g, offset_scale=s), DCNv4(c, group=g, remove_center=(g == 4)),
                         DCNv4(c, group=g, pad=2, dilation=2, offset_scale=s)])
    if family in ("torchvision", "mmcv"):  # offsets of a pixel or two, as a trained layer has
        for name, p in model.named_parameters():
            if any(key in name for key in ("conv_offset", "make", ".offset.", "modulator")):
                p.data.normal_(0, 0.3, generator=gen)
    return model.eval()


def check_family(out_dir, family, g, gen):
    model = build(family, g, gen)
    h, w, c = 10, 12, 8
    img = torch.randn(1, c, h, w, generator=gen)
    x = img if family in ("torchvision", "mmcv") else img.permute(0, 2, 3, 1).contiguous()
    with torch.no_grad():
        plain = model(x)
    path = os.path.join(out_dir, "%s-g%d.safetensors" % (family, g))
    got = []
    layers = deformscope_capture.capture(model, x, path, image=img, output=got)
    if not torch.equal(plain, got[0]):
        raise SystemExit("%s g%d: the output changed under capture" % (family, g))
    with torch.no_grad():
        again = model(x)  # hooks gone, and the `used` records refreshed at the same input
    if not torch.equal(plain, again):
        raise SystemExit("%s g%d: the output changed after capture" % (family, g))
    tensors, meta = read_safetensors(path)
    mods = [m for m in model.modules() if isinstance(m, (TVBlock, DCNv3, DCNv4)) or
            (isinstance(m, DeformConv2d))]
    if len(mods) != len(layers):
        raise SystemExit("%s g%d: %d layers captured, the model has %d" % (family, g, len(layers), len(mods)))
    proofs, infos = [], []
    for n, (m, meta_l) in enumerate(zip(mods, layers)):
        if meta_l["family"] != family or meta_l["groups"] != g:
            raise SystemExit("%s g%d: layer %d recorded as %s with %d groups" % (family, g, n, meta_l["family"],
                                                                               meta_l["groups"]))
        off = tensors["layer.%d.offset" % n].double()
        mask = tensors.get("layer.%d.mask" % n)
        mask = None if mask is None else mask.double()
        st, pd, dl = meta_l["stride"], meta_l["padding"], meta_l["dilation"]
        if isinstance(m, (TVBlock, DeformConv2d)):
            conv = m.dcn if isinstance(m, TVBlock) else m
            xin, raw_off, raw_mask = m.used
            if isinstance(m, TVBlock):
                want = conv(xin, raw_off, raw_mask)
                weight, bias = conv.weight, conv.bias
            else:
                want = m.op(xin, raw_off, raw_mask)
                weight, bias = m.weight, m.bias
            have = torchvision.ops.deform_conv2d(xin.double(), off, weight.double(),
                                                 None if bias is None else bias.double(), st, pd, dl, mask)
            infos.append(tv_info(conv if isinstance(m, TVBlock) else m, xin, raw_off, raw_mask))
        else:
            value, raw_off, raw_mask, core = m.used
            k = m.kernel_size
            p = k * k - m.remove_center
            raw_off = raw_off.reshape(*raw_off.shape[:3], m.group, p, 2)
            ones = torch.ones(c, 1, k, k, dtype=torch.float64)
            have = torchvision.ops.deform_conv2d(value.permute(0, 3, 1, 2).double(), off, ones, None, st, pd, dl, mask)
            want = core.permute(0, 3, 1, 2)
            infos.append(xm_info(m, raw_off, raw_mask, (value.shape[1], value.shape[2])))
        diff = float((have - want.double()).abs().max())
        proofs.append({"layer": meta_l["name"], "diff": diff})
        if diff > TOL:
            raise SystemExit("%s g%d layer %s: torchvision with the converted offsets differs by %.3g"
                             % (family, g, meta_l["name"], diff))
    cases = []
    last = len(layers) - 1
    for at in (last, last - 1):
        ho, wo = infos[at]["out"]
        for unit in ((ho // 2, wo // 2), (ho - 1, 1)):
            for depth in range(1, min(3, at + 1) + 1):
                # All of 4 groups through 3 layers is 36³ points: depth 2 shows the composition as well.
                for group in (["all", "0"] if g == 1 else ["all", "2"] if depth < 3 else ["2"]):
                    cases.append({"file": path, "layer": layers[at]["name"], "unit": list(unit), "depth": depth,
                                  "group": group, "points": reference(infos, at, unit[0], unit[1], depth, group)})
    return proofs, cases


class MyDeformThing(nn.Module):
    """A deformable-looking module of no known family: capture names it in a warning."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, 1, 1)

    def forward(self, x):
        return self.conv(x)


def write_fixture(path):
    """dcnv3_g4.safetensors: two DCNv3 layers with 4 groups (the second with remove_center) on an 8×10 image;
    dcnv3_tiny.safetensors beside it: one layer with 2 groups on 3×4, for the fuzz target's seeds."""
    gen = torch.Generator().manual_seed(4)
    torch.manual_seed(4)
    model = NHWCStack(DCNv3(8, group=4), DCNv3(8, group=4, remove_center=True, offset_scale=0.5)).eval()
    img = torch.randn(1, 8, 8, 10, generator=gen)
    deformscope_capture.capture(model, img.permute(0, 2, 3, 1).contiguous(), path, image=img)
    # A tiny one for the fuzz target's seeds: one layer, 2 groups, 3×4.
    tiny = NHWCStack(DCNv3(2, group=2, remove_center=True)).eval()
    img = torch.randn(1, 2, 3, 4, generator=gen)
    deformscope_capture.capture(tiny, img.permute(0, 2, 3, 1).contiguous(), path.replace("g4", "tiny"), image=img)


class Stem(nn.Module):
    """A DCNv3-style stack on a photo: a convolution stem, then DCNv3 layers with 4 groups (NCHW in, NHWC inside)."""

    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, 1, 1)
        self.dcn1 = DCNv3(c, group=4)
        self.dcn2 = DCNv3(c, group=4)

    def forward(self, x):
        y = self.stem(x).permute(0, 2, 3, 1)
        return self.dcn2(torch.relu(self.dcn1(y)))


def write_photo(image_path, path, width=160):
    """The docs' screenshot capture: an untrained DCNv3-style stack (random weights) on a COCO photo."""
    import torchvision.io
    pic = torchvision.io.read_image(image_path, torchvision.io.ImageReadMode.RGB)
    h = round(pic.shape[1] * width / pic.shape[2])
    pic = F.interpolate(pic[None].float(), size=(h, width), mode="bilinear", align_corners=False)[0]
    pic = pic.round().clamp(0, 255)
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None] * 255
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None] * 255
    x = ((pic - mean) / std)[None]
    torch.manual_seed(34)
    model = Stem().eval()
    for m in (model.dcn1, model.dcn2):  # offsets of a few pixels, so that the groups' points part
        nn.init.normal_(m.offset.weight, std=1.5)
    deformscope_capture.capture(model, x, path, picture=pic.permute(1, 2, 0).to(torch.uint8))


def main():
    if sys.argv[1] == "--fixture":
        write_fixture(sys.argv[2])
        return
    if sys.argv[1] == "--photo":
        write_photo(sys.argv[2], sys.argv[3])
        return
    out_dir = sys.argv[1]
    gen = torch.Generator().manual_seed(22)
    torch.manual_seed(22)
    proofs, cases = {}, []
    for family in ("torchvision", "mmcv", "dcnv3", "dcnv4"):
        for g in (1, 4):
            p, c = check_family(out_dir, family, g, gen)
            proofs["%s-g%d" % (family, g)] = p
            cases += c
    plain = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    try:
        deformscope_capture.capture(plain, torch.randn(1, 3, 8, 8), os.path.join(out_dir, "plain.safetensors"))
        no_deform = ""
    except ValueError as e:
        no_deform = str(e)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        odd = nn.Sequential(MyDeformThing(), TVBlock(3, 1, 1, 1, True))
        deformscope_capture.capture(odd, torch.randn(1, 3, 8, 8), os.path.join(out_dir, "odd.safetensors"))
    json.dump({"proofs": proofs, "cases": cases, "no_deformable_error": no_deform,
               "warnings": [str(w.message) for w in caught]}, open(os.path.join(out_dir, "cases.json"), "w"))


if __name__ == "__main__":
    main()

"""Writes the PyTorch-bridge fixtures into model/torchfile/testdata/.

For each MNIST architecture (mnist-cnn, mnist-dcnn, mnist-dcnn-v1) and for one COCO architecture (coco-dcnn-middle,
10 classes; the COCO nets hold 300k parameters, so only one is kept): ARCH.pt (torch.save of the state dict),
ARCH.safetensors, and ARCH.json with the inputs and PyTorch's logits. The offset and modulator convolutions get
random non-zero weights so that the deformable layers really deform. MNIST inputs are test images 0-3, normalised
as in training; the COCO input is a real coco128 photo resized to 32x32 and normalised with ImageNet's statistics.

Bad input: other_net.pt (a torchvision-style state dict of another net) and evil.pt (a pickle that calls os.system).

A capture: toy_capture.safetensors, written by deformscope_capture.capture from a toy model with three
torchvision.ops.DeformConv2d layers (one with stride 2, one with dilation 2, one DCNv1; offsets from random offset
convolutions), and toy_capture.json with reference sampling points for depth 1 to 3, computed here independently of
the Go code by the rule in deformscope_capture's docs and the README.

Usage (Debian's python3-torch and python3-torchvision):
    /usr/bin/python3 model/testdata/make_bridge.py MNIST_DATA_DIR COCO_IMAGE [OUT_DIR]
"""
import gzip
import json
import math
import os
import struct
import sys

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "torchfile", "python"))
import model as dsmodel  # noqa: E402
import deformscope_capture  # noqa: E402

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def T(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def mnist_test(folder, n):
    with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    _, count, rows, cols = struct.unpack(">IIII", raw[:16])
    pix = torch.tensor(list(raw[16:16 + n * rows * cols]), dtype=torch.float32).reshape(n, 1, rows, cols)
    return (pix / 255.0 - MNIST_MEAN) / MNIST_STD


def coco_input(path, size):
    img = torchvision.io.read_image(path, torchvision.io.ImageReadMode.RGB).float() / 255.0
    img = torch.nn.functional.interpolate(img[None], size=(size, size), mode="bilinear", align_corners=False)[0]
    mean = torch.tensor(IMAGENET_MEAN).reshape(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).reshape(3, 1, 1)
    return ((img - mean) / std)[None]


def randomise_offsets(net, gen):
    with torch.no_grad():
        for n, p in net.named_parameters():
            if "offset_conv" in n or "modulator_conv" in n:
                p.copy_(torch.randn(p.shape, generator=gen) * (0.05 if p.dim() > 1 else 0.3))


def write_arch(out, arch, x, gen, classes=10, size=28, indices=None):
    torch.manual_seed(7)
    net = dsmodel.build(arch, classes)
    randomise_offsets(net, gen)
    net.eval()
    with torch.no_grad():
        logits = net(x)
    sd = net.state_dict()
    torch.save(sd, os.path.join(out, arch + ".pt"))
    dsmodel.write_safetensors(os.path.join(out, arch + ".safetensors"), sd)
    with open(os.path.join(out, arch + ".json"), "w") as f:
        json.dump({"arch": arch, "classes": classes, "size": size, "indices": indices, "input": T(x),
                   "logits": T(logits)}, f)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this pickle ran a command",))


class Toy(torch.nn.Module):
    """Three deformable layers: plain geometry, stride 2, dilation 2 (DCNv1), with a max pool between the last two."""

    def __init__(self, gen):
        super().__init__()
        specs = [("first", 3, 8, 1, 1, 1, True), ("down", 8, 8, 2, 1, 1, True), ("wide", 8, 8, 1, 2, 2, False)]
        self.names = []
        for name, cin, cout, stride, pad, dil, masked in specs:
            off = torch.nn.Conv2d(cin, 18, 3, stride, pad, dil)
            mod = torch.nn.Conv2d(cin, 9, 3, stride, pad, dil) if masked else None
            dcn = torchvision.ops.DeformConv2d(cin, cout, 3, stride, pad, dil)
            with torch.no_grad():
                off.weight.copy_(torch.randn(off.weight.shape, generator=gen) * 0.15)
                off.bias.copy_(torch.randn(18, generator=gen) * 0.8)
            setattr(self, name + "_offset", off)
            if mod is not None:
                setattr(self, name + "_mod", mod)
            setattr(self, name, dcn)
            self.names.append(name)

    def forward(self, x):
        for name in self.names:
            off = getattr(self, name + "_offset")(x)
            mod = getattr(self, name + "_mod", None)
            mask = None if mod is None else torch.sigmoid(mod(x))
            x = torch.relu(getattr(self, name)(x, off, mask))
            if name == "down":
                x = torch.nn.functional.max_pool2d(x, 2)
        return x


def read_field(plane, y, x):
    """Bilinear read of a (Ho, Wo) plane at a fractional unit position clamped to the map."""
    ho, wo = plane.shape
    y = max(0.0, min(ho - 1.0, y))
    x = max(0.0, min(wo - 1.0, x))
    y0, x0 = int(math.floor(y)), int(math.floor(x))
    y1, x1 = min(y0 + 1, ho - 1), min(x0 + 1, wo - 1)
    ly, lx = y - y0, x - x0
    p = plane.tolist()
    return ((1 - ly) * (1 - lx) * p[y0][x0] + (1 - ly) * lx * p[y0][x1] + ly * (1 - lx) * p[y1][x0] +
            ly * lx * p[y1][x1])


def reference_points(layers, offs, masks, at, uy, ux, depth, space, image_hw):
    """Sampling points of unit (uy, ux) of layer `at`'s output through `depth` captured layers (at, at-1, ...)."""
    pts = [(float(uy), float(ux), 1.0)]
    for d in range(depth):
        i = at - d
        L = layers[i]
        if d > 0:  # from the input map of layer i+1 to the output map of layer i
            nxt = layers[i + 1]
            ry, rx = L["out"][1] / nxt["in"][1], L["out"][2] / nxt["in"][2]
            pts = [((y + 0.5) * ry - 0.5, (x + 0.5) * rx - 0.5, w) for y, x, w in pts]
        kh, kw = L["kernel"]
        (sh, sw), (ph, pw), (dh, dw) = L["stride"], L["padding"], L["dilation"]
        nxt_pts = []
        for y, x, w in pts:
            for a in range(kh):
                for b in range(kw):
                    k = a * kw + b
                    py = y * sh - ph + a * dh + read_field(offs[i][2 * k], y, x)
                    px = x * sw - pw + b * dw + read_field(offs[i][2 * k + 1], y, x)
                    pw_ = w * (read_field(masks[i][k], y, x) if masks[i] is not None else 1.0)
                    nxt_pts.append((py, px, pw_))
        pts = nxt_pts
    if space == "image":
        L = layers[at - depth + 1]
        ry, rx = image_hw[0] / L["in"][1], image_hw[1] / L["in"][2]
        pts = [((y + 0.5) * ry - 0.5, (x + 0.5) * rx - 0.5, w) for y, x, w in pts]
    return [[y, x, w] for y, x, w in pts]


def write_capture(out, image_path, gen):
    torch.manual_seed(3)
    toy = Toy(gen).eval()
    x = coco_input(image_path, 24)
    path = os.path.join(out, "toy_capture.safetensors")
    layers = deformscope_capture.capture(toy, x, path)
    tensors, meta = dsmodel.read_safetensors(path)
    offs = [tensors["layer.%d.offset" % i][0] for i in range(len(layers))]
    masks = [tensors.get("layer.%d.mask" % i) for i in range(len(layers))]
    masks = [None if m is None else m[0] for m in masks]
    cases = []
    for at, (uy, ux) in [(2, (2, 3)), (2, (0, 5)), (1, (6, 4)), (0, (11, 17))]:
        for depth in range(1, at + 2):
            for space in ("map", "image"):
                cases.append({"layer": layers[at]["name"], "unit": [uy, ux], "depth": depth, "space": space,
                              "points": reference_points(layers, offs, masks, at, uy, ux, depth, space, (24, 24))})
    with open(os.path.join(out, "toy_capture.json"), "w") as f:
        json.dump({"layers": layers, "cases": cases}, f)


def main():
    mnist_dir, coco_image = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "..", "torchfile", "testdata")
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(2718)
    x = mnist_test(mnist_dir, 4)
    for arch in ("mnist-cnn", "mnist-dcnn", "mnist-dcnn-v1"):
        write_arch(out, arch, x, gen, indices=[0, 1, 2, 3])
    write_arch(out, "coco-dcnn-middle", coco_input(coco_image, 32), gen, classes=10, size=32)
    other = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    torch.save(other.state_dict(), os.path.join(out, "other_net.pt"))
    dsmodel.write_safetensors(os.path.join(out, "other_net.safetensors"), other.state_dict())
    torch.save({"conv1.weight": torch.zeros(1), "payload": Evil()}, os.path.join(out, "evil.pt"))
    write_capture(out, coco_image, gen)
    print("wrote the bridge fixtures to", out)


main()

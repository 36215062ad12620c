"""A Deformscope network as a PyTorch module, written by `dcn export --format pytorch`.

Needs only torch and torchvision. The classes use the names of the seed's PyTorch code (conv1 ... conv6, fc; a
deformable layer is a DeformableConv2d with offset_conv, modulator_conv and regular_conv), so that a state_dict of
these modules loads back into Deformscope with `dcn import --weights FILE --arch ARCH`.

    import model
    net = model.load_model("export_dir")        # eval mode, weights loaded
    logits = net(x)                             # x: (B, C, H, W), normalised as in config.json
"""
import json
import os
import struct

import torch
import torchvision


class DeformableConv2d(torch.nn.Module):
    """The seed's deformable block: an offset conv (C -> 2*kh*kw) and, for DCNv2, a modulator conv (C -> kh*kw), both
    zero-initialised so that the block starts as a plain convolution; offsets are clamped to +-max(H, W)/4 and the
    mask is 2*sigmoid(modulator). The deformable convolution is torchvision.ops.deform_conv2d."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=1, dcnv1=False):
        super().__init__()
        self.stride, self.padding = stride, padding
        k = kernel_size * kernel_size
        self.offset_conv = torch.nn.Conv2d(in_channels, 2 * k, kernel_size, stride, padding)
        torch.nn.init.zeros_(self.offset_conv.weight)
        torch.nn.init.zeros_(self.offset_conv.bias)
        self.modulator_conv = None
        if not dcnv1:
            self.modulator_conv = torch.nn.Conv2d(in_channels, k, kernel_size, stride, padding)
            torch.nn.init.zeros_(self.modulator_conv.weight)
            torch.nn.init.zeros_(self.modulator_conv.bias)
        self.regular_conv = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)

    def forward(self, x):
        h, w = x.shape[2:]
        lim = max(h, w) / 4.0
        offset = self.offset_conv(x).clamp(-lim, lim)
        mask = None if self.modulator_conv is None else 2.0 * torch.sigmoid(self.modulator_conv(x))
        return torchvision.ops.deform_conv2d(x, offset, self.regular_conv.weight, self.regular_conv.bias,
                                             stride=self.stride, padding=self.padding, mask=mask)


def _conv(cin, cout, deformable, dcnv1):
    if deformable:
        return DeformableConv2d(cin, cout, 3, 1, 1, dcnv1)
    return torch.nn.Conv2d(cin, cout, 3, 1, 1)


class MNISTNet(torch.nn.Module):
    """The seed's Scaled-MNIST net (1x28x28 in, 10 classes): conv1 pool conv2 pool conv3 conv4 conv5, global average
    pool, fc; 32 channels, 3x3 convolutions with padding 1, ReLU after each; conv4 and conv5 deformable in the DCNN."""

    def __init__(self, deformable=False, dcnv1=False):
        super().__init__()
        self.conv1 = _conv(1, 32, False, dcnv1)
        self.conv2 = _conv(32, 32, False, dcnv1)
        self.conv3 = _conv(32, 32, False, dcnv1)
        self.conv4 = _conv(32, 32, deformable, dcnv1)
        self.conv5 = _conv(32, 32, deformable, dcnv1)
        self.fc = torch.nn.Linear(32, 10)

    def forward(self, x):
        pool = torch.nn.functional.max_pool2d
        x = pool(torch.relu(self.conv1(x)), 2)
        x = pool(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.conv3(x))
        x = torch.relu(self.conv4(x))
        x = torch.relu(self.conv5(x))
        return self.fc(x.mean((2, 3)))


class COCONet(torch.nn.Module):
    """The 6-conv COCO crop classifier (3xSxS in): conv1 conv2 pool conv3 conv4 pool conv5 conv6 (32, 32, 64, 64, 128,
    128 channels), global average pool, fc; the deformable pair sits first (conv1, conv2), middle (conv3, conv4) or
    last (conv5, conv6), or nowhere ("none")."""

    def __init__(self, classes, placement="none", dcnv1=False):
        super().__init__()
        chans = [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]
        at = {"first": (1, 2), "middle": (3, 4), "last": (5, 6)}.get(placement, ())
        for i, (cin, cout) in enumerate(chans, 1):
            setattr(self, "conv%d" % i, _conv(cin, cout, i in at, dcnv1))
        self.fc = torch.nn.Linear(128, classes)

    def forward(self, x):
        pool = torch.nn.functional.max_pool2d
        for i in range(1, 7):
            x = torch.relu(getattr(self, "conv%d" % i)(x))
            if i in (2, 4):
                x = pool(x, 2)
        return self.fc(x.mean((2, 3)))


def build(arch, classes=10):
    """Builds an architecture by its Deformscope name: mnist-cnn, mnist-dcnn, coco-cnn, coco-dcnn-first|middle|last,
    each deformable one also with the suffix -v1 (DCNv1: no modulator)."""
    dcnv1 = arch.endswith("-v1")
    base = arch[:-3] if dcnv1 else arch
    if base in ("mnist-cnn", "mnist-dcnn"):
        return MNISTNet(base == "mnist-dcnn", dcnv1)
    if base == "coco-cnn":
        return COCONet(classes, "none", dcnv1)
    if base.startswith("coco-dcnn-"):
        return COCONet(classes, base[len("coco-dcnn-"):], dcnv1)
    raise ValueError("unknown architecture %r" % arch)


_DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "F16": (torch.float16, 2),
           "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8), "I32": (torch.int32, 4)}


def read_safetensors(path):
    """Reads a safetensors file into a dict of tensors (and its __metadata__) with nothing but torch."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, e in header.items():
        dtype, width = _DTYPES[e["dtype"]]
        a, b = e["data_offsets"]
        count = (b - a) // width
        t = torch.frombuffer(bytearray(blob[base + a:base + b]), dtype=dtype, count=count) if count else \
            torch.empty(0, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone()
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes a dict of tensors as safetensors (F32/F64/...) with nothing but torch."""
    names = {v[0]: k for k, v in _DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for c in chunks:
            f.write(c)


def load_model(folder):
    """Returns the network of an export folder (config.json, weights.safetensors) in eval mode, with its weights."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    net = build(cfg["arch"], cfg.get("classes", 10))
    weights, _ = read_safetensors(os.path.join(folder, "weights.safetensors"))
    net.load_state_dict(weights, strict=True)
    return net.eval()


def normalise(pixels, folder):
    """Normalises a float tensor of pixels in [0, 1] (C, H, W) as the network's training data was."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    mean = torch.tensor(cfg["mean"], dtype=pixels.dtype).reshape(-1, 1, 1)
    std = torch.tensor(cfg["std"], dtype=pixels.dtype).reshape(-1, 1, 1)
    return (pixels - mean) / std

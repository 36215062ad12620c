"""Records the deformable convolutions of any PyTorch model, for Deformscope to show.

    import deformscope_capture
    deformscope_capture.capture(model, x, "capture.safetensors")    # x: one image, shape (1, C, H, W)

Then open the file in Deformscope (Offsets view, "Open capture...") or on the command line:
    dcn offsets --capture capture.safetensors --layer NAME --unit Y,X --json

capture() runs model(x) once without gradients and records, in call order, every call of
torchvision.ops.deform_conv2d: those made by torchvision.ops.DeformConv2d modules and direct calls through
torchvision.ops.deform_conv2d (a name bound with "from torchvision.ops import deform_conv2d" before capture()
is not seen; call it through the module). Each call is named by the path of the innermost module running it
("backbone.layer3.1.conv2"), with "#2", "#3" ... for further calls in the same module. For each one the file holds
the input and output sizes, kernel, stride, padding, dilation, offset groups, and the offset and mask tensors, plus
the image x itself. Needs only torch and torchvision.

The file is safetensors: tensors "image" (1, C, H, W), "layer.N.offset" (1, 2*G*kh*kw, Ho, Wo) and "layer.N.mask"
(1, G*kh*kw, Ho, Wo; absent for DCNv1), all float32; the metadata "format" is "deformscope-capture/1" and "layers"
is a JSON list of {"name", "in": [C, H, W], "out": [O, Ho, Wo], "kernel", "stride", "padding", "dilation": [h, w],
"offset_groups", "mask": bool} in call order (N is the index in that list).
"""
import json
import struct

import torch
import torchvision
import torchvision.ops.deform_conv as _dc

FORMAT = "deformscope-capture/1"


def _pair(v):
    return [int(v[0]), int(v[1])] if isinstance(v, (tuple, list)) else [int(v), int(v)]


def capture(model, x, path, picture=None):
    """Runs model(x) for one image x (1, C, H, W) and writes every deformable convolution it calls to path.

    picture, if given, is the image as a person sees it: a uint8 tensor (H, W, 3) or (H, W); it is stored as
    "picture" and shown instead of a rescaled x. Returns the list of recorded layers' metadata."""
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError("capture: x must have shape (1, C, H, W), got %s" % (tuple(x.shape),))
    stack, layers, tensors, counts = [], [], {}, {}
    names = {m: n for n, m in model.named_modules()}
    original = _dc.deform_conv2d

    def recording(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), mask=None):
        out = original(input, offset, weight, bias, stride=stride, padding=padding, dilation=dilation, mask=mask)
        owner = stack[-1] if stack else ""
        counts[owner] = counts.get(owner, 0) + 1
        name = owner or "deform_conv2d"
        if counts[owner] > 1:
            name += "#%d" % counts[owner]
        kh, kw = weight.shape[2], weight.shape[3]
        i = len(layers)
        layers.append({"name": name, "in": list(input.shape[1:]), "out": list(out.shape[1:]), "kernel": [kh, kw],
                       "stride": _pair(stride), "padding": _pair(padding), "dilation": _pair(dilation),
                       "offset_groups": offset.shape[1] // (2 * kh * kw), "mask": mask is not None})
        tensors["layer.%d.offset" % i] = offset.detach().float()
        if mask is not None:
            tensors["layer.%d.mask" % i] = mask.detach().float()
        return out

    def pre(module, _inputs):
        stack.append(names.get(module, ""))

    def post(module, _inputs, _output):
        stack.pop()

    hooks = []
    for m in model.modules():
        hooks.append(m.register_forward_pre_hook(pre))
        hooks.append(m.register_forward_hook(post))
    _dc.deform_conv2d = recording
    torchvision.ops.deform_conv2d = recording
    try:
        with torch.no_grad():
            model(x)
    finally:
        _dc.deform_conv2d = original
        torchvision.ops.deform_conv2d = original
        for h in hooks:
            h.remove()
    if not layers:
        raise ValueError("capture: the model called no deformable convolution")
    tensors["image"] = x.detach().float()
    if picture is not None:
        tensors["picture"] = picture.detach().to(torch.uint8)
    _write(path, tensors, {"format": FORMAT, "layers": json.dumps(layers)})
    return layers


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
    import os
    os.replace(path + ".tmp", path)

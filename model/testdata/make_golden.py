"""Writes Deformscope's own torchvision reference cases into model/testdata/golden/.

Cases are computed in float64 with torchvision.ops.deform_conv2d and use the format of ../shared/golden/README.md
("op": "deform_conv2d" and "op": "mnist_net"), plus one extension: an "mnist_net" case may carry "dcnv1": true, in
which case the deformable blocks have no modulator (DCNv1) and its parameters are absent.

Usage (Debian's python3-torch and python3-torchvision):
    /usr/bin/python3 model/testdata/make_golden.py [OUT_DIR] [SEED]
"""
import json, os, sys
import torch, torchvision

torch.set_default_dtype(torch.float64)


def T(t):
    return None if t is None else {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def conv_case(name, B, C, H, W, O, kh, kw, stride, pad, dil, og, use_mask, spread, bias, gen):
    x = torch.randn(B, C, H, W, generator=gen, requires_grad=True)
    w = (torch.randn(O, C, kh, kw, generator=gen) * 0.3).requires_grad_()
    b = torch.randn(O, generator=gen).requires_grad_() if bias else None
    Ho = (H + 2 * pad[0] - (dil[0] * (kh - 1) + 1)) // stride[0] + 1
    Wo = (W + 2 * pad[1] - (dil[1] * (kw - 1) + 1)) // stride[1] + 1
    off = torch.randn(B, 2 * og * kh * kw, Ho, Wo, generator=gen) * spread
    off = (off + 0.013).requires_grad_()  # keep sampling points off integers, where bilinear has no derivative
    m = torch.rand(B, og * kh * kw, Ho, Wo, generator=gen).requires_grad_() if use_mask else None
    y = torchvision.ops.deform_conv2d(x, off, w, b, stride=stride, padding=pad, dilation=dil, mask=m)
    gy = torch.randn(y.shape, generator=gen)
    y.backward(gy)
    return {"name": name, "op": "deform_conv2d", "stride": list(stride), "padding": list(pad), "dilation": list(dil),
            "offset_groups": og, "input": T(x), "weight": T(w), "bias": T(b), "offset": T(off), "mask": T(m),
            "output": T(y), "grad_output": T(gy), "grad_input": T(x.grad), "grad_weight": T(w.grad),
            "grad_bias": T(b.grad if b is not None else None), "grad_offset": T(off.grad),
            "grad_mask": T(m.grad if m is not None else None)}


# Shapes the shared cases do not cover: DCNv1 with offset groups, no bias, stride and dilation together,
# a 5x5 kernel, asymmetric padding and dilation, 3 offset groups, RGB input as in the COCO net's first layer.
CASES = [
    # name, B, C, H, W, O, kh, kw, stride, pad, dil, offset_groups, mask, offset spread, bias
    ("v1_groups2_no_bias", 2, 4, 7, 7, 3, 3, 3, (1, 1), (1, 1), (1, 1), 2, False, 1.2, False),
    ("stride2_dilation2", 2, 3, 11, 10, 4, 3, 3, (2, 2), (2, 2), (2, 2), 1, True, 1.0, True),
    ("kernel5x5_batch3", 3, 2, 8, 9, 2, 5, 5, (1, 1), (2, 2), (1, 1), 1, True, 1.5, True),
    ("asymmetric_pad_dilation", 1, 3, 9, 7, 2, 3, 3, (1, 2), (2, 1), (2, 1), 1, True, 0.9, True),
    ("groups3_modulated", 2, 6, 6, 5, 4, 3, 3, (1, 1), (1, 1), (1, 1), 3, True, 1.0, True),
    ("rgb_first_layer", 2, 3, 16, 16, 8, 3, 3, (1, 1), (1, 1), (1, 1), 1, True, 2.5, True),
]


class Deform(torch.nn.Module):
    """The seed's DeformableConv2d; without a modulator for DCNv1."""

    def __init__(s, cin, cout, v1):
        super().__init__()
        s.offset = torch.nn.Conv2d(cin, 18, 3, 1, 1)
        s.modulator = None if v1 else torch.nn.Conv2d(cin, 9, 3, 1, 1)
        s.regular = torch.nn.Conv2d(cin, cout, 3, 1, 1)

    def forward(s, x):
        h, w = x.shape[2:]
        lim = max(h, w) / 4.
        mask = None if s.modulator is None else 2. * torch.sigmoid(s.modulator(x))
        return torchvision.ops.deform_conv2d(x, s.offset(x).clamp(-lim, lim), s.regular.weight, s.regular.bias,
                                             padding=1, mask=mask)


class Net(torch.nn.Module):
    def __init__(s, deformable, v1):
        super().__init__()
        s.conv1 = torch.nn.Conv2d(1, 32, 3, 1, 1)
        s.conv2 = torch.nn.Conv2d(32, 32, 3, 1, 1)
        s.conv3 = torch.nn.Conv2d(32, 32, 3, 1, 1)
        s.conv4 = Deform(32, 32, v1) if deformable else torch.nn.Conv2d(32, 32, 3, 1, 1)
        s.conv5 = Deform(32, 32, v1) if deformable else torch.nn.Conv2d(32, 32, 3, 1, 1)
        s.fc = torch.nn.Linear(32, 10)

    def forward(s, x):
        p = torch.nn.functional.max_pool2d
        x = p(torch.relu(s.conv1(x)), 2)
        x = p(torch.relu(s.conv2(x)), 2)
        x = torch.relu(s.conv3(x))
        x = torch.relu(s.conv4(x))
        x = torch.relu(s.conv5(x))
        return s.fc(x.mean((2, 3)))


def net_case(name, deformable, v1, gen):
    torch.manual_seed(11)
    net = Net(deformable, v1)
    with torch.no_grad():  # non-zero offset weights, so that the case exercises real deformation
        for n, p in net.named_parameters():
            if ".offset." in n or ".modulator." in n:
                p.copy_(torch.randn(p.shape, generator=gen) * (0.05 if p.dim() > 1 else 0.3))
    x = torch.randn(4, 1, 28, 28, generator=gen)
    target = torch.tensor([7, 0, 2, 9])
    params0 = {n: T(p) for n, p in net.named_parameters()}
    logits = net(x)
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.backward()
    grads = {n: T(p.grad) for n, p in net.named_parameters()}
    torch.optim.Adam(net.parameters(), lr=1e-3).step()
    params1 = {n: T(p) for n, p in net.named_parameters()}
    return {"name": name, "op": "mnist_net", "deformable": deformable, "dcnv1": v1,
            "architecture": "the seed's 5-conv Scaled-MNIST net; conv4/conv5 deformable (DCNv1: no modulator)",
            "input": T(x), "target": target.tolist(), "params": params0, "logits": T(logits), "loss": float(loss),
            "grads": grads, "params_after_adam_step": params1}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 5150
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    cases = [conv_case(*c, gen) for c in CASES] + [net_case("mnist_dcnn_v1", True, True, gen)]
    for c in cases:
        with open(os.path.join(out, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
    print("wrote", len(cases), "cases to", out)


main()

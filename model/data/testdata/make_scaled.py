#!/usr/bin/python3
"""Writes the golden cases for the seed's Scaled-MNIST transform (model/data, ScaleSeed).

The seed's notebook scales each normalised test batch with
    transforms.functional.affine(org_data, angle=0, translate=[0, 0], scale=s, shear=0)
that is torchvision's tensor path with its default NEAREST interpolation and no fill (zero padding, which after
Normalize((0.1307,), (0.3081,)) is the normalised value 0). This script does exactly that to the first 20 digits of
the MNIST test set at the seed's 11 scales and writes, gzip-compressed .npy files:

    scaled_seed_input.npy.gz   uint8   [20, 28, 28]       the raw test digits
    scaled_seed_scales.npy.gz  float64 [11]               0.5, 0.6, ..., 1.5 (i/10)
    scaled_seed_golden.npy.gz  float32 [11, 20, 28, 28]   affine(normalised digits, scale=s)

Run with Debian's torch/torchvision (python3-torch python3-torchvision):
    /usr/bin/python3 model/data/testdata/make_scaled.py MNIST_DIR model/data/testdata
where MNIST_DIR holds t10k-images-idx3-ubyte.gz (GoMNIST's data/ folder in the Go module cache).
"""
import gzip
import io
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision import transforms

N = 20


def read_images(path, n):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    assert magic == 2051 and rows == 28 and cols == 28 and count >= n, (magic, count, rows, cols)
    return np.frombuffer(raw[16:16 + n * 784], dtype=np.uint8).reshape(n, 28, 28).copy()


def save(path, arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    # mtime=0: the same inputs give the same bytes.
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(buf.getvalue())


def main():
    mnist_dir, out = sys.argv[1], sys.argv[2]
    digits = read_images(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz"), N)
    # As the seed: ToTensor (p/255 in float32) then Normalize((0.1307,), (0.3081,)), on a [N, 1, 28, 28] batch.
    x = torch.from_numpy(digits).float().div(255).unsqueeze(1)
    x = transforms.Normalize((0.1307,), (0.3081,))(x)
    scales = np.array([i / 10 for i in range(5, 16)], dtype=np.float64)
    outs = []
    for s in scales:
        y = transforms.functional.affine(x, angle=0, translate=[0, 0], scale=float(s), shear=0)
        outs.append(y.squeeze(1).numpy().astype(np.float32))
    golden = np.stack(outs)
    save(os.path.join(out, "scaled_seed_input.npy.gz"), digits)
    save(os.path.join(out, "scaled_seed_scales.npy.gz"), scales)
    save(os.path.join(out, "scaled_seed_golden.npy.gz"), golden)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}: wrote {golden.shape} to {out}")


if __name__ == "__main__":
    main()

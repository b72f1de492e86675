#!/usr/bin/env python3
"""Writes the small data sets shipped in Data/ from scikit-learn's bundled copies.

    pip install scikit-learn
    python3 Tools/make_datasets.py            # writes Data/digits.csv.gz, Data/diabetes.csv.gz
    python3 Tools/make_datasets.py --fixtures # also rewrites Tests/BackpropDataTests/Fixtures/
                                              # (needs numpy, torch and safetensors)

The output is deterministic (fixed gzip header: no file name, mtime 0), so running the script
again on any machine with the same zlib gives byte-identical files. Only the CSV files are
written; the digits train/test split is computed in Swift from a fixed seed (see Data/README.md).

Sources and licences are credited in Data/README.md.
"""

import csv
import gzip
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "..", "Data")
FIXTURES_DIR = os.path.join(HERE, "..", "Tests", "BackpropDataTests", "Fixtures")


def sklearn_data_dir():
    try:
        import sklearn.datasets
    except ImportError:
        sys.exit("scikit-learn is not installed: pip install scikit-learn")
    return os.path.join(os.path.dirname(sklearn.datasets.__file__), "data")


def read_gz_lines(path):
    with gzip.open(path, "rt") as f:
        return [line.strip() for line in f if line.strip()]


def write_csv_gz(path, header, rows):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # filename="" and mtime=0 keep the gzip header free of anything machine- or time-specific.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(text.getvalue().encode("ascii"))
    print(f"wrote {os.path.relpath(path)}: {len(rows)} rows x {len(header)} columns")


def make_digits(src):
    # digits.csv.gz: 1,797 rows of 64 pixel values (0..16) followed by the class (0..9), no header.
    rows = [line.split(",") for line in read_gz_lines(os.path.join(src, "digits.csv.gz"))]
    assert len(rows) == 1797 and all(len(r) == 65 for r in rows), "unexpected digits.csv.gz shape"
    rows = [[str(int(float(v))) for v in r] for r in rows]
    header = [f"pixel_{i}_{j}" for i in range(8) for j in range(8)] + ["label"]
    write_csv_gz(os.path.join(DATA_DIR, "digits.csv.gz"), header, rows)


def make_diabetes(src):
    # diabetes_data_raw.csv.gz: 442 rows of 10 space-separated raw (unscaled) features;
    # diabetes_target.csv.gz: 442 targets (disease progression one year after baseline).
    data = [line.split() for line in read_gz_lines(os.path.join(src, "diabetes_data_raw.csv.gz"))]
    target = read_gz_lines(os.path.join(src, "diabetes_target.csv.gz"))
    assert len(data) == 442 and all(len(r) == 10 for r in data), "unexpected diabetes data shape"
    assert len(target) == 442, "unexpected diabetes target length"
    # Shortest text that round-trips (repr), so values stay exact: 2.0 -> "2", 4.8598 -> "4.8598".
    def fmt(s):
        v = float(s)
        return str(int(v)) if v == int(v) else repr(v)
    rows = [[fmt(v) for v in r] + [fmt(t)] for r, t in zip(data, target)]
    header = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "target"]
    write_csv_gz(os.path.join(DATA_DIR, "diabetes.csv.gz"), header, rows)


def make_fixtures():
    """Tiny files for BackpropDataTests, written by independent implementations (Python's
    struct/gzip for IDX, the reference safetensors library) so the Swift readers are checked
    against someone else's writer."""
    import struct
    import safetensors
    import safetensors.torch
    import torch

    os.makedirs(FIXTURES_DIR, exist_ok=True)
    path = lambda name: os.path.join(FIXTURES_DIR, name)
    pixels = bytes([0, 1, 2, 3, 4, 5, 255, 128, 0, 7, 8, 9, 10, 20, 30, 40, 50, 60])
    with open(path("tiny-images-idx3-ubyte.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 3, 2, 3) + pixels)
    with open(path("tiny-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([2, 0, 1]))
    with open(path("tiny.csv"), "w") as f:
        f.write("x1,x2,label\n0.5,1.5,0\n-1,2e1,1\n3,4,2\n")
    tensors = {
        "weight": torch.tensor([[1.5, -2.0, 0.25], [3.0, 4.0, -0.5]], dtype=torch.float32),
        "bias": torch.tensor([0.1, 0.2], dtype=torch.float64),
        "half": torch.tensor([1.0, -0.5, 65504.0, 6.1035156e-05], dtype=torch.float16),
        "brain": torch.tensor([1.0, -3.0, 0.15625], dtype=torch.bfloat16),
        "steps": torch.tensor([7, -1], dtype=torch.int64),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
    }
    # The safetensors reference belongs to the I/O module's tests.
    io_fixtures = os.path.join(HERE, "..", "Tests", "BackpropIOTests", "Fixtures")
    os.makedirs(io_fixtures, exist_ok=True)
    reference = os.path.join(io_fixtures, "reference.safetensors")
    safetensors.torch.save_file(
        tensors, reference,
        metadata={"format": "pt", "note": "written by safetensors " + safetensors.__version__})
    os.chmod(reference, 0o644)
    print(f"wrote fixtures in {os.path.relpath(FIXTURES_DIR)}")


def main():
    src = sklearn_data_dir()
    os.makedirs(DATA_DIR, exist_ok=True)
    make_digits(src)
    make_diabetes(src)
    if "--fixtures" in sys.argv[1:]:
        make_fixtures()


if __name__ == "__main__":
    main()

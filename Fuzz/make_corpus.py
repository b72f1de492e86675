#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/ and the dictionaries in Fuzz/dict/.

Deterministic: running it again gives the same files. The seeds are small valid files plus
damaged ones (truncated, wrong magic, wrong sizes, overlapping offsets, huge declared sizes,
non-UTF-8, duplicate names, ...), so the fuzzer starts next to every check the readers make.

    python3 Fuzz/make_corpus.py            # rewrite corpora and dictionaries
    python3 Fuzz/make_corpus.py --cli-dict OUT   # only the CLI dictionary, from Sources/backprop
"""
import gzip
import json
import os
import re
import shutil
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def gz(data, mtime=0):
    return gzip.compress(data, compresslevel=9, mtime=mtime)


def dict_entry(text):
    """A libFuzzer dictionary entry: printable ASCII as is, \\ and \" escaped, other bytes as \\xNN."""
    out = []
    for b in text.encode() if isinstance(text, str) else text:
        c = chr(b)
        if c in '\\"':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append("\\x%02X" % b)
    return '"%s"\n' % "".join(out)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- IDX
def idx(dtype, shape, payload):
    return bytes([0, 0, dtype, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape) + payload


def idx_seeds():
    seeds = {
        "labels-u8": idx(0x08, [10], bytes(range(10))),
        "images-u8": idx(0x08, [2, 3, 3], bytes(range(18))),
        "i8": idx(0x09, [4], bytes([0, 1, 0x7F, 0x80])),
        "i16": idx(0x0B, [2, 2], struct.pack(">4h", 1, -2, 300, -32768)),
        "i32": idx(0x0C, [3], struct.pack(">3i", 7, -1, 2**31 - 1)),
        "f32": idx(0x0D, [2, 2], struct.pack(">4f", 0.5, -1.25, float("inf"), 3.0)),
        "f64": idx(0x0E, [3], struct.pack(">3d", 1.5, -2.0, float("nan"))),
        "empty-dim": idx(0x08, [0, 28, 28], b""),
        "rank4": idx(0x08, [1, 1, 2, 2], bytes(4)),
        # damaged
        "empty": b"",
        "short-magic": b"\x00\x00\x08",
        "wrong-magic": b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00",
        "unknown-type": idx(0x0A, [1], b"\x00"),
        "rank0": bytes([0, 0, 8, 0]),
        "dims-truncated": bytes([0, 0, 8, 3]) + struct.pack(">I", 2),
        "data-truncated": idx(0x08, [4, 4], bytes(10)),
        "trailing-data": idx(0x08, [2], bytes(5)),
        "huge-dims": idx(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b""),
        "huge-1gib": idx(0x08, [1 << 15, 1 << 15], b"\x00" * 8),
        "overflow-then-zero": idx(0x0E, [0xFFFFFFFF] * 4 + [0], b""),
        "max-rank": bytes([0, 0, 8, 255]) + struct.pack(">I", 1) * 255 + b"\x01",
    }
    for name, data in seeds.items():
        write("idx", name, data)
        write("idx-gzip", name, data)
    for name in ["labels-u8", "images-u8", "f32", "data-truncated", "trailing-data", "huge-1gib"]:
        write("idx", name + ".gz", gz(seeds[name]))
    full = gz(seeds["images-u8"])
    write("idx", "gz-truncated", full[: len(full) // 2])
    write("idx", "gz-bad-crc", full[:-8] + bytes([full[-8] ^ 0xFF]) + full[-7:])
    write("idx", "gz-two-members", gz(seeds["labels-u8"][:6]) + gz(seeds["labels-u8"][6:]))
    write("idx", "gz-zero-padding", full + b"\x00" * 16)
    write("idx", "gz-trailing-garbage", full + b"junk")
    write("idx", "gz-header-only", b"\x1f\x8b")
    # a small "zip bomb": 64 KiB of zeros in ~100 bytes
    write("idx", "gz-bomb", gz(idx(0x08, [256, 256], bytes(1 << 16))))


# ---------------------------------------------------------------- CSV
def csv_seeds():
    # The first byte picks the options: header = b % 3 (auto, present, absent),
    # delimiter = (b / 3) % 5 (auto, comma, tab, semicolon, whitespace).
    def sel(header, delim):
        return bytes([header + 3 * delim])

    texts = {
        "header-comma": (sel(0, 0), b"x1,x2,label\n0.5,1.5,0\n-1,2e1,1\n3,4,2\n"),
        "no-header": (sel(0, 0), b"1,2,3\n4,5,6\n"),
        "tab": (sel(0, 2), b"a\tb\n1\t2\n3\t4\n"),
        "semicolon": (sel(0, 3), b"a;b\n1;2\n"),
        "whitespace": (sel(0, 4), b"  1   2  3\n4 5\t6\n"),
        "crlf-bom": (sel(0, 0), b"\xef\xbb\xbfa,b\r\n1,2\r\n\r\n3,4\r\n"),
        "quoted": (sel(1, 1), b'"a","b"\n"1","2.5"\n'),
        "blank-lines": (sel(0, 0), b"\n\n  \n1,2\n\n3,4\n\t\n"),
        "exponents": (sel(2, 1), b"1e-3,-2.5E+2,.5,5.,+7\n0x1p3,1e40,-0\n"),
        "nonfinite": (sel(0, 0), b"a,b\ninf,nan\n1e39,2\n"),
        "ragged": (sel(0, 0), b"a,b,c\n1,2,3\n4,5\n"),
        "not-number": (sel(0, 0), b"a,b\n1,two\n"),
        "empty-field": (sel(0, 0), b"a,b\n1,\n"),
        "empty": (sel(0, 0), b""),
        "only-header": (sel(1, 0), b"a,b,c\n"),
        "long-field": (sel(2, 0), b"1," + b"9" * 80 + b"\n"),
        "no-newline": (sel(0, 0), b"1,2"),
        "utf8-header": (sel(0, 0), "größe,län\n1,2\n".encode()),
        "invalid-utf8": (sel(0, 0), b"\xff\xfe,\xc3\n1,2\n"),
        "nul-bytes": (sel(0, 0), b"1,\x002\n3,4\n"),
        "digits7": (sel(2, 0), b"9999999,1234567,0000000\n"),
    }
    for name, (s, body) in texts.items():
        write("csv", name, s + body)
    write("csv", "gzip", sel(0, 0) + gz(texts["header-comma"][1]))
    write("csv", "gzip-truncated", sel(0, 0) + gz(texts["header-comma"][1])[:20])


# ---------------------------------------------------------------- safetensors
def st(header, data=b"", pad=True):
    h = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def st_seeds():
    f32 = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    seeds = {
        "f32": st({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}, f32),
        "metadata": st({"__metadata__": {"format": "backprop-model/1", "epoch": "3"},
                        "0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                        "0.bias": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}}, f32),
        "all-dtypes": None,  # filled below
        "scalar": st({"s": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}}, struct.pack("<d", 2.5)),
        "empty-tensor": st({"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]},
                            "x": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x02"),
        "empty-file": st({}),
        "unicode-names": st({"wé\u00e9ight\u2603": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]}}, b"\x05"),
        "escaped-names": st(b'{"a\\"b\\\\c\\u00e9\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\x07"),
        "f16-bf16": st({"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
                        "b": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}},
                       struct.pack("<4H", 0x3C00, 0x7C00, 0x3F80, 0xFFC0)),
        # damaged
        "short": b"\x08\x00\x00",
        "header-past-end": struct.pack("<Q", 1000) + b"{}",
        "header-huge": struct.pack("<Q", 2**63) + b"{}",
        "not-json": st(b"{nope}"),
        "not-object": st(b"[1,2,3]"),
        "non-utf8": st(b'{"\xff\xfe":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\x00"),
        "duplicate-names": st(b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', b"\x00\x00"),
        "overlap": st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                       "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)),
        "gap": st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
        "past-end": st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8)),
        "trailing-bytes": st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(9)),
        "wrong-size": st({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
        "reversed-offsets": st({"a": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}, bytes(4)),
        "huge-shape": st({"a": {"dtype": "F64", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}, bytes(8)),
        "zero-times-huge": st({"a": {"dtype": "F64", "shape": [0, 2**62, 2**62], "data_offsets": [0, 0]}}),
        "huge-offsets": st({"a": {"dtype": "U8", "shape": [1], "data_offsets": [2**63 - 1, 2**63]}}),
        "big-number": st(b'{"a":{"dtype":"U8","shape":[99999999999999999999999],"data_offsets":[0,1]}}', b"\x00"),
        "negative-shape": st(b'{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}', b"\x00"),
        "float-shape": st(b'{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}', b"\x00"),
        "unknown-dtype": st({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, bytes(16)),
        "metadata-not-strings": st({"__metadata__": {"a": 1}}),
        "deep-nesting": st(b'{"__metadata__":' + b"[" * 100 + b"]" * 100 + b"}"),
        "tensor-named-metadata": st(b'{"__metadata__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\x00"),
        "missing-fields": st({"a": {"dtype": "U8"}}),
        "bad-escape": st(b'{"a\\x":{}}'),
        "lone-surrogate": st(b'{"\\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\x00"),
        "control-char": st(b'{"a\x01":{}}'),
    }
    # one tensor of every dtype, laid out back to back
    dtypes = [("BOOL", 1), ("U8", 1), ("I8", 1), ("F8_E5M2", 1), ("F8_E4M3", 1), ("I16", 2), ("U16", 2),
              ("F16", 2), ("BF16", 2), ("I32", 4), ("U32", 4), ("F32", 4), ("F64", 8), ("I64", 8), ("U64", 8)]
    header, data = {}, b""
    for name, width in dtypes:
        header[name.lower()] = {"dtype": name, "shape": [2], "data_offsets": [len(data), len(data) + 2 * width]}
        data += bytes([1] * (2 * width))
    seeds["all-dtypes"] = st(header, data)
    for name, data in seeds.items():
        write("safetensors", name, data)
    ref = os.path.join(ROOT, "Tests/BackpropDataTests/Fixtures/reference.safetensors")
    if os.path.exists(ref):
        shutil.copy(ref, os.path.join(CORPUS, "safetensors", "reference"))

    tokens = ['"__metadata__"', '"dtype"', '"shape"', '"data_offsets"', "{", "}", "[", "]", ":", ",",
              '"\\u0000"', '"\\ud83d\\ude00"', "18446744073709551615", "9223372036854775807", "4294967296",
              "-1", "1e3", "true", "null"] + ['"%s"' % d for d, _ in dtypes]
    with open(os.path.join(HERE, "dict", "safetensors.dict"), "w") as f:
        f.write("# libFuzzer dictionary for the safetensors header (generated by make_corpus.py)\n")
        for t in tokens:
            f.write(dict_entry(t))


# ---------------------------------------------------------------- model files (ModelFile.load)
def model_seeds():
    def linear(i, o, bias=True):
        return [("weight", [o, i])] + ([("bias", [o])] if bias else [])

    def model_file(layers, metadata=None):
        header, data = {}, b""
        for index, params in layers:
            for name, shape in params:
                n = 1
                for s in shape:
                    n *= s
                header["%d.%s" % (index, name)] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * n]}
                data += struct.pack("<%df" % n, *[(k % 7) * 0.25 - 0.5 for k in range(n)])
        if metadata:
            header["__metadata__"] = metadata
        return st(header, data)

    seeds = {
        "backprop-mlp": model_file([(0, linear(3, 4)), (2, linear(4, 2))],
                                   {"format": "backprop-model/1", "architecture": "Linear(3,4),ReLU,Linear(4,2)"}),
        "dropout-generator": model_file([(0, linear(2, 3)), (3, linear(3, 1, bias=False))],
                                        {"format": "backprop-model/1",
                                         "architecture": "Linear(2,3),Tanh,Dropout(0.5),Linear(3,1,nobias)",
                                         "generator.2": "1,2,3,4"}),
        "pytorch-state-dict": model_file([(0, linear(3, 4)), (2, linear(4, 2))]),
        "pytorch-gap": model_file([(0, linear(2, 2)), (4, linear(2, 2))]),
        # hostile: an architecture far larger than the tensors in the file
        "huge-architecture": model_file([(0, linear(2, 2))], {"architecture": "Linear(1000000,1000000)"}),
        "many-layers": model_file([(0, linear(2, 2))], {"architecture": ",".join(["ReLU"] * 2000)}),
        # hostile: a PyTorch-style index far beyond the previous one
        "huge-index-gap": model_file([(0, linear(2, 2)), (999999999, linear(2, 2))]),
        "bad-architecture": model_file([(0, linear(2, 2))], {"architecture": "Linear(2,2,"}),
        "shape-mismatch": model_file([(0, linear(3, 2))], {"architecture": "Linear(2,2)"}),
    }
    for name, data in seeds.items():
        write("model", name, data)
    tokens = ['"architecture"', '"format"', '"backprop-model/1"', "Linear(", ",nobias)", "ReLU", "Tanh", "Sigmoid",
              "GELU", "Softmax", "Flatten", "LeakyReLU(", "Dropout(", '.weight"', '.bias"', '"generator.', '"0.weight"',
              '"__metadata__"', '"dtype"', '"F32"', '"F64"', '"shape"', '"data_offsets"']
    with open(os.path.join(HERE, "dict", "model.dict"), "w") as f:
        f.write("# libFuzzer dictionary for model files (generated by make_corpus.py)\n")
        for t in tokens:
            f.write(dict_entry(t))


# ---------------------------------------------------------------- CLI
def cli_words():
    """Subcommand names and option spellings found in Sources/backprop (approximate, a hint)."""
    words = set()
    src = os.path.join(ROOT, "Sources", "backprop")
    for name in sorted(os.listdir(src)):
        if not name.endswith(".swift"):
            continue
        text = open(os.path.join(src, name), encoding="utf-8").read()
        words.update(re.findall(r'commandName:\s*"([^"]+)"', text))
        for m in re.finditer(r'@(Option|Flag)\b.*?\b(?:var|let)\s+(\w+)', text, re.S):
            words.add("--" + re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", m.group(2)).lower())
        words.update("--" + w for w in re.findall(r'\.customLong\("([^"]+)"', text))
        words.update("-" + w for w in re.findall(r"\.customShort\(\"(.)\"", text))
        for m in re.finditer(r"enum\s+\w+\s*:\s*String[^{]*ExpressibleByArgument[^{]*\{([^}]*)\}", text):
            words.update(re.findall(r"case\s+([\w, ]+)", m.group(1)) and
                         [w.strip() for c in re.findall(r"case\s+([\w, ]+)", m.group(1)) for w in c.split(",")])
    words.update(["--help", "-h", "--version", "help", "--generate-completion-script", "bash", "zsh", "fish",
                  "--experimental-dump-help", "--", "-", "=", "0", "-1", "1e309", "nan", "inf", "18446744073709551616"])
    return sorted(w for w in words if w)


def write_cli_dict(path):
    with open(path, "w") as f:
        f.write("# libFuzzer dictionary for the backprop CLI (generated by Fuzz/make_corpus.py)\n")
        for w in cli_words():
            f.write(dict_entry(w))
            f.write(dict_entry("\n" + w))


def cli_seeds():
    sub = [w for w in cli_words() if not w.startswith("-") and re.fullmatch(r"[a-z][a-z0-9-]+", w)
           and w not in ("help", "bash", "zsh", "fish", "nan", "inf")]
    seeds = {
        "empty": [],
        "help": ["--help"],
        "version": ["--version"],
        "help-sub": ["help", "bench"],
        "unknown": ["no-such-command", "--x"],
        "completion": ["--generate-completion-script", "zsh"],
        "dump-help": ["--experimental-dump-help"],
        "chain-rule": ["chain-rule", "--s", "0.5", "--t", "1.2", "--json"],
        "chain-rule-bad": ["chain-rule", "--s", "abc"],
        "vector": ["vector-chain-rule", "--s", "1,2,3", "--t", "4,5,6", "--combine", "multiply"],
        "jacobian": ["jacobian-shapes", "--m", "3", "--n=4", "--seed", "18446744073709551615"],
        "bench": ["bench", "--workload", "W1", "--threads", "2", "--runs", "1"],
        "bench-bad": ["bench", "--threads", "7", "--workload", "W9"],
        "terminator": ["chain-rule", "--", "--json"],
        "repeated": ["chain-rule", "--s", "1", "--s", "2", "--json", "--json"],
        "nul-split": ["chain-rule\0--json"],
    }
    for name, argv in seeds.items():
        write("cli", name, "\n".join(argv).encode())
    for s in sub:
        write("cli", "sub-" + s, s.encode())
        write("cli", "sub-" + s + "-help", (s + "\n--help").encode())


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--cli-dict":
        write_cli_dict(sys.argv[2])
        return
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    os.makedirs(os.path.join(HERE, "dict"), exist_ok=True)
    idx_seeds()
    csv_seeds()
    st_seeds()
    model_seeds()
    cli_seeds()
    write_cli_dict(os.path.join(HERE, "dict", "cli.dict"))


if __name__ == "__main__":
    main()

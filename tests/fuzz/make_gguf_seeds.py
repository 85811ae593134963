#!/usr/bin/env python3
"""Writes the gguf_fuzz seed corpus (tests/fuzz/corpus/gguf/*.bin).

Seeds are built by hand here, independently of r1::gguf::Writer, and kept
small (< 64 KiB). Run: python3 tests/fuzz/make_gguf_seeds.py [out_dir]
"""
import os
import struct
import sys

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "fixtures",
                       "tokenizer", "ggml-vocab-qwen2.gguf")


def u8(v): return struct.pack("<B", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def f32(v): return struct.pack("<f", v)
def s(t): b = t.encode(); return u64(len(b)) + b


def header(n_tensors, n_kv, version=3):
    return b"GGUF" + u32(version) + u64(n_tensors) + u64(n_kv)


def kv(key, vtype, payload): return s(key) + u32(vtype) + payload
def arr(etype, elems): return u32(etype) + u64(len(elems)) + b"".join(elems)


def tensor(name, dims, ttype, offset):
    return s(name) + u32(len(dims)) + b"".join(u64(d) for d in dims) + u32(ttype) + u64(offset)


def pad(b, a=32): return b + b"\0" * ((-len(b)) % a)


def all_types():
    kvs = [kv("u8", 0, u8(200)), kv("i8", 1, u8(0x80)), kv("u16", 2, struct.pack("<H", 65535)),
           kv("i16", 3, struct.pack("<h", -2)), kv("u32", 4, u32(7)), kv("i32", 5, u32(2**32 - 1)),
           kv("f32", 6, f32(0.5)), kv("bool", 7, u8(1)), kv("str", 8, s("h\u00e9llo")),
           kv("u64", 10, u64(2**64 - 1)), kv("i64", 11, u64(2**63)),
           kv("f64", 12, struct.pack("<d", 2.5)),
           kv("nested", 9, arr(9, [arr(8, [s("a"), s("")]), arr(4, [u32(1)]), arr(12, [])]))]
    return header(0, len(kvs)) + b"".join(kvs)


def vocab_like():
    toks = [s(t) for t in ["<unk>", "<s>", "</s>", "a", "b", "ab"]]
    kvs = [kv("general.architecture", 8, s("qwen2")), kv("tokenizer.ggml.model", 8, s("gpt2")),
           kv("tokenizer.ggml.tokens", 9, arr(8, toks)),
           kv("tokenizer.ggml.token_type", 9, arr(5, [u32(1)] * 6)),
           kv("tokenizer.ggml.scores", 9, arr(6, [f32(-i) for i in range(6)])),
           kv("tokenizer.ggml.merges", 9, arr(8, [s("a b")])),
           kv("tokenizer.ggml.add_bos_token", 7, u8(0))]
    return header(0, len(kvs), version=2) + b"".join(kvs)


def with_tensors(alignment=32):
    kvs = [kv("general.alignment", 4, u32(alignment)), kv("general.architecture", 8, s("llama"))]
    specs = [("token_embd.weight", [32, 2], 8, 2 * 34), ("output_norm.weight", [8], 0, 32),
             ("blk.0.attn_q.weight", [256], 12, 144), ("blk.0.ffn_down.weight", [4, 2], 1, 16),
             ("blk.0.attn_k.weight", [256], 14, 210)]
    infos, data, off = b"", b"", 0
    for name, dims, ttype, size in specs:
        infos += tensor(name, dims, ttype, off)
        blob = bytes((off + i) % 251 for i in range(size))
        data += pad(blob, alignment)
        off += len(pad(blob, alignment))
    return pad(header(len(specs), len(kvs)) + b"".join(kvs) + infos, alignment) + data


def invalid_seeds():
    good = with_tensors()
    return {
        "bad_magic": b"GGUG" + good[4:],
        "version1": header(0, 0, version=1),
        "truncated_tensors": good[: len(good) - 100],
        "huge_array": header(0, 1) + kv("a", 9, u32(4) + u64(2**60)),
        "bad_alignment": header(0, 1) + kv("general.alignment", 4, u32(48)),
        "overlap": pad(header(2, 0) + tensor("a", [16], 0, 0) + tensor("b", [4], 0, 32)) + bytes(64),
        "unknown_type": pad(header(1, 0) + tensor("t", [4], 99, 0)) + bytes(32),
        "zero_dim": pad(header(1, 0) + tensor("t", [4, 0], 0, 0)) + bytes(32),
        "deep_nesting": header(0, 1) + kv("d", 9, (u32(9) + u64(1)) * 12 + u32(0) + u64(0)),
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                              "corpus", "gguf")
    os.makedirs(out, exist_ok=True)
    seeds = {"empty_v3": header(0, 0), "all_types": all_types(), "vocab_like_v2": vocab_like(),
             "tensors": with_tensors(), "tensors_align64": with_tensors(64)}
    seeds.update(invalid_seeds())
    if os.path.exists(FIXTURE):
        with open(FIXTURE, "rb") as f:
            seeds["qwen2_vocab_prefix"] = f.read(16 * 1024)
    for name, data in seeds.items():
        assert len(data) < 64 * 1024, name
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {out}")


if __name__ == "__main__":
    main()

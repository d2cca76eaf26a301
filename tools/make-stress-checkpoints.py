#!/usr/bin/env python3
"""make-stress-checkpoints.py OUT_DIR: writes legal files whose size says little about their
content, for the load benchmark (tools/bench-checkpoint-load.sh). Standard library only.

  shared-storage.pt      torch.save zip of 100,000 float32 tensors [40000] that all view one
                         160 KB storage (tied weights), as PyTorch pickles them (memoised).
  overlap.safetensors    100,000 safetensors entries that all point at the same 160 KB: the
                         format's reference implementation refuses overlapping offsets.
"""
import json
import os
import struct
import sys
import zipfile

N_TENSORS = 100_000
NUMEL = 40_000


def pickle_int(n):
    return b"J" + struct.pack("<i", n)  # BININT


def pickle_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b  # BINUNICODE


def shared_storage_pickle():
    out = [b"\x80\x02", b"ccollections\nOrderedDict\n", b"r" + struct.pack("<I", 0),  # memo 0
           b")R", b"("]
    rebuild = b"ctorch._utils\n_rebuild_tensor_v2\nr" + struct.pack("<I", 1)
    storage = (b"(" + pickle_str("storage") + b"ctorch\nFloatStorage\n" + pickle_str("0") + pickle_str("cpu") +
               pickle_int(NUMEL) + b"tQr" + struct.pack("<I", 2))
    for i in range(N_TENSORS):
        out.append(pickle_str(f"t{i}"))
        out.append(rebuild if i == 0 else b"j" + struct.pack("<I", 1))
        out.append(b"(")
        out.append(storage if i == 0 else b"j" + struct.pack("<I", 2))
        out.append(pickle_int(0) + b"(" + pickle_int(NUMEL) + b"t(" + pickle_int(1) + b"t\x89")
        out.append(b"j" + struct.pack("<I", 0) + b")R")  # OrderedDict() backward hooks
        out.append(b"tR")
    out.append(b"u.")
    return b"".join(out)


def write_shared_storage(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", shared_storage_pickle())
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", struct.pack("<f", 0.5) * NUMEL)
        z.writestr("archive/version", "3\n")


def write_overlap(path):
    header = {f"encoder.layer.{i:06d}.attention.output.dense.weight": {
        "dtype": "F32", "shape": [NUMEL], "data_offsets": [0, NUMEL * 4]} for i in range(N_TENSORS)}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"\0" * (NUMEL * 4))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_shared_storage(os.path.join(out, "shared-storage.pt"))
    write_overlap(os.path.join(out, "overlap.safetensors"))


if __name__ == "__main__":
    main()

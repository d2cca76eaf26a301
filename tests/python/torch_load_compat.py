"""Checks that a RingScope checkpoint is what torch.load + load_state_dict(strict=True) accept.

PyTorch is not installed here, so this replays what torch 1.13's torch.load does with a zip
checkpoint, using only the standard library: the archive name is the folder of the first
record, `version` must exist, `data.pkl` is unpickled with persistent ids
('storage', StorageType, key, location, numel) resolved to `data/<key>` records, and tensors
are rebuilt by torch._utils._rebuild_tensor_v2. Only the globals of torch's weights_only
allow-list that RingScope uses are available, so the file also loads with weights_only=True.

usage: torch_load_compat.py CHECKPOINT FIXTURE_JSON
"""
import collections
import io
import json
import pickle
import struct
import sys
import zipfile


class FloatStorage:
    """Stands in for torch.FloatStorage."""


def rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    numel = 1
    expected = []
    for s in reversed(size):
        expected.insert(0, numel)
        numel *= s
    assert tuple(stride) == tuple(expected), f"non-contiguous stride {stride} for size {size}"
    assert offset + numel <= len(storage), "tensor reaches past its storage"
    assert requires_grad is False and isinstance(hooks, collections.OrderedDict)
    return {"size": tuple(size), "values": storage[offset:offset + numel]}


ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
    ("torch", "FloatStorage"): FloatStorage,
}


def load(path):
    zf = zipfile.ZipFile(path)
    infos = zf.infolist()
    prefix = infos[0].filename.split("/")[0] + "/"
    assert infos[0].filename == prefix + "data.pkl", "data.pkl must be the first record"
    assert zf.read(prefix + "version").strip() == b"3", "missing or wrong version record"
    raw = open(path, "rb").read()
    for info in infos:
        assert info.compress_type == zipfile.ZIP_STORED, f"{info.filename} is compressed"
        name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
        start = info.header_offset + 30 + name_len + extra_len
        assert start % 64 == 0, f"{info.filename} data is not 64-byte aligned"

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) not in ALLOWED:
                raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
            return ALLOWED[(module, name)]

        def persistent_load(self, pid):
            kind, storage_type, key, location, numel = pid
            assert kind == "storage" and storage_type is FloatStorage and location == "cpu"
            data = zf.read(prefix + "data/" + key)
            assert len(data) == 4 * numel, f"storage {key}: {len(data)} bytes for {numel} floats"
            return struct.unpack(f"<{numel}f", data)

    pkl = zf.read(prefix + "data.pkl")
    assert pkl[:2] == b"\x80\x02", "pickle protocol 2 expected"
    return Unpickler(io.BytesIO(pkl)).load()


def main():
    obj = load(sys.argv[1])
    ref = json.load(open(sys.argv[2]))
    assert isinstance(obj, dict), "top level must be a dict"
    sd = obj["model_state_dict"]
    assert isinstance(sd, collections.OrderedDict)
    # load_state_dict(strict=True): same keys, same shapes.
    assert set(sd) == set(ref["keys"]), f"keys differ: {set(sd) ^ set(ref['keys'])}"
    for key, shape in ref["keys"].items():
        assert list(sd[key]["size"]) == shape, f"{key}: {sd[key]['size']} vs {shape}"
    meta = obj["ringscope"]
    json.dumps(meta)  # plain dicts, lists, strings and numbers only
    assert meta["config"]["heads"] == ref["heads"], "heads missing from the metadata"
    print(f"{sys.argv[1]}: torch.load-compatible, {len(sd)} tensors, heads={meta['config']['heads']}")


if __name__ == "__main__":
    main()

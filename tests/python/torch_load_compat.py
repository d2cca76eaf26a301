"""Checks that a RingScope checkpoint is what torch.load + load_state_dict(strict=True) accept.

PyTorch is not installed here, so this replays what torch 1.13's torch.load does with a zip
checkpoint, using only the standard library: the archive name is the folder of the first
record, `version` must exist, `data.pkl` is unpickled with persistent ids
('storage', StorageType, key, location, numel) resolved to `data/<key>` records, and tensors
are rebuilt by torch._utils._rebuild_tensor_v2. Only the globals of torch's weights_only
allow-list that RingScope uses are available, so the file also loads with weights_only=True.

usage: torch_load_compat.py CHECKPOINT FIXTURE_JSON
       torch_load_compat.py --training CHECKPOINT
The second form checks the published training container (optimizer and scheduler state, the
numpy float64 `best_acc`) that RingScope's trainer writes.
"""
import codecs
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


class NumpyDtype:
    """Stands in for numpy.dtype: only the little-endian float64 RingScope writes."""

    def __init__(self, descr, align, copy):
        assert descr == "f8" and align is False and copy is True, f"dtype({descr!r}, {align}, {copy})"

    def __setstate__(self, state):
        assert state[0] == 3 and state[1] == "<", f"dtype state {state}"


def numpy_scalar(dtype, raw):
    assert isinstance(dtype, NumpyDtype) and isinstance(raw, bytes) and len(raw) == 8
    return struct.unpack("<d", raw)[0]


# torch.load(weights_only=True) also allows these three for numpy scalars.
TRAINING_GLOBALS = {
    ("numpy.core.multiarray", "scalar"): numpy_scalar,
    ("numpy", "dtype"): NumpyDtype,
    ("_codecs", "encode"): codecs.encode,
}


def load(path, training=False):
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
            allowed = {**ALLOWED, **TRAINING_GLOBALS} if training else ALLOWED
            if (module, name) not in allowed:
                raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
            return allowed[(module, name)]

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


def check_training(path):
    obj = load(path, training=True)
    expected = {"epoch", "model_state_dict", "optimizer_state_dict", "scheduler_state_dict", "best_acc",
                "global_step", "ringscope"}
    assert set(obj) == expected, f"keys {set(obj)}"
    sd = obj["model_state_dict"]
    opt = obj["optimizer_state_dict"]
    groups = opt["param_groups"]
    assert len(groups) == 1, "one parameter group"
    group = groups[0]
    for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "initial_lr"):
        assert key in group, f"param group lacks {key}"
    beta1, beta2 = group["betas"]
    assert 0 < beta1 < 1 and 0 < beta2 < 1
    # Adam numbers model.parameters() in state-dict order; the fixed position table is a
    # parameter without gradient, so it alone has no state.
    shapes = [t["size"] for t in sd.values()]
    assert group["params"] == list(range(len(shapes))), "params must number every parameter"
    steps = obj["global_step"]
    assert isinstance(steps, int) and steps > 0 and isinstance(obj["epoch"], int)
    for index, state in opt["state"].items():
        assert set(state) == {"step", "exp_avg", "exp_avg_sq"}, f"state {index}: {set(state)}"
        assert state["step"]["size"] == () and state["step"]["values"][0] == steps
        assert state["exp_avg"]["size"] == shapes[index] and state["exp_avg_sq"]["size"] == shapes[index]
        assert min(state["exp_avg_sq"]["values"]) >= 0
    stateless = [name for i, name in enumerate(sd) if i not in opt["state"]]
    assert stateless == ["transformer.embeddings.position_embeddings.pos_embed"], f"no state: {stateless}"
    sched = obj["scheduler_state_dict"]
    assert sched["last_epoch"] == steps and sched["_step_count"] == steps + 1 and len(sched["base_lrs"]) == 1
    best = obj["best_acc"]
    assert isinstance(best, float), f"best_acc is {type(best)}"
    history = obj["ringscope"]["history"]
    assert abs(best - max(e.get("val_accuracy", e["train_accuracy"]) for e in history)) < 1e-12
    print(f"{path}: training container loads as torch.load reads it: epoch {obj['epoch']}, "
          f"global_step {steps}, best_acc {best}, Adam state for {len(opt['state'])} parameters")


if __name__ == "__main__":
    if sys.argv[1] == "--training":
        check_training(sys.argv[2])
    else:
        main()

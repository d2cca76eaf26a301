"""Distributed data parallel over c10d: two `ringscope-cli train --distributed` processes on
loopback (configured as torchrun does: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE) must end with
identical parameters, and match one process training the same global batches.

usage: ddp_check.py RINGSCOPE_CLI WORK_DIR
"""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_load_compat import load  # noqa: E402

COMMON = ["train", "--family", "ringformer", "--hidden", "32", "--heads", "2", "--mlp", "64", "--depth", "2",
          "--rank", "4", "--channels", "3", "--data", "fashion-mnist:train", "--limit", "600", "--holdout", "100",
          "--epochs", "2", "--batch", "64", "--lr", "3e-3", "--threads", "1", "--seed", "9"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    cli, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    port = free_port()
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2")
        out = os.path.join(work, f"rank{rank}.pt")
        procs.append(subprocess.Popen([cli] + COMMON + ["--distributed", "--out", out], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    summaries = []
    for rank, p in enumerate(procs):
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, f"rank {rank} failed: {stderr}"
        summaries.append(json.loads(stdout))
    assert not os.path.exists(os.path.join(work, "rank1.pt")), "only rank 0 writes checkpoints"
    assert summaries[0]["weights_sha256"] == summaries[1]["weights_sha256"], "the two ranks' parameters differ"

    single_out = os.path.join(work, "single.pt")
    single = subprocess.run([cli] + COMMON + ["--out", single_out], capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stderr
    single_summary = json.loads(single.stdout)

    a = load(os.path.join(work, "rank0.pt"), training=True)["model_state_dict"]
    b = load(single_out, training=True)["model_state_dict"]
    # Softmax ignores the key bias, so its exact gradient is zero: what it receives is
    # round-off, which Adam scales up to full steps, and the two runs' round-off differs.
    worst = 0.0
    for key in a:
        if key.endswith("attn.key.bias"):
            continue
        worst = max(worst, max(abs(x - y) for x, y in zip(a[key]["values"], b[key]["values"])))
    assert worst < 1e-5, f"distributed and single-process parameters differ by {worst}"
    for d, s in zip(summaries[0]["history"], single_summary["history"]):
        assert abs(d["train_loss"] - s["train_loss"]) < 1e-4, (d, s)
        assert abs(d["val_accuracy"] - s["val_accuracy"]) < 0.011, (d, s)
    print(f"2 ranks: identical parameters (sha256 {summaries[0]['weights_sha256'][:16]}...), "
          f"largest difference to one process {worst:.2e}, steps {summaries[0]['steps']}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The four model families written the way the published RingFormer code writes them, for the
speed comparison of issue 19 (tools/bench-vs-published.sh).

The published code itself is not shipped with RingScope. This file follows its structure as
docs/checkpoint-formats.md records it: the module tree of its state dicts (so it loads them with
strict=True), separate query/key/value Linears, heads split by view + permute, torch.matmul for
the attention products, F.gelu, nn.LayerNorm, and for RingFormer the d x d level matrix
M = A^T B formed and applied to every token. `check` proves it computes what the published code
computed: it loads the official fixtures and compares logits and encoded tokens.

With --published-src DIR (the src_vision folder of a clone of the published repository,
https://github.com/eldor-fozilov/ringformer) every command uses the published code's own model
classes instead of this file's: nothing of that code is copied here, it is imported from DIR.
Its models/configs.py needs ml_collections, so a small stand-in for that module is used and the
configuration is built from the command line (dropout 0, as ringscope-cli bench runs).

    python3 tools/published_style.py check tests/data/official
    python3 tools/published_style.py save --family ringformer --image-size 224 --patch 16 \
        --hidden 384 --heads 6 --mlp 1536 --depth 12 --rank 16 --classes 1000 rf-s16.pt
    python3 tools/published_style.py bench --family vit --image-size 28 --patch 4 --hidden 192 \
        --heads 4 --mlp 768 --depth 6 --rank 12 --batch 64 --train --steps 8
    python3 tools/published_style.py --published-src ~/ringformer/src_vision check tests/data/official

Needs PyTorch (Debian: python3-torch); exits 77 (skipped) without it.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import types

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - optional tool
    print(f"skipped: {e}", file=sys.stderr)
    sys.exit(77)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_size = heads, d // heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def split(self, x):
        b, n, _ = x.shape
        return x.view(b, n, self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, u, signals=None):
        q, k, v = self.query(u), self.key(u), self.value(u)
        if signals is not None:
            q, k, v = q + signals[0], k + signals[1], v + signals[2]
        q, k, v = self.split(q), self.split(k), self.split(v)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return self.out(context.view(u.shape[0], u.shape[1], -1))


class Mlp(nn.Module):
    def __init__(self, d, mlp):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, mlp), nn.Linear(mlp, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """ViT block (ffn_norm) or UiT block (ff_norm)."""

    def __init__(self, d, heads, mlp, ff_norm_name):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d, eps=1e-6)
        setattr(self, ff_norm_name, nn.LayerNorm(d, eps=1e-6))
        self.ff_norm_name = ff_norm_name
        self.ffn, self.attn = Mlp(d, mlp), Attention(d, heads)

    def forward(self, x):
        x = x + self.attn(self.attention_norm(x))
        return x + self.ffn(getattr(self, self.ff_norm_name)(x))


class AttnBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.attention_norm, self.attn = nn.LayerNorm(d, eps=1e-6), Attention(d, heads)


class FfBlock(nn.Module):
    def __init__(self, d, mlp):
        super().__init__()
        self.ff_norm, self.ffn = nn.LayerNorm(d, eps=1e-6), Mlp(d, mlp)


class PositionTable(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        pe = torch.zeros(1, n, d)
        pos = torch.arange(n, dtype=torch.float32)[:, None]
        div = torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float32) / d)
        pe[0, :, 0::2], pe[0, :, 1::2] = torch.sin(pos / div), torch.cos(pos / div)
        self.register_buffer("pos_embed", pe)


class Embeddings(nn.Module):
    def __init__(self, c, n):
        super().__init__()
        d = c["hidden"]
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.patch_embeddings = nn.Conv2d(c["channels"], d, c["patch"], c["patch"])
        if c["family"] != "uit":
            self.position_embeddings = PositionTable(n, d)

    def forward(self, images):
        x = self.patch_embeddings(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        if hasattr(self, "position_embeddings"):
            x = x + self.position_embeddings.pos_embed
        return x


class LevelEmbed(nn.Module):
    def __init__(self, enc, depth, n, d):
        super().__init__()
        if enc == "learnable":
            self.level_embed = nn.Embedding(depth * n, d)
        else:
            self.register_buffer("level_embed", torch.zeros(depth, 1, n, d))
        self.enc, self.n = enc, n

    def forward(self, t):
        if self.enc == "learnable":
            return self.level_embed.weight[t * self.n:(t + 1) * self.n]
        return self.level_embed[t]


class Encoder(nn.Module):
    def __init__(self, c, n):
        super().__init__()
        f, d, h, m, depth = c["family"], c["hidden"], c["heads"], c["mlp"], c["depth"]
        self.family, self.depth = f, depth
        if f == "vit":
            self.layer = nn.ModuleList(Block(d, h, m, "ffn_norm") for _ in range(depth))
        elif f == "owf":
            self.attn_blocks = nn.ModuleList(AttnBlock(d, h) for _ in range(depth))
            self.ff_block = FfBlock(d, m)
        elif f == "uit":
            self.layers = nn.ModuleList([Block(d, h, m, "ff_norm")])
            self.level_embed = LevelEmbed(c["enc"], depth, n, d)
        else:
            shared = nn.Module()
            shared.attn, shared.ffn = Attention(d, h), Mlp(d, m)
            self.layers = nn.ModuleList([shared])
            r = c["rank"]
            # As published: every *_01 starts at zero, every *_02 at N(0, 1e-6).
            for name in ["ATTN_lev_embed_Q_0", "ATTN_lev_embed_K_0", "ATTN_lev_embed_V_0",
                         "lev_embed_FF_0"]:
                setattr(self, name + "1", nn.Parameter(torch.zeros(depth, r, d)))
                setattr(self, name + "2", nn.Parameter(torch.randn(depth, r, d) * 1e-3))
            self.ATTN_layer_norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(depth))
            self.FF_layer_norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(depth))
        self.encoder_norm = nn.LayerNorm(d, eps=1e-6)

    def level_matrix(self, name, t):
        # The published code forms the d x d matrix of each level signal.
        a, b = getattr(self, name + "1")[t], getattr(self, name + "2")[t]
        return torch.matmul(a.t(), b)

    def forward(self, x):
        if self.family == "vit":
            for block in self.layer:
                x = block(x)
        elif self.family == "owf":
            for block in self.attn_blocks:
                x = x + block.attn(block.attention_norm(x))
                x = x + self.ff_block.ffn(self.ff_block.ff_norm(x))
        elif self.family == "uit":
            for t in range(self.depth):
                x = self.layers[0](x + self.level_embed(t))
        else:
            shared = self.layers[0]
            for t in range(self.depth):
                s = [torch.matmul(x, self.level_matrix(f"ATTN_lev_embed_{X}_0", t).t())
                     for X in "QKV"]
                x1 = x + shared.attn(self.ATTN_layer_norms[t](x), s)
                sf = torch.matmul(x1, self.level_matrix("lev_embed_FF_0", t).t())
                x = x1 + shared.ffn(self.FF_layer_norms[t](x1 + sf))
        return self.encoder_norm(x)


class VisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        n = (c["image_size"] // c["patch"]) ** 2 + 1
        self.transformer = nn.Module()
        self.transformer.embeddings = Embeddings(c, n)
        self.transformer.encoder = Encoder(c, n)
        self.head = nn.Linear(c["hidden"], c["classes"])

    def forward(self, images):
        encoded = self.transformer.encoder(self.transformer.embeddings(images))
        return self.head(encoded[:, 0]), encoded


class Config(dict):
    """What the published code reads of an ml_collections.ConfigDict: keys as attributes."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value


PUBLISHED_CLASSES = {"vit": ("vanilla_transformer", "VisionTransformer"),
                     "owf": ("one_wide_feed_forward", "OWF"),
                     "uit": ("universal_transformer", "UiT"),
                     "ringformer": ("vringformer", "VRingFormer")}


def published_class(src, family):
    """The published model class of `family`, imported from the checkout's src_vision `src`."""
    if not os.path.isfile(os.path.join(src, "models", "vringformer.py")):
        sys.exit(f"{src}: not the src_vision folder of the published code (no models/vringformer.py)")
    if src not in sys.path:
        sys.path.insert(0, src)
    # Its models import models.configs, whose ConfigDicts need ml_collections; the tables they
    # build at import are not used here, so any get_* returns an empty configuration.
    stub = types.ModuleType("models.configs")
    stub.__getattr__ = lambda name: (lambda: Config(patches=Config(), transformer=Config()))
    sys.modules.setdefault("models.configs", stub)
    module_name, class_name = PUBLISHED_CLASSES[family]
    module = __import__("models." + module_name, fromlist=[class_name])
    return getattr(module, class_name)


def published_config(c):
    """The published configuration of `c`; recurrent families run one block over depth levels."""
    recurrent = c["family"] in ("uit", "ringformer")
    return Config(patches=Config(size=(c["patch"], c["patch"])), hidden_size=c["hidden"],
                  transformer=Config(mlp_dim=c["mlp"], num_heads=c["heads"],
                                     num_layers=1 if recurrent else c["depth"],
                                     num_levels=c["depth"] if recurrent else None,
                                     small_mlp_dim=c["rank"], attention_dropout_rate=0.0,
                                     dropout_rate=0.0),
                  attn_lev_matrix_rank=c["rank"], attn_vis=True, classifier="token",
                  level_encoding=c["enc"])


def build_model(c, src=None):
    """This file's model of `c`, or with `src` the published code's own."""
    if not src:
        return VisionTransformer(c)
    if c["channels"] != 3:
        sys.exit(f"the published models take 3 input channels, not {c['channels']}")
    return published_class(src, c["family"])(published_config(c), c["image_size"], c["classes"])


def run(model, images):
    """Logits and encoded tokens (the output of encoder_norm) of either kind of model."""
    captured = []
    hook = model.transformer.encoder.encoder_norm.register_forward_hook(
        lambda module, inputs, output: captured.append(output))
    try:
        logits = model(images)[0]
    finally:
        hook.remove()
    return logits, captured[0]


def fixture_config(j):
    return {"family": j["family"], "enc": j.get("enc", "static"), "image_size": j["img"],
            "patch": j["patch"], "hidden": j["hidden"], "heads": j["heads"], "mlp": j["mlp"],
            "depth": j["depth"], "rank": j.get("rank", 1), "classes": j["classes"],
            "channels": j.get("in_channels", 3)}


def check(folder, src=None):
    worst = 0.0
    for name in sorted(f[:-5] for f in os.listdir(folder) if f.endswith("_tiny.json")):
        path = lambda ext: os.path.join(folder, name + ext)
        model = build_model(fixture_config(json.load(open(path(".json")))), src)
        model.load_state_dict(torch.load(path(".state_dict.pt")), strict=True)
        model.eval()
        with torch.no_grad():
            logits, encoded = run(model, torch.from_numpy(np.load(path(".input.npy"))))
        err = max(float((logits - torch.from_numpy(np.load(path(".logits.npy")))).abs().max()),
                  float((encoded - torch.from_numpy(np.load(path(".encoded.npy")))).abs().max()))
        print(f"{name}: max |difference| {err:.2e}")
        worst = max(worst, err)
    if worst > 1e-4:
        print((f"the model classes of {src}" if src else "published_style.py") +
              " do not compute what the official fixtures hold")
        return 1
    return 0


def bench(a):
    threads = a.threads or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = build_model(config_of(a), a.published_src)
    images = torch.randn(a.batch, a.channels, a.image_size, a.image_size)
    labels = torch.randint(0, a.classes, (a.batch,))
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        if a.train:
            model.train()
            adam.zero_grad()
            loss = F.cross_entropy(model(images)[0], labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            adam.step()
        else:
            model.eval()
            with torch.no_grad():
                model(images)

    for _ in range(a.warmup):
        step()
    ms = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000.0)
    print(json.dumps({"implementation": "published" if a.published_src else "published-style",
                      "family": a.family,
                      "mode": "train" if a.train else "inference",
                      "ms_per_step": statistics.median(ms), "ms_min": min(ms),
                      "batch": a.batch, "threads": threads, "torch": torch.__version__}))
    return 0


def save(a):
    """A freshly initialised model's state dict, saved as the published code saves one."""
    torch.manual_seed(a.seed)
    model = build_model(config_of(a), a.published_src)
    torch.save(model.state_dict(), a.out)
    print(f"{a.out}: {sum(p.numel() for p in model.state_dict().values())} weights")
    return 0


def config_of(a):
    return {"family": a.family, "enc": a.encoding, "image_size": a.image_size, "patch": a.patch,
            "hidden": a.hidden, "heads": a.heads, "mlp": a.mlp, "depth": a.depth, "rank": a.rank,
            "classes": a.classes, "channels": a.channels}


def model_options(p):
    p.add_argument("--family", choices=["vit", "owf", "uit", "ringformer"], required=True)
    p.add_argument("--encoding", choices=["static", "learnable"], default="static")
    for name, default in [("image-size", 28), ("patch", 4), ("hidden", 192), ("heads", 4),
                          ("mlp", 768), ("depth", 6), ("rank", 12), ("classes", 10),
                          ("channels", 3)]:
        p.add_argument("--" + name, type=int, default=default)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--published-src", metavar="DIR",
                   help="use the model classes of the published code's src_vision folder DIR")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="compare with the official fixtures")
    c.add_argument("folder")
    b = sub.add_parser("bench", help="time a step, as ringscope-cli bench does")
    model_options(b)
    for name, default in [("batch", 64), ("steps", 8), ("warmup", 3), ("threads", 0)]:
        b.add_argument("--" + name, type=int, default=default)
    b.add_argument("--train", action="store_true")
    s = sub.add_parser("save", help="save a freshly initialised model as a state dict")
    model_options(s)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("out")
    a = p.parse_args()
    return {"check": lambda: check(a.folder, a.published_src), "bench": lambda: bench(a),
            "save": lambda: save(a)}[a.command]()


if __name__ == "__main__":
    sys.exit(main())

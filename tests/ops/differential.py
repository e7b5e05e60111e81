#!/usr/bin/env python3
"""Writes seeded random tensor programs and PyTorch's float64 results for them: each program
draws inputs of random shapes, applies a random chain of ops (broadcasting binaries against new
inputs of broadcastable shapes, reductions over random axes, shape and indexing ops, products),
and records the output and the gradient of sum(output * cos(k)) for every input. The xgrad_differential
program (tests/ops/differential.cpp) runs the same programs and compares to 1e-10 relative.
    usage: python3 tests/ops/differential.py PROGRAMS SEED > programs.txt"""
import math
import random
import sys
import torch
import torch.nn.functional as F

f64 = torch.float64


class Program:
    def __init__(self, rng):
        self.rng = rng
        self.lines = []
        self.inputs = []   # (name, tensor)
        self.count = 0

    def name(self):
        self.count += 1
        return f"v{self.count}"

    def new_input(self, shape, positive=False):
        t = torch.randn(shape, dtype=f64, generator=self.gen)
        if positive:
            t = t.abs() + 0.5
        t.requires_grad_(True)
        n = self.name()
        self.inputs.append((n, t))
        vals = " ".join(float(v).hex() for v in t.detach().reshape(-1).tolist())
        self.lines.append(f"input {n} {len(shape)} {' '.join(map(str, shape))} : {vals}")
        return n, t

    def emit(self, op, args, t):
        n = self.name()
        self.lines.append(f"op {n} {op} {' '.join(map(str, args))}".rstrip())
        return n, t


def broadcast_partner(rng, shape):
    # a shape that broadcasts with `shape`: some leading dims dropped, some extents set to 1
    lead = rng.randint(0, len(shape))
    s = list(shape[lead:])
    for i in range(len(s)):
        if rng.random() < 0.3:
            s[i] = 1
    return s


def step(p, rng, v, t):
    """One random op applied to variable v (tensor t); returns the new variable and tensor."""
    shape = list(t.shape)
    nd = len(shape)
    choices = ["unary", "binary", "binary", "shape"]
    if nd >= 1:
        choices += ["reduce", "softmax", "index", "cat"]
    if nd >= 2:
        choices += ["matmul", "matmul"]
    kind = rng.choice(choices)
    if kind == "unary":
        op = rng.choice(["sin", "cos", "tanh", "sigmoid", "square", "neg", "exp_tanh", "abs_plus", "clamp", "gelu", "relu_shift", "log_softplus"])
        f = {"sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "square": torch.square,
             "neg": torch.neg, "exp_tanh": lambda x: torch.exp(torch.tanh(x)), "abs_plus": lambda x: torch.abs(x) + 0.1,
             "clamp": lambda x: torch.clamp(x, -0.8, 0.9), "gelu": F.gelu, "relu_shift": lambda x: torch.relu(x - 0.05),
             "log_softplus": lambda x: torch.log(F.softplus(x))}[op]
        return p.emit(op, [v], f(t))
    if kind == "binary":
        w, u = p.new_input(broadcast_partner(rng, shape) if rng.random() < 0.7 else shape)
        op = rng.choice(["add", "sub", "mul", "div_safe", "maximum", "minimum", "where_gt", "pow_safe"])
        f = {"add": torch.add, "sub": torch.sub, "mul": torch.mul,
             "div_safe": lambda a, b: a / (1.5 + torch.sigmoid(b)),
             "maximum": torch.maximum, "minimum": torch.minimum,
             "where_gt": lambda a, b: torch.where(a > b, a, b * 2.0),
             "pow_safe": lambda a, b: torch.pow(torch.sigmoid(a) + 0.5, b)}[op]
        return p.emit(op, [v, w], f(t, u))
    if kind == "shape":
        op = rng.choice(["transpose", "unsqueeze", "flatten", "permute", "repeat"] + (["squeeze"] if 1 in shape else []))
        if op == "transpose" and nd >= 2:
            a, b = rng.sample(range(nd), 2)
            return p.emit("transpose", [v, a, b], t.transpose(a, b))
        if op == "permute" and nd >= 2:
            perm = list(range(nd))
            rng.shuffle(perm)
            return p.emit("permute", [v] + perm, t.permute(*perm))
        if op == "squeeze":
            return p.emit("squeeze", [v], t.squeeze())
        if op == "flatten" and nd >= 2:
            a = rng.randint(0, nd - 2)
            return p.emit("flatten", [v, a, a + 1], t.flatten(a, a + 1))
        if op == "repeat" and 1 <= nd <= 3:
            reps = [rng.randint(1, 2) for _ in range(nd)]
            return p.emit("repeat", [v] + reps, t.repeat(*reps))
        d = rng.randint(-nd - 1, nd)
        return p.emit("unsqueeze", [v, d], t.unsqueeze(d))
    if kind == "reduce":
        op = rng.choice(["sum", "mean", "max", "logsumexp", "var", "prod", "norm"])
        keep = rng.random() < 0.5
        if op in ("max",):
            a = rng.randrange(nd)
            return p.emit("max", [v, a, int(keep)], t.max(a, keepdim=keep).values)
        axes = sorted(rng.sample(range(nd), rng.randint(1, nd)))
        if op == "sum":
            return p.emit("sum", [v, int(keep)] + axes, t.sum(axes, keepdim=keep))
        if op == "mean":
            return p.emit("mean", [v, int(keep)] + axes, t.mean(axes, keepdim=keep))
        if op == "logsumexp":
            return p.emit("logsumexp", [v, int(keep)] + axes, torch.logsumexp(t, axes, keepdim=keep))
        if op == "prod":
            a = rng.randrange(nd)
            return p.emit("prod", [v, a, int(keep)], t.prod(a, keepdim=keep))
        if op == "norm":
            return p.emit("norm", [v, int(keep)] + axes, torch.linalg.vector_norm(t, 2, axes, keepdim=keep) + 0.1)
        n = 1
        for a in axes:
            n *= shape[a]
        if n < 2:
            return p.emit("sum", [v, int(keep)] + axes, t.sum(axes, keepdim=keep))
        return p.emit("var", [v, int(keep)] + axes, t.var(axes, keepdim=keep))
    if kind == "softmax":
        a = rng.randrange(nd)
        if rng.random() < 0.5:
            return p.emit("softmax", [v, a], torch.softmax(t, a))
        return p.emit("log_softmax", [v, a], torch.log_softmax(t, a))
    if kind == "index":
        a = rng.randrange(nd)
        n = shape[a]
        op = rng.choice(["select", "narrow", "index_select", "slice", "index_mask"])
        if op == "select":
            i = rng.randrange(-n, n)
            return p.emit("select", [v, a, i], t.select(a, i))
        if op == "narrow":
            start = rng.randrange(n)
            length = rng.randint(1, n - start)
            return p.emit("narrow", [v, a, start, length], t.narrow(a, start, length))
        if op == "slice":
            start, step_ = rng.randrange(n), rng.randint(1, 2)
            idx = [slice(None)] * nd
            idx[a] = slice(start, None, step_)
            return p.emit("slice", [v, a, start, step_], t[tuple(idx)])
        if op == "index_mask":  # x[:, ..., mask] with a bool mask along dimension a, at least one true
            bits = [rng.random() < 0.5 for _ in range(n)]
            bits[rng.randrange(n)] = True
            idx = [slice(None)] * a + [torch.tensor(bits)]
            return p.emit("index_mask", [v, a] + [int(b) for b in bits], t[tuple(idx)])
        idx = [rng.randrange(n) for _ in range(rng.randint(1, 4))]
        return p.emit("index_select", [v, a] + idx, torch.index_select(t, a, torch.tensor(idx)))
    if kind == "cat":
        a = rng.randrange(nd)
        other = list(shape)
        other[a] = rng.randint(1, 3)
        w, u = p.new_input(other)
        return p.emit("cat", [v, w, a], torch.cat([t, u], a))
    # matmul against a new input: (..., M, K) x (K, N), or a batched partner
    k = shape[-1]
    n = rng.randint(1, 4)
    if rng.random() < 0.5:
        w, u = p.new_input([k, n])
    else:
        w, u = p.new_input(broadcast_partner(rng, shape[:-2]) + [k, n])
    return p.emit("matmul", [v, w], torch.matmul(t, u))


def program(rng, index):
    p = Program(rng)
    p.gen = torch.Generator().manual_seed(rng.randrange(2 ** 62))
    nd = rng.randint(1, 4)
    shape = [rng.randint(1, 4) for _ in range(nd)]
    v, t = p.new_input(shape)
    for _ in range(rng.randint(2, 6)):
        if t.numel() > 400 or t.dim() > 5:
            break
        v, t = step(p, rng, v, t)
    w = torch.cos(torch.arange(t.numel(), dtype=f64)).reshape(t.shape)
    ins = [x for _, x in p.inputs]
    grads = torch.autograd.grad((t * w).sum(), ins, allow_unused=True)
    out = [f"program {index}"] + p.lines + [f"output {v} {t.dim()} {' '.join(map(str, t.shape))} : " +
                                           " ".join(float(x).hex() for x in t.detach().reshape(-1).tolist())]
    for (n, x), g in zip(p.inputs, grads):
        g = torch.zeros_like(x) if g is None else g
        out.append(f"grad {n} : " + " ".join(float(e).hex() for e in g.reshape(-1).tolist()))
    out.append("end")
    return out


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    print(f"# {count} programs, seed {seed}, PyTorch {torch.__version__}")
    for i in range(count):
        print("\n".join(program(rng, i)))


main()

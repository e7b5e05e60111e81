#!/usr/bin/env python3
"""Prints tests/ops/op_values.inc: PyTorch's forward values and gradients for every tensor-program
op (indexing, joining, shape, elementwise, reductions) at seeded inputs, over their options.
Each case names an op call; tests/ops/test_op_values.cpp holds the same call in xgrad under the
same name, checks values and gradients against these numbers and runs a float64 gradcheck on it.
The gradient is that of sum(out * w) with w_k = cos(k) over the output's elements.
CTest (op_values_are_pytorchs) regenerates the table and compares it (--check).
    usage: python3 tests/ops/gen_op_values.py > tests/ops/op_values.inc
           python3 tests/ops/gen_op_values.py --check tests/ops/op_values.inc"""
import math
import re
import sys
import warnings
import zlib
import torch
import torch.nn.functional as Fn

f64 = torch.float64
warnings.filterwarnings("ignore", "Using a target size")  # the broadcasting losses: on purpose


def R(*shape):  # standard normal
    return ("randn", shape)


def P(*shape):  # positive, away from 0: 0.5 + uniform[0, 2)
    return ("pos", shape)


def W(*shape):  # positive like P, and not requiring grad (class weights)
    return ("weight", shape)


def C(values, shape):  # fixed floats
    return ("const", values, shape)


def I(values, shape):  # int64
    return ("int", values, shape)


def B(values, shape):  # bool
    return ("bool", values, shape)


def running_stats(a, b):  # BatchNorm's running mean and variance after two training batches
    m, v = torch.zeros(3, dtype=f64), torch.ones(3, dtype=f64)
    Fn.batch_norm(a, m, v, training=True, momentum=0.1)
    Fn.batch_norm(b, m, v, training=True, momentum=0.1)
    return torch.cat([m, v])


def F(name, fn, *inputs):
    return (name, fn, inputs)


CASES = [
    # elementwise, broadcasting and promotion
    F("add_broadcast", lambda a, b: a + b, R(2, 3), R(3)),
    F("sub_broadcast", lambda a, b: a - b, R(2, 1, 3), R(4, 1)),
    F("mul_broadcast", lambda a, b: a * b, R(3, 1), R(1, 4)),
    F("div_broadcast", lambda a, b: a / b, R(2, 3), P(2, 1)),
    F("add_int", lambda a, b: a + b, I([1, -2, 3], [3]), I([10], [1])),
    F("mul_int_float", lambda a, b: a * b, I([1, -2, 3], [3]), R(3)),
    F("div_int", lambda a, b: a / b, I([7, -7, 3], [3]), I([2, 2, 4], [3])),
    F("add_bool_int", lambda a, b: a + b, B([1, 0, 1], [3]), I([5, 5, 5], [3])),
    F("pow_tensor", lambda a, b: torch.pow(a, b), P(2, 3), R(3)),
    F("pow_tensor_zero_exponent", lambda a, b: torch.pow(a, b), P(4), C([0, 1, 2, 0], [4])),
    F("pow_tensor_zero_base", lambda a, b: torch.pow(a, b), C([0, 0, 2], [3]), C([0, 2, 0.5], [3])),
    F("sign", torch.sign, R(5)),
    F("sin", torch.sin, R(2, 3)),
    F("cos", torch.cos, R(2, 3)),
    F("square", torch.square, R(2, 3)),
    F("square_int", torch.square, I([-3, 4], [2])),
    F("rsqrt", torch.rsqrt, P(4)),
    F("log1p", torch.log1p, P(4)),
    F("expm1", torch.expm1, R(4)),
    F("exp_int", torch.exp, I([0, 1, 2], [3])),
    F("abs_int", torch.abs, I([-3, 0, 4], [3])),
    F("neg_int", torch.neg, I([-3, 0, 4], [3])),
    F("clamp_both", lambda x: torch.clamp(x, -0.5, 0.7), R(3, 4)),
    F("clamp_min", lambda x: torch.clamp(x, min=0.1), R(6)),
    F("clamp_max", lambda x: torch.clamp(x, max=-0.2), R(6)),
    F("clamp_int", lambda x: torch.clamp(x, 0, 5), I([-2, 3, 9], [3])),
    F("maximum", torch.maximum, R(2, 3), R(3)),
    F("minimum", torch.minimum, R(2, 3), R(2, 1)),
    F("maximum_ties", torch.maximum, C([1, 2, 3], [3]), C([1, 0, 3], [3])),
    F("maximum_int", torch.maximum, I([1, 5, -3], [3]), I([2], [1])),
    F("eq", torch.eq, C([1, 2, 3, 4], [4]), C([1, 0, 3, 5], [4])),
    F("ne", torch.ne, C([1, 2, 3, 4], [4]), C([1, 0, 3, 5], [4])),
    F("lt_broadcast", torch.lt, R(2, 3), R(3)),
    F("le", torch.le, C([1, 2, 3], [3]), C([2, 2, 2], [3])),
    F("gt_int_float", torch.gt, I([1, 2, 3], [3]), C([1.5], [1])),
    F("ge", torch.ge, C([1, 2, 3], [3]), C([2, 2, 2], [3])),
    F("logical_and", torch.logical_and, B([1, 1, 0, 0], [4]), B([1, 0, 1, 0], [4])),
    F("logical_or", torch.logical_or, B([1, 1, 0, 0], [4]), B([1, 0, 1, 0], [4])),
    F("logical_xor", torch.logical_xor, C([1, 0, 2, 0], [4]), I([1, 1, 0, 0], [4])),
    F("logical_not", torch.logical_not, C([1, 0, -2], [3])),
    # shape
    F("unsqueeze_0", lambda x: x.unsqueeze(0), R(2, 3)),
    F("unsqueeze_neg", lambda x: x.unsqueeze(-1), R(2, 3)),
    F("squeeze_all", lambda x: x.squeeze(), R(1, 3, 1, 2)),
    F("squeeze_dim", lambda x: x.squeeze(2), R(1, 3, 1, 2)),
    F("permute", lambda x: x.permute(2, 0, 1), R(2, 3, 4)),
    F("transpose_nd", lambda x: x.transpose(0, 2), R(2, 3, 4)),
    F("transpose_last_two", lambda x: x.transpose(-2, -1), R(2, 11, 13)),  # 8 x 8 tiles and their edges
    F("expand", lambda x: x.expand(2, 3, 4), R(3, 1)),
    F("broadcast_to", lambda x: torch.broadcast_to(x, (2, 4)), R(4)),
    F("repeat", lambda x: x.repeat(2, 1, 3), R(2, 2)),
    F("flatten_middle", lambda x: x.flatten(1, 2), R(2, 3, 2, 2)),
    F("reshape_infer", lambda x: x.reshape(3, -1), R(2, 3, 2)),
    F("permute_int", lambda x: x.permute(1, 0), I([1, 2, 3, 4, 5, 6], [2, 3])),
    # joining
    F("cat_0", lambda a, b: torch.cat([a, b], 0), R(2, 3), R(1, 3)),
    F("cat_1", lambda a, b, c: torch.cat([a, b, c], 1), R(2, 1), R(2, 3), R(2, 2)),
    F("cat_neg", lambda a, b: torch.cat([a, b], -1), R(2, 2, 1), R(2, 2, 2)),
    F("cat_promotes", lambda a, b: torch.cat([a, b]), I([1, 2], [2]), R(3)),
    F("stack_0", lambda a, b: torch.stack([a, b]), R(2, 3), R(2, 3)),
    F("stack_last", lambda a, b, c: torch.stack([a, b, c], -1), R(2), R(2), R(2)),
    F("split_size_1", lambda x: torch.split(x, 2, 1)[1], R(2, 5)),
    F("split_size_last", lambda x: torch.split(x, 2, 1)[2], R(2, 5)),
    F("split_sizes", lambda x: torch.split(x, [1, 3], 0)[1], R(4, 2)),
    F("chunk", lambda x: torch.chunk(x, 3, 0)[2], R(7, 2)),
    # indexing
    F("select", lambda x: x.select(1, 2), R(2, 3, 4)),
    F("select_neg", lambda x: x.select(0, -1), R(3, 2)),
    F("narrow", lambda x: x.narrow(1, 1, 2), R(2, 4)),
    F("narrow_neg_start", lambda x: x.narrow(0, -2, 2), R(4, 2)),
    F("slice_step", lambda x: x[:, 1::2], R(2, 6)),
    F("slice_neg", lambda x: x[-3:-1], R(5, 2)),
    F("slice_clamped", lambda x: x[1:100], R(4)),
    F("index_select_repeats", lambda x, i: torch.index_select(x, 0, i), R(4, 3), I([2, 0, 2, 3], [4])),
    F("index_select_dim1", lambda x, i: torch.index_select(x, 1, i), R(2, 4), I([3, 1], [2])),
    F("take_rows_2d", lambda x, i: x[i], R(5, 3), I([[0, 4, 4], [1, 0, 2]], [2, 3])),
    F("embedding_padding_idx", lambda i, w: Fn.embedding(i, w, padding_idx=1), I([[0, 1, 3], [1, 2, 1]], [2, 3]), R(4, 3)),
    F("embedding_padding_negative", lambda i, w: Fn.embedding(i, w, padding_idx=-1), I([3, 0, 3, 2], [4]), R(4, 2)),
    F("gather_1", lambda x, i: torch.gather(x, 1, i), R(3, 4), I([[0, 0], [3, 1], [2, 2]], [3, 2])),
    F("gather_0", lambda x, i: torch.gather(x, 0, i), R(3, 2), I([[2, 0], [1, 1]], [2, 2])),
    F("scatter_add", lambda x, i, s: torch.scatter_add(x, 1, i, s), R(2, 4), I([[0, 0, 3], [1, 2, 1]], [2, 3]), R(2, 3)),
    F("masked_fill", lambda x, m: x.masked_fill(m, -1.5), R(2, 3), B([1, 0, 1], [3])),
    F("masked_fill_inf", lambda x, m: x.masked_fill(m, -math.inf), R(2, 2), B([0, 1, 0, 0], [2, 2])),
    F("where", lambda c, a, b: torch.where(c, a, b), B([1, 0, 1], [3]), R(2, 3), R(2, 1)),
    F("one_hot", lambda i: torch.nn.functional.one_hot(i, 4), I([3, 0, 1], [3])),
    F("one_hot_inferred", lambda i: torch.nn.functional.one_hot(i), I([[2, 0], [1, 2]], [2, 2])),
    F("index_slice_int", lambda x: x[1:3, 0], R(4, 3)),
    F("index_ellipsis_step", lambda x: x[..., ::2], R(2, 2, 5)),
    F("index_newaxis", lambda x: x[None, :, 1], R(3, 2)),
    F("index_tensor_dim1", lambda x, i: x[:, i], R(2, 5), I([[4, 0], [1, 1]], [2, 2])),
    F("index_bool_mask", lambda x, m: x[m], R(4, 3), B([1, 0, 1, 1], [4])),
    F("index_bool_mask_2d_after_slice", lambda x, m: x[:, m], R(2, 2, 3, 2), B([1, 0, 0, 1, 1, 0], [2, 3])),
    F("index_bool_mask_ellipsis", lambda x, m: x[..., m], R(2, 4), B([0, 1, 1, 0], [4])),
    F("masked_select_broadcast", lambda x, m: torch.masked_select(x, m), R(2, 1, 3), B([1, 0, 1, 0, 1, 1], [2, 3])),
    F("masked_select_int", lambda x, m: torch.masked_select(x, m), I([5, -2, 7, 9], [4]), B([0, 1, 1, 0], [4])),
    # products
    F("matmul_1d_1d", torch.matmul, R(4), R(4)),
    F("matmul_1d_2d", torch.matmul, R(3), R(3, 2)),
    F("matmul_2d_1d", torch.matmul, R(2, 3), R(3)),
    F("matmul_3d_2d", torch.matmul, R(2, 3, 4), R(4, 2)),
    F("matmul_3d_1d", torch.matmul, R(2, 3, 4), R(4)),
    F("matmul_batch_broadcast", torch.matmul, R(2, 1, 3, 4), R(3, 4, 2)),
    F("matmul_1d_3d", torch.matmul, R(4), R(2, 4, 3)),
    F("matmul_batched_same", torch.matmul, R(3, 2, 4), R(3, 4, 5)),
    F("bmm", torch.bmm, R(2, 3, 4), R(2, 4, 2)),
    F("linear_3d", torch.nn.functional.linear, R(2, 3, 4), R(5, 4), R(5)),
    F("linear_1d_nobias", torch.nn.functional.linear, R(4), R(3, 4)),
    # losses
    F("ce_labels", lambda x, y: Fn.cross_entropy(x, y), R(4, 5), I([1, 0, 4, 2], [4])),
    F("ce_ignore", lambda x, y: Fn.cross_entropy(x, y), R(4, 5), I([1, -100, 4, -100], [4])),
    F("ce_ignore_7_sum", lambda x, y: Fn.cross_entropy(x, y, ignore_index=7, reduction="sum"), R(3, 4), I([1, 7, 3], [3])),
    F("ce_weight", lambda x, y, w: Fn.cross_entropy(x, y, weight=w), R(4, 3), I([1, 0, 2, 2], [4]), W(3)),
    F("ce_smoothing", lambda x, y: Fn.cross_entropy(x, y, label_smoothing=0.2), R(4, 5), I([1, 0, 4, 2], [4])),
    F("ce_smoothing_ignore", lambda x, y: Fn.cross_entropy(x, y, label_smoothing=0.1), R(4, 5), I([1, -100, 4, 2], [4])),
    F("ce_all", lambda x, y, w: Fn.cross_entropy(x, y, weight=w, label_smoothing=0.3, ignore_index=0), R(5, 3), I([1, 0, 2, 2, 1], [5]), W(3)),
    F("ce_nd", lambda x, y: Fn.cross_entropy(x, y), R(2, 3, 4), I([[0, 2, 1, 1], [2, 2, 0, 1]], [2, 4])),
    F("ce_nd_none", lambda x, y: Fn.cross_entropy(x, y, reduction="none"), R(2, 3, 2, 2), I([0, 2, 1, 1, 2, -100, 0, 1], [2, 2, 2])),
    F("ce_nd_weight_smoothing", lambda x, y, w: Fn.cross_entropy(x, y, weight=w, label_smoothing=0.1), R(2, 3, 4), I([[0, 2, 1, 1], [2, -100, 0, 1]], [2, 4]), W(3)),
    F("ce_probs_nd", lambda x, q: Fn.cross_entropy(x, q), R(2, 3, 2), P(2, 3, 2)),
    F("ce_probs_weight_smoothing", lambda x, q, w: Fn.cross_entropy(x, q, weight=w, label_smoothing=0.2), R(3, 4), P(3, 4), W(4)),
    F("nll_nd_weight", lambda x, y, w: Fn.nll_loss(x, y, weight=w), R(2, 3, 3), I([[0, 2, 1], [2, 2, -100]], [2, 3]), W(3)),
    F("nll_sum_ignore", lambda x, y: Fn.nll_loss(x, y, reduction="sum", ignore_index=2), R(4, 3), I([0, 2, 1, 2], [4])),
    F("mse_broadcast", lambda x, t: Fn.mse_loss(x, t), R(3, 4), R(4)),
    F("mse_sum", lambda x, t: Fn.mse_loss(x, t, reduction="sum"), R(3, 4), R(3, 4)),
    F("l1_mean", lambda x, t: Fn.l1_loss(x, t), R(3, 4), R(3, 4)),
    F("l1_none_broadcast", lambda x, t: Fn.l1_loss(x, t, reduction="none"), R(3, 1), R(1, 4)),
    F("huber_mean", lambda x, t: Fn.huber_loss(x, t), C([0.1, -2.0, 3.0, 0.4], [4]), C([0.5, 0.2, -1.0, 0.1], [4])),
    F("huber_delta_sum", lambda x, t: Fn.huber_loss(x, t, reduction="sum", delta=0.5), R(3, 4), R(4)),
    # normalization
    F("layer_norm_affine", lambda x, w, b: Fn.layer_norm(x, (4,), w, b), R(2, 3, 4), R(4), R(4)),
    F("layer_norm_2d_plain", lambda x: Fn.layer_norm(x, (3, 4)), R(2, 3, 4)),
    F("batch_norm_train_2d", lambda x, w, b: Fn.batch_norm(x, None, None, w, b, training=True), R(5, 3), R(3), R(3)),
    F("batch_norm_train_3d", lambda x: Fn.batch_norm(x, None, None, training=True, eps=1e-3), R(4, 3, 2)),
    F("batch_norm_eval", lambda x, m, v, w, b: Fn.batch_norm(x, m, v, w, b, training=False), R(4, 3), W(3), W(3), R(3), R(3)),
    F("batch_norm_running_stats", lambda a, b: running_stats(a, b), W(6, 3), W(4, 3)),
    # reductions
    F("sum_all", lambda x: x.sum(), R(3, 4)),
    F("sum_axes", lambda x: x.sum((0, 2)), R(2, 3, 4)),
    F("sum_axes_keep", lambda x: x.sum((0, 2), keepdim=True), R(2, 3, 4)),
    F("sum_int", lambda x: x.sum(0), I([1, 2, 3, 4], [2, 2])),
    F("sum_bool", lambda x: x.sum(), B([1, 1, 0, 1], [4])),
    F("mean_axes", lambda x: x.mean((1, 2)), R(2, 3, 4)),
    F("mean_neg_keep", lambda x: x.mean(-1, keepdim=True), R(2, 3)),
    F("max_all", lambda x: x.max(), R(3, 4)),
    F("max_axes", lambda x: x.amax((0, 2)), R(2, 3, 4)),
    F("min_axis", lambda x: x.min(1).values, R(3, 4)),
    F("min_axes_keep", lambda x: x.amin((1, 2), keepdim=True), R(2, 3, 4)),
    F("min_all_int", lambda x: x.min(), I([4, -2, 7], [3])),
    F("prod_all", lambda x: x.prod(), R(2, 3)),
    F("prod_axis_zero", lambda x: x.prod(1), C([1, 0, 3, 0, 0, 2, 4, 5, 6], [3, 3])),
    F("prod_axes", lambda x: torch.prod(torch.prod(x, 2), 0), R(2, 3, 2)),
    F("prod_int", lambda x: x.prod(0), I([2, 3, 4, 5], [2, 2])),
    F("var_all", lambda x: x.var(), R(3, 4)),
    F("var_axis_unbiased0", lambda x: x.var(1, unbiased=False), R(3, 4)),
    F("var_axes_keep", lambda x: x.var((0, 2), keepdim=True), R(2, 3, 4)),
    F("std_axis", lambda x: x.std(0), R(5, 3)),
    F("logsumexp_axis", lambda x: torch.logsumexp(x, 1), R(3, 4)),
    F("logsumexp_axes", lambda x: torch.logsumexp(x, (0, 2)), R(2, 3, 4)),
    F("logsumexp_large", lambda x: torch.logsumexp(x, 0), C([1000, 1001, -1000], [3])),
    F("argmax_axis", lambda x: x.argmax(1), R(3, 4)),
    F("argmax_all", lambda x: x.argmax(), R(3, 4)),
    F("argmin_axis_keep", lambda x: x.argmin(0, keepdim=True), R(3, 4)),
    F("argmin_all", lambda x: x.argmin(), R(3, 4)),
    F("cumsum_0", lambda x: x.cumsum(0), R(3, 2)),
    F("cumsum_neg", lambda x: x.cumsum(-1), R(2, 4)),
    F("cumsum_int", lambda x: x.cumsum(0), I([1, 2, 3], [3])),
    F("norm_2", lambda x: torch.linalg.vector_norm(x), R(3, 4)),
    F("norm_1_axis", lambda x: torch.linalg.vector_norm(x, 1, 1), R(3, 4)),
    F("norm_3_axes_keep", lambda x: torch.linalg.vector_norm(x, 3, (0, 2), keepdim=True), R(2, 3, 2)),
    F("norm_inf", lambda x: torch.linalg.vector_norm(x, math.inf), R(3, 4)),
]


def make(spec, gen):
    kind = spec[0]
    if kind == "randn":
        return torch.randn(spec[1], generator=gen, dtype=f64)
    if kind in ("pos", "weight"):
        return 0.5 + 2 * torch.rand(spec[1], generator=gen, dtype=f64)
    if kind == "const":
        return torch.tensor(spec[1], dtype=f64).reshape(spec[2])
    if kind == "int":
        return torch.tensor(spec[1], dtype=torch.int64).reshape(spec[2])
    return torch.tensor(spec[1], dtype=torch.bool).reshape(spec[2])


DTYPES = {f64: "float64", torch.float32: "float32", torch.int64: "int64", torch.bool: "boolean"}


def literal(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v.hex()


def value(t, constant=False):
    shape = ", ".join(str(s) for s in t.shape)
    vals = ", ".join(literal(v) for v in t.detach().reshape(-1).tolist())
    return f"{{{DTYPES[t.dtype]}, {{{shape}}}, {{{vals}}}{', false' if constant else ''}}}"


def rows():
    for name, fn, specs in CASES:
        gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        ins = [make(s, gen) for s in specs]
        for t, s in zip(ins, specs):
            if t.dtype == f64 and s[0] != "weight":
                t.requires_grad_(True)
        out = fn(*ins)
        grads = []
        if out.dtype == f64:
            w = torch.cos(torch.arange(out.numel(), dtype=f64)).reshape(out.shape)
            floats = [t for t in ins if t.requires_grad]
            if floats and out.requires_grad:
                got = torch.autograd.grad((out * w).sum(), floats, allow_unused=True)
                grads = [torch.zeros_like(t) if g is None else g for t, g in zip(floats, got)]
        yield f'{{"{name}", {{{", ".join(value(t, s[0] == "weight") for t, s in zip(ins, specs))}}}, {value(out)}, {{{", ".join(value(g) for g in grads)}}}}},'


def numbers(line):
    return [float(t) if t in ("nan", "inf", "-inf") else float.fromhex(t)
            for t in re.findall(r"-?0x[0-9a-fA-Fp.+-]+|-?inf|nan", line)]


def close(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-13 * max(1.0, abs(b))


if len(sys.argv) == 3 and sys.argv[1] == "--check":
    stored = [line.strip() for line in open(sys.argv[2]) if line.startswith("{")]
    fresh = list(rows())
    if len(stored) != len(fresh):
        sys.exit(f"{sys.argv[2]}: {len(stored)} rows, PyTorch gives {len(fresh)}: regenerate it")
    bad = 0
    for s, f in zip(stored, fresh):
        a, b = numbers(s), numbers(f)
        same_text = re.sub(r"-?0x[0-9a-fA-Fp.+-]+|-?inf|nan", "#", s) == re.sub(r"-?0x[0-9a-fA-Fp.+-]+|-?inf|nan", "#", f)
        if not same_text or len(a) != len(b) or not all(close(x, y) for x, y in zip(a, b)):
            print("differs:", f.split(",")[0])
            bad += 1
    print(f"{len(fresh)} cases checked against PyTorch {torch.__version__}, {bad} differ")
    sys.exit(1 if bad else 0)

print("// Generated by tests/ops/gen_op_values.py from PyTorch " + torch.__version__ + "; do not edit.")
print("// {case, inputs, output, gradients of sum(output * cos(k)) for the float inputs}")
for row in rows():
    print(row)

// Every tensor-program op (indexing, joining, shape, elementwise, reductions) at the inputs of
// tests/ops/op_values.inc: values and gradients equal PyTorch's, and a float64 gradcheck passes.
#include "helpers.hpp"

#include <functional>
#include <map>
#include <set>

using namespace xgrad;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
[[maybe_unused]] constexpr double nan = std::numeric_limits<double>::quiet_NaN();  // for generated rows that hold one

struct Value {
    Dtype dtype;
    std::vector<std::size_t> shape;
    std::vector<double> values;
    bool requires_grad = true;  // false for constants such as class weights
};

struct Case {
    const char* name;
    std::vector<Value> in;
    Value out;
    std::vector<Value> grads;  // one per float input, in order
};

// PyTorch's numbers (tests/ops/gen_op_values.py).
const std::vector<Case>& cases() {
    static const std::vector<Case> table = {
#include "ops/op_values.inc"
    };
    return table;
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using T = const std::vector<Tensor>&;

// The same calls in xgrad, by case name.
const std::map<std::string, Fn>& calls() {
    static const std::map<std::string, Fn> table = {
        {"add_broadcast", [](T in) { return in[0] + in[1]; }},
        {"sub_broadcast", [](T in) { return in[0] - in[1]; }},
        {"mul_broadcast", [](T in) { return in[0] * in[1]; }},
        {"div_broadcast", [](T in) { return in[0] / in[1]; }},
        {"add_int", [](T in) { return in[0] + in[1]; }},
        {"mul_int_float", [](T in) { return in[0] * in[1]; }},
        {"div_int", [](T in) { return in[0] / in[1]; }},
        {"add_bool_int", [](T in) { return in[0] + in[1]; }},
        {"pow_tensor", [](T in) { return pow(in[0], in[1]); }},
        {"pow_tensor_zero_exponent", [](T in) { return pow(in[0], in[1]); }},
        {"pow_tensor_zero_base", [](T in) { return pow(in[0], in[1]); }},
        {"sign", [](T in) { return sign(in[0]); }},
        {"sin", [](T in) { return sin(in[0]); }},
        {"cos", [](T in) { return cos(in[0]); }},
        {"square", [](T in) { return square(in[0]); }},
        {"square_int", [](T in) { return square(in[0]); }},
        {"rsqrt", [](T in) { return rsqrt(in[0]); }},
        {"log1p", [](T in) { return log1p(in[0]); }},
        {"expm1", [](T in) { return expm1(in[0]); }},
        {"exp_int", [](T in) { return exp(in[0]); }},
        {"abs_int", [](T in) { return abs(in[0]); }},
        {"neg_int", [](T in) { return -in[0]; }},
        {"clamp_both", [](T in) { return clamp(in[0], -0.5, 0.7); }},
        {"clamp_min", [](T in) { return clamp(in[0], 0.1); }},
        {"clamp_max", [](T in) { return clamp(in[0], std::nullopt, -0.2); }},
        {"clamp_int", [](T in) { return clamp(in[0], 0, 5); }},
        {"maximum", [](T in) { return maximum(in[0], in[1]); }},
        {"minimum", [](T in) { return minimum(in[0], in[1]); }},
        {"maximum_ties", [](T in) { return maximum(in[0], in[1]); }},
        {"maximum_int", [](T in) { return maximum(in[0], in[1]); }},
        {"eq", [](T in) { return in[0] == in[1]; }},
        {"ne", [](T in) { return in[0] != in[1]; }},
        {"lt_broadcast", [](T in) { return in[0] < in[1]; }},
        {"le", [](T in) { return in[0] <= in[1]; }},
        {"gt_int_float", [](T in) { return in[0] > in[1]; }},
        {"ge", [](T in) { return in[0] >= in[1]; }},
        {"logical_and", [](T in) { return in[0] & in[1]; }},
        {"logical_or", [](T in) { return in[0] | in[1]; }},
        {"logical_xor", [](T in) { return logical_xor(in[0], in[1]); }},
        {"logical_not", [](T in) { return logical_not(in[0]); }},
        {"unsqueeze_0", [](T in) { return in[0].unsqueeze(0); }},
        {"unsqueeze_neg", [](T in) { return unsqueeze(in[0], -1); }},
        {"squeeze_all", [](T in) { return squeeze(in[0]); }},
        {"squeeze_dim", [](T in) { return in[0].squeeze(2); }},
        {"permute", [](T in) { return in[0].permute({2, 0, 1}); }},
        {"transpose_nd", [](T in) { return in[0].transpose(0, 2); }},
        {"transpose_last_two", [](T in) { return in[0].transpose(-2, -1); }},
        {"expand", [](T in) { return in[0].expand({2, 3, 4}); }},
        {"broadcast_to", [](T in) { return broadcast_to(in[0], {2, 4}); }},
        {"repeat", [](T in) { return repeat(in[0], {2, 1, 3}); }},
        {"flatten_middle", [](T in) { return flatten(in[0], 1, 2); }},
        {"reshape_infer", [](T in) { return reshape(in[0], {3, -1}); }},
        {"permute_int", [](T in) { return permute(in[0], {1, 0}); }},
        {"cat_0", [](T in) { return cat({in[0], in[1]}, 0); }},
        {"cat_1", [](T in) { return cat({in[0], in[1], in[2]}, 1); }},
        {"cat_neg", [](T in) { return cat({in[0], in[1]}, -1); }},
        {"cat_promotes", [](T in) { return cat({in[0], in[1]}); }},
        {"stack_0", [](T in) { return stack({in[0], in[1]}); }},
        {"stack_last", [](T in) { return stack({in[0], in[1], in[2]}, -1); }},
        {"split_size_1", [](T in) { return split(in[0], 2, 1)[1]; }},
        {"split_size_last", [](T in) { return split(in[0], 2, 1)[2]; }},
        {"split_sizes", [](T in) { return split(in[0], std::vector<std::int64_t>{1, 3}, 0)[1]; }},
        {"chunk", [](T in) { return chunk(in[0], 3, 0)[2]; }},
        {"select", [](T in) { return select(in[0], 1, 2); }},
        {"select_neg", [](T in) { return select(in[0], 0, -1); }},
        {"narrow", [](T in) { return narrow(in[0], 1, 1, 2); }},
        {"narrow_neg_start", [](T in) { return narrow(in[0], 0, -2, 2); }},
        {"slice_step", [](T in) { return index(in[0], {Slice(), Slice(1, std::nullopt, 2)}); }},
        {"slice_neg", [](T in) { return slice(in[0], 0, -3, -1); }},
        {"slice_clamped", [](T in) { return slice(in[0], 0, 1, 100); }},
        {"index_select_repeats", [](T in) { return index_select(in[0], 0, in[1]); }},
        {"index_select_dim1", [](T in) { return index_select(in[0], 1, in[1]); }},
        {"take_rows_2d", [](T in) { return take_rows(in[0], in[1]); }},
        {"embedding_padding_idx", [](T in) { return embedding(in[0], in[1], 1); }},
        {"embedding_padding_negative", [](T in) { return embedding(in[0], in[1], -1); }},
        {"gather_1", [](T in) { return gather(in[0], 1, in[1]); }},
        {"gather_0", [](T in) { return gather(in[0], 0, in[1]); }},
        {"scatter_add", [](T in) { return scatter_add(in[0], 1, in[1], in[2]); }},
        {"masked_fill", [](T in) { return masked_fill(in[0], in[1], -1.5); }},
        {"masked_fill_inf", [](T in) { return masked_fill(in[0], in[1], -inf); }},
        {"where", [](T in) { return where(in[0], in[1], in[2]); }},
        {"one_hot", [](T in) { return one_hot(in[0], 4); }},
        {"one_hot_inferred", [](T in) { return one_hot(in[0]); }},
        {"index_slice_int", [](T in) { return in[0].index({Slice(1, 3), 0}); }},
        {"index_ellipsis_step", [](T in) { return index(in[0], {ellipsis, Slice({}, {}, 2)}); }},
        {"index_bool_mask", [](T in) { return index(in[0], {in[1]}); }},
        {"index_bool_mask_2d_after_slice", [](T in) { return index(in[0], {Slice(), in[1]}); }},
        {"index_bool_mask_ellipsis", [](T in) { return index(in[0], {ellipsis, in[1]}); }},
        {"masked_select_broadcast", [](T in) { return masked_select(in[0], in[1]); }},
        {"masked_select_int", [](T in) { return masked_select(in[0], in[1]); }},
        {"index_newaxis", [](T in) { return in[0].index({newaxis, Slice(), 1}); }},
        {"index_tensor_dim1", [](T in) { return index(in[0], {Slice(), in[1]}); }},
        {"matmul_1d_1d", [](T in) { return matmul(in[0], in[1]); }},
        {"matmul_1d_2d", [](T in) { return matmul(in[0], in[1]); }},
        {"matmul_2d_1d", [](T in) { return matmul(in[0], in[1]); }},
        {"matmul_3d_2d", [](T in) { return matmul(in[0], in[1]); }},
        {"matmul_3d_1d", [](T in) { return matmul(in[0], in[1]); }},
        {"matmul_batch_broadcast", [](T in) { return matmul(in[0], in[1]); }},
        {"matmul_1d_3d", [](T in) { return matmul(in[0], in[1]); }},
        {"matmul_batched_same", [](T in) { return matmul(in[0], in[1]); }},
        {"bmm", [](T in) { return bmm(in[0], in[1]); }},
        {"linear_3d", [](T in) { return linear(in[0], in[1], in[2]); }},
        {"linear_1d_nobias", [](T in) { return linear(in[0], in[1]); }},
        {"ce_labels", [](T in) { return cross_entropy(in[0], in[1]); }},
        {"ce_ignore", [](T in) { return cross_entropy(in[0], in[1]); }},
        {"ce_ignore_7_sum", [](T in) { return cross_entropy(in[0], in[1], {.reduction = Reduction::sum, .ignore_index = 7}); }},
        {"ce_weight", [](T in) { return cross_entropy(in[0], in[1], {.weight = in[2]}); }},
        {"ce_smoothing", [](T in) { return cross_entropy(in[0], in[1], {.label_smoothing = 0.2}); }},
        {"ce_smoothing_ignore", [](T in) { return cross_entropy(in[0], in[1], {.label_smoothing = 0.1}); }},
        {"ce_all", [](T in) { return cross_entropy(in[0], in[1], {.label_smoothing = 0.3, .ignore_index = 0, .weight = in[2]}); }},
        {"ce_nd", [](T in) { return cross_entropy(in[0], in[1]); }},
        {"ce_nd_none", [](T in) { return cross_entropy(in[0], in[1], {.reduction = Reduction::none}); }},
        {"ce_nd_weight_smoothing", [](T in) { return cross_entropy(in[0], in[1], {.label_smoothing = 0.1, .weight = in[2]}); }},
        {"ce_probs_nd", [](T in) { return cross_entropy(in[0], in[1]); }},
        {"ce_probs_weight_smoothing", [](T in) { return cross_entropy(in[0], in[1], {.label_smoothing = 0.2, .weight = in[2]}); }},
        {"nll_nd_weight", [](T in) { return nll_loss(in[0], in[1], {.weight = in[2]}); }},
        {"nll_sum_ignore", [](T in) { return nll_loss(in[0], in[1], {.reduction = Reduction::sum, .ignore_index = 2}); }},
        {"mse_broadcast", [](T in) { return mse_loss(in[0], in[1]); }},
        {"mse_sum", [](T in) { return mse_loss(in[0], in[1], Reduction::sum); }},
        {"l1_mean", [](T in) { return l1_loss(in[0], in[1]); }},
        {"l1_none_broadcast", [](T in) { return l1_loss(in[0], in[1], Reduction::none); }},
        {"huber_mean", [](T in) { return huber_loss(in[0], in[1]); }},
        {"huber_delta_sum", [](T in) { return huber_loss(in[0], in[1], Reduction::sum, 0.5); }},
        {"layer_norm_affine", [](T in) { return layer_norm(in[0], {4}, in[1], in[2]); }},
        {"layer_norm_2d_plain", [](T in) { return layer_norm(in[0], {3, 4}); }},
        {"batch_norm_train_2d", [](T in) { return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true); }},
        {"batch_norm_train_3d", [](T in) { return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-3); }},
        {"batch_norm_eval", [](T in) { return batch_norm(in[0], in[1], in[2], in[3], in[4], false); }},
        {"batch_norm_running_stats", [](T in) {
             Tensor m = Tensor::zeros({3}, {.dtype = float64}), v = Tensor::ones({3}, {.dtype = float64});
             batch_norm(in[0], m, v, Tensor(), Tensor(), true, 0.1);
             batch_norm(in[1], m, v, Tensor(), Tensor(), true, 0.1);
             return cat({m, v});
         }},
        {"sum_all", [](T in) { return sum(in[0]); }},
        {"sum_axes", [](T in) { return in[0].sum({0, 2}); }},
        {"sum_axes_keep", [](T in) { return sum(in[0], {0, 2}, true); }},
        {"sum_int", [](T in) { return sum(in[0], 0); }},
        {"sum_bool", [](T in) { return sum(in[0]); }},
        {"mean_axes", [](T in) { return mean(in[0], {1, 2}); }},
        {"mean_neg_keep", [](T in) { return mean(in[0], -1, true); }},
        {"max_all", [](T in) { return in[0].max(); }},
        {"max_axes", [](T in) { return max(in[0], {0, 2}); }},
        {"min_axis", [](T in) { return min(in[0], 1); }},
        {"min_axes_keep", [](T in) { return min(in[0], {1, 2}, true); }},
        {"min_all_int", [](T in) { return min(in[0]); }},
        {"prod_all", [](T in) { return prod(in[0]); }},
        {"prod_axis_zero", [](T in) { return prod(in[0], 1); }},
        {"prod_axes", [](T in) { return prod(in[0], {0, 2}); }},
        {"prod_int", [](T in) { return prod(in[0], 0); }},
        {"var_all", [](T in) { return var(in[0]); }},
        {"var_axis_unbiased0", [](T in) { return var(in[0], {1}, 0); }},
        {"var_axes_keep", [](T in) { return var(in[0], {0, 2}, 1, true); }},
        {"std_axis", [](T in) { return xgrad::std(in[0], {0}); }},
        {"logsumexp_axis", [](T in) { return logsumexp(in[0], 1); }},
        {"logsumexp_axes", [](T in) { return logsumexp(in[0], {0, 2}); }},
        {"logsumexp_large", [](T in) { return logsumexp(in[0], 0); }},
        {"argmax_axis", [](T in) { return in[0].argmax(1); }},
        {"argmax_all", [](T in) { return argmax(in[0]); }},
        {"argmin_axis_keep", [](T in) { return argmin(in[0], 0, true); }},
        {"argmin_all", [](T in) { return argmin(in[0]); }},
        {"cumsum_0", [](T in) { return cumsum(in[0], 0); }},
        {"cumsum_neg", [](T in) { return cumsum(in[0], -1); }},
        {"cumsum_int", [](T in) { return cumsum(in[0], 0); }},
        {"norm_2", [](T in) { return norm(in[0]); }},
        {"norm_1_axis", [](T in) { return norm(in[0], 1, {1}); }},
        {"norm_3_axes_keep", [](T in) { return norm(in[0], 3, {0, 2}, true); }},
        {"norm_inf", [](T in) { return norm(in[0], inf); }},
    };
    return table;
}

Tensor tensor_of(const Value& v, bool requires_grad) {
    const Shape shape(v.shape.begin(), v.shape.end());
    return Tensor::from(v.values, shape, {.dtype = v.dtype, .requires_grad = requires_grad && v.requires_grad && v.dtype == float64});
}

// Equal to PyTorch's: integers and bools exactly, floats to 1e-10 relative (NaN to NaN).
std::string differs(const Tensor& got, const Value& want, const std::string& what) {
    if (got.dtype() != want.dtype)
        return what + ": dtype " + std::string(dtype_name(got.dtype())) + ", PyTorch " + std::string(dtype_name(want.dtype));
    if (got.shape() != Shape(want.shape.begin(), want.shape.end()))
        return what + ": shape " + shape_str(got.shape()) + ", PyTorch " + shape_str(Shape(want.shape.begin(), want.shape.end()));
    const auto v = test::values(got);
    for (std::size_t k = 0; k < want.values.size(); ++k) {
        const double a = v.data()[k], b = want.values[k];
        const bool close = is_floating_point(want.dtype) && std::abs(a - b) <= 1e-10 * std::max(1.0, std::abs(b));
        const bool same = a == b || (std::isnan(a) && std::isnan(b)) || close;
        if (!same) return what + ": element " + std::to_string(k) + " is " + test::str(a) + ", PyTorch " + test::str(b);
    }
    return "";
}

}  // namespace

TEST_CASE("every tensor-program op's values and gradients are PyTorch's", "[ops][pytorch]") {
    std::vector<std::string> wrong;
    for (const Case& c : cases()) {
        const auto call = calls().find(c.name);
        if (call == calls().end()) {
            wrong.push_back(std::string(c.name) + ": no xgrad call for this case");
            continue;
        }
        std::vector<Tensor> in;
        for (const auto& v : c.in) in.push_back(tensor_of(v, true));
        try {
            const Tensor out = call->second(in);
            if (auto d = differs(out, c.out, std::string(c.name) + " value"); !d.empty()) {
                wrong.push_back(d);
                continue;
            }
            if (c.grads.empty()) continue;
            const Tensor w = cos(Tensor::arange(static_cast<double>(out.numel()), {.dtype = float64})).reshape({-1});
            (out.reshape({-1}) * w).sum().backward();
            std::size_t g = 0;
            for (std::size_t i = 0; i < in.size(); ++i) {
                if (!in[i].requires_grad()) continue;
                const std::string what = std::string(c.name) + " gradient of input " + std::to_string(i);
                const Tensor grad = in[i].grad().defined() ? in[i].grad() : Tensor::zeros(in[i].shape(), {.dtype = float64});
                if (auto d = differs(grad, c.grads.at(g++), what); !d.empty()) wrong.push_back(d);
            }
        } catch (const std::exception& e) {
            wrong.push_back(std::string(c.name) + " threw: " + e.what());
        }
    }
    for (const auto& w : wrong) UNSCOPED_INFO(w);
    CHECK(wrong.empty());
    // neither list drifts from the other
    std::set<std::string> named;
    for (const Case& c : cases()) named.insert(c.name);
    for (const auto& [name, fn] : calls()) {
        INFO("xgrad call without a PyTorch case: " << name);
        CHECK(named.count(name) == 1);
    }
    CHECK(cases().size() == calls().size());
}

TEST_CASE("every differentiable tensor-program op passes a float64 gradcheck at PyTorch's inputs", "[ops][gradcheck]") {
    // sign is flat: its gradient is all zero on both sides, which gradcheck refuses as proving nothing
    // pow at a zero base: x^y is not differentiable in y there (0^-h is infinite)
    // embedding's padding row: read by the output, but given no gradient by definition (as
    // PyTorch's; tests/nn/test_layers.cpp checks it with check_graph, node by node)
    const std::set<std::string> flat = {"sign", "pow_tensor_zero_base", "embedding_padding_idx", "embedding_padding_negative"};
    std::size_t checked = 0;
    for (const Case& c : cases()) {
        if (c.grads.empty() || flat.count(c.name)) continue;
        std::vector<Tensor> in;
        for (const auto& v : c.in) in.push_back(tensor_of(v, true));
        INFO("case " << c.name);
        CHECK_GRADCHECK(calls().at(c.name), in);
        ++checked;
    }
    CHECK(checked > 70);
}

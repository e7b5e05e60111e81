// One table of the inputs every public op, module, optimizer and data utility must refuse: each
// row calls it wrongly and lists what the error has to say (the op's name and the offending
// values). A row passes only if the call throws a user-facing error (ShapeError, DtypeError,
// std::invalid_argument, std::out_of_range or std::runtime_error, never a bare logic_error,
// which means a broken invariant) whose message names all of them.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <typeinfo>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

struct BadInput {
    const char* call;                        // what the row does, for the report
    std::function<void()> run;               // must throw
    std::vector<std::string> must_mention;   // each must appear in the message
};

Tensor f32(const Shape& shape) { return Tensor::ones(shape); }
Tensor f64(const Shape& shape) { return Tensor::ones(shape, {.dtype = Dtype::float64}); }
Tensor i64(const Shape& shape) { return Tensor::ones(shape, {.dtype = Dtype::int64}); }
Tensor b8(const Shape& shape) { return Tensor::ones(shape, {.dtype = Dtype::boolean}); }
Tensor param(const Shape& shape) { return Tensor::ones(shape, {.requires_grad = true}); }

std::vector<BadInput> bad_inputs() {
    return {
        // elementwise: shapes that do not broadcast, mixed dtypes, undefined tensors
        {"add (2,3)+(4,3)", [] { add(f32({2, 3}), f32({4, 3})); }, {"add", "(2, 3)", "(4, 3)"}},
        {"sub (3)-(4)", [] { sub(f32({3}), f32({4})); }, {"sub", "(3)", "(4)"}},
        {"mul (2,3)*(2)", [] { mul(f32({2, 3}), f32({2})); }, {"mul", "(2, 3)", "(2)"}},
        {"div (5,1,3)/(4,2)", [] { div(f32({5, 1, 3}), f32({4, 2})); }, {"div", "(5, 1, 3)", "(4, 2)"}},
        {"operator+ (2,2)+(3,3)", [] { (void)(f32({2, 2}) + f32({3, 3})); }, {"add", "(2, 2)", "(3, 3)"}},
        {"sub bool-bool", [] { sub(b8({2}), b8({2})); }, {"sub", "bool (2)"}},
        {"neg bool", [] { neg(b8({2})); }, {"neg", "bool"}},
        {"operator& on float32", [] { (void)(f32({2}) & b8({2})); }, {"operator&", "float32 (2)", "logical_and"}},
        {"operator~ on int64", [] { (void)~i64({2}); }, {"operator~", "int64 (2)", "logical_not"}},
        {"clamp without bounds", [] { clamp(f32({2}), std::nullopt); }, {"clamp", "min", "max"}},
        // dtypes: only floating tensors require gradients
        {"bool tensor requiring grad", [] { Tensor::ones({2}, {.dtype = Dtype::boolean, .requires_grad = true}); },
         {"floating-point", "require gradients", "bool"}},
        {"int64 requires_grad_", [] { i64({3}).requires_grad_(); }, {"requires_grad_", "floating-point", "int64"}},
        // gradient hooks
        {"register_hook without grad", [] { f32({3}).register_hook([](const Tensor& g) { return g; }); },
         {"register_hook", "does not require grad", "float32 (3)"}},
        {"remove_hook unknown", [] { param({3}).remove_hook(7); }, {"remove_hook", "handle 7"}},
        {"retain_grad without grad", [] { f32({2}).retain_grad(); }, {"retain_grad", "does not require grad", "float32 (2)"}},
        {"hook returns another shape", [] {
             Tensor x = param({3});
             x.register_hook([](const Tensor&) { return Tensor::ones({2}); });
             (x * 2.0).sum().backward();
         }, {"hook 0", "float32 (2)", "float32 (3)", "shape and dtype"}},
        {"randn int64", [] { Tensor::randn({2}, {.dtype = Dtype::int64}); }, {"randn", "int64", "randint"}},
        {"randint low >= high", [] { Tensor::randint(3, 3, {2}); }, {"randint", "low 3", "high 3"}},
        {"add undefined", [] { add(Tensor(), f32({2})); }, {"undefined Tensor"}},
        // linalg
        {"matmul inner (2,3)x(4,5)", [] { matmul(f32({2, 3}), f32({4, 5})); }, {"matmul", "(2, 3)", "(4, 5)"}},
        {"matmul 1-D inner", [] { matmul(f32({4}), f32({3, 2})); }, {"matmul", "inner", "(4)", "(3, 2)"}},
        {"matmul 0-d", [] { matmul(f32({}), f32({3, 2})); }, {"matmul", "()", "(3, 2)"}},
        {"matmul batch dims", [] { matmul(f32({2, 2, 3}), f32({3, 3, 4})); }, {"matmul", "batch", "(2, 2, 3)", "(3, 3, 4)"}},
        {"matmul int64", [] { matmul(i64({2, 2}), i64({2, 2})); }, {"matmul", "floating-point", "int64 (2, 2)"}},
        {"bmm 2-D", [] { bmm(f32({2, 2}), f32({2, 2, 2})); }, {"bmm", "3-D", "(2, 2)"}},
        {"bmm batch", [] { bmm(f32({2, 2, 3}), f32({3, 3, 2})); }, {"bmm", "batch", "(2, 2, 3)", "(3, 3, 2)"}},
        {"linear (2,3,4) with weight (5,3)", [] { linear(f32({2, 3, 4}), f32({5, 3})); }, {"linear", "(2, 3, 4)", "(5, 3)"}},
        {"matmul dtypes", [] { matmul(f32({2, 2}), f64({2, 2})); }, {"matmul", "float32", "float64"}},
        {"linear weight (3,5) for x (2,4)", [] { linear(f32({2, 4}), f32({3, 5})); }, {"linear", "(2, 4)", "(3, 5)"}},
        {"linear bias (4) for weight (3,4)", [] { linear(f32({2, 4}), f32({3, 4}), f32({4})); },
         {"linear", "(4)", "(3, 4)"}},
        {"transpose dim 2 of 2-D", [] { transpose(f32({2, 3}), 0, 2); }, {"transpose", "2", "(2, 3)"}},
        {"transpose dim -3 of 2-D", [] { transpose(f32({2, 3}), -3, 1); }, {"transpose", "-3", "(2, 3)"}},
        {".T() of 3-D", [] { f32({2, 3, 4}).T(); }, {"transpose", "(2, 3, 4)"}},
        // reductions
        {"sum axis 2 of 2-D", [] { sum(f32({2, 3}), 2); }, {"sum", "axis 2", "(2, 3)"}},
        {"sum axis -3 of 2-D", [] { sum(f32({2, 3}), -3); }, {"sum", "axis -3", "(2, 3)"}},
        {"mean axis 1 of 1-D", [] { mean(f32({4}), 1); }, {"mean", "axis 1", "(4)"}},
        {"max axis 3", [] { max(f32({2, 3}), 3); }, {"max", "axis 3", "(2, 3)"}},
        {"max over an empty axis", [] { max(f32({0, 3}), 0); }, {"max", "axis 0", "(0, 3)"}},
        {"argmax axis 2", [] { argmax(f32({2, 3}), 2); }, {"argmax", "axis 2", "(2, 3)"}},
        // indexing: an index out of range names the index and the size; index tensors are int64
        {"select index 3 of size 3", [] { select(f32({2, 3}), 1, 3); }, {"select", "index 3", "size 3"}},
        {"select index -4 of size 3", [] { select(f32({3}), 0, -4); }, {"select", "index -4", "size 3"}},
        {"narrow past the end", [] { narrow(f32({4}), 0, 2, 3); }, {"narrow", "start 2", "length 3", "size 4"}},
        {"slice step 0", [] { slice(f32({4}), 0, 0, 4, 0); }, {"slice", "step", "0"}},
        {"index_select index 5 of size 4", [] { index_select(f32({4, 2}), 0, Tensor::from(std::vector<std::int64_t>{1, 5}, {2})); },
         {"index_select", "index 5", "size 4"}},
        {"index_select float index", [] { index_select(f32({4, 2}), 0, f32({2})); }, {"index_select", "int64", "float32 (2)"}},
        {"index_select 2-D index", [] { index_select(f32({4}), 0, i64({2, 2})); }, {"index_select", "1-D", "(2, 2)"}},
        {"take_rows index 9 of 5 rows", [] { take_rows(f32({5, 2}), Tensor::from(std::vector<std::int64_t>{9}, {1})); },
         {"take_rows", "index 9", "size 5"}},
        {"take_rows bool index", [] { take_rows(f32({5, 2}), b8({2})); }, {"take_rows", "int64", "bool (2)"}},
        {"gather index 4 of size 4", [] { gather(f32({2, 4}), 1, Tensor::from(std::vector<std::int64_t>{0, 4}, {1, 2})); },
         {"gather", "index 4", "size 4"}},
        {"gather index dims", [] { gather(f32({2, 4}), 1, i64({2})); }, {"gather", "dimensions", "(2)", "(2, 4)"}},
        {"scatter_add source dtype", [] { scatter_add(f32({2, 3}), 1, i64({2, 1}), f64({2, 1})); },
         {"scatter_add", "float32 (2, 3)", "float64 (2, 1)"}},
        {"masked_fill float mask", [] { masked_fill(f32({2}), f32({2}), 0); }, {"masked_fill", "bool", "float32 (2)"}},
        {"masked_fill mask grows", [] { masked_fill(f32({3}), b8({2, 3}), 0); }, {"masked_fill", "(3)", "(2, 3)"}},
        {"where int64 condition", [] { where(i64({2}), f32({2}), f32({2})); }, {"where", "bool", "int64 (2)"}},
        {"where shapes", [] { where(b8({2}), f32({3}), f32({3})); }, {"where", "(2)", "(3)"}},
        {"one_hot label 4 of 4", [] { one_hot(Tensor::from(std::vector<std::int64_t>{1, 4}, {2}), 4); },
         {"one_hot", "label 4", "4 classes"}},
        {"index too many", [] { index(f32({2, 3}), {0, 1, 2}); }, {"index", "too many", "(2, 3)"}},
        {"index bool mask (3) over (2, 3)", [] { index(f32({2, 3}), {b8({3})}); }, {"index", "bool mask", "bool (3)", "(2)"}},
        {"index bool mask (2, 3) over (2, 4)", [] { index(f32({2, 4}), {b8({2, 3})}); }, {"index", "bool (2, 3)", "(2, 4)"}},
        {"masked_select float mask", [] { masked_select(f32({2, 3}), f32({2, 3})); }, {"masked_select", "bool", "float32 (2, 3)"}},
        {"masked_select mask (4) for (2, 3)", [] { masked_select(f32({2, 3}), b8({4})); }, {"masked_select", "(2, 3)", "(4)"}},
        // joining
        {"cat (2,3) with (2,4) on dim 0", [] { cat({f32({2, 3}), f32({2, 4})}); }, {"cat", "(2, 3)", "(2, 4)", "dimension 0"}},
        {"cat rank", [] { cat({f32({2, 3}), f32({3})}, 0); }, {"cat", "(2, 3)", "(3)"}},
        {"cat empty list", [] { cat({}); }, {"cat", "non-empty"}},
        {"cat dim 2 of 2-D", [] { cat({f32({2, 3}), f32({2, 3})}, 2); }, {"cat", "axis 2", "(2, 3)"}},
        {"stack shapes", [] { stack({f32({2}), f32({3})}); }, {"stack", "(2)", "(3)"}},
        {"split sizes", [] { split(f32({5}), std::vector<std::int64_t>{2, 2}); }, {"split", "4", "(5)"}},
        {"chunk 0", [] { chunk(f32({5}), 0); }, {"chunk", "positive", "0"}},
        // shape
        {"permute repeated dim", [] { permute(f32({2, 3}), {1, 1}); }, {"permute", "twice", "(2, 3)"}},
        {"permute too few dims", [] { permute(f32({2, 3, 4}), {1, 0}); }, {"permute", "3 dimensions", "(2, 3, 4)"}},
        {"unsqueeze dim 3 of 1-D", [] { unsqueeze(f32({2}), 3); }, {"unsqueeze", "3", "(2)"}},
        {"expand (3) to (2,4)", [] { expand(f32({3}), {2, 4}); }, {"broadcast_to", "(3)", "(2, 4)"}},
        {"repeat too few", [] { repeat(f32({2, 3}), {2}); }, {"repeat", "(2, 3)"}},
        // reductions over several axes
        {"sum axes repeated", [] { sum(f32({2, 3}), std::vector<int>{1, -1}); }, {"sum", "twice", "(2, 3)"}},
        {"mean of int64", [] { mean(i64({2})); }, {"mean", "floating-point", "int64 (2)"}},
        {"max of empty", [] { max(f32({0})); }, {"max", "extent 0", "(0)"}},
        {"argmin of empty", [] { argmin(f32({0, 2})); }, {"argmin", "empty", "(0, 2)"}},
        {"norm p 0", [] { norm(f32({2}), 0); }, {"norm", "positive", "0"}},
        {"var of bool", [] { var(b8({2})); }, {"var", "floating-point", "bool (2)"}},
        // normalization, random, and the layers that use them
        {"layer_norm shape", [] { layer_norm(f32({2, 3}), {4}); }, {"layer_norm", "(2, 3)", "(4)"}},
        {"layer_norm weight shape", [] { layer_norm(f32({2, 4}), {4}, f32({3})); }, {"layer_norm", "weight (3)", "(4)"}},
        {"batch_norm 4-D", [] { batch_norm(f32({2, 3, 4, 5}), Tensor(), Tensor(), Tensor(), Tensor(), true); }, {"batch_norm", "(2, 3, 4, 5)"}},
        {"batch_norm eval without stats", [] { batch_norm(f32({2, 3}), Tensor(), Tensor(), Tensor(), Tensor(), false); },
         {"batch_norm", "running_mean"}},
        {"batch_norm running_mean shape", [] { batch_norm(f32({2, 3}), f32({2}), f32({3}), Tensor(), Tensor(), true); },
         {"batch_norm", "running_mean (2)", "(3)"}},
        {"dropout p -0.1", [] { dropout(f32({2}), -0.1); }, {"dropout", "p", "-0.1"}},
        {"multinomial 3-D", [] { multinomial(f32({2, 2, 2}), 1); }, {"multinomial", "(2, 2, 2)"}},
        {"multinomial NaN weight", [] { multinomial(Tensor::from({1.0, NAN}, {2}), 1); }, {"multinomial", "nan", "category 1"}},
        {"Embedding float indices", [] { nn::Embedding(4, 2)(f32({3})); }, {"Embedding(4, 2)", "int64", "float32 (3)"}},
        {"Embedding index 4 of 4", [] { nn::Embedding(4, 2)(Tensor::from(std::vector<std::int64_t>{4}, {1})); },
         {"Embedding(4, 2)", "index 4", "size 4"}},
        {"Embedding 0 rows", [] { nn::Embedding(0, 2); }, {"Embedding", "positive", "0"}},
        {"Embedding padding_idx 4 of 4", [] { nn::Embedding(4, 2, {.padding_idx = 4}); },
         {"Embedding(4, 2)", "padding_idx 4", "[-4, 4)"}},
        {"embedding padding_idx -5 of 4", [] { embedding(Tensor::from(std::vector<std::int64_t>{1}, {1}), f32({4, 2}), -5); },
         {"embedding", "padding_idx -5", "4 embeddings"}},
        {"embedding 3-D weight", [] { embedding(Tensor::from(std::vector<std::int64_t>{1}, {1}), f32({4, 2, 2})); },
         {"embedding", "2-D weight", "float32 (4, 2, 2)"}},
        {"LayerNorm input (2,5) for (4)", [] { nn::LayerNorm({4})(f32({2, 5})); }, {"LayerNorm", "(2, 5)", "4"}},
        {"BatchNorm1d channels", [] { nn::BatchNorm1d(3)(f32({2, 4})); }, {"BatchNorm1d(3", "(2, 4)"}},
        {"BatchNorm1d momentum 2", [] { nn::BatchNorm1d(3, {.momentum = 2}); }, {"BatchNorm1d", "momentum", "2"}},
        {"Dropout p 2", [] { nn::Dropout(2); }, {"Dropout", "p", "2"}},
        {"init of an int64 tensor", [] { Tensor t = i64({2, 2}); nn::init::normal_(t); }, {"init", "floating-point", "int64 (2, 2)"}},
        {"linear of int64", [] { linear(i64({2, 2}), i64({2, 2})); }, {"linear", "floating-point", "int64 (2, 2)"}},
        {"prelu of bool", [] { prelu(b8({2, 2}), f32({1})); }, {"prelu", "floating-point", "bool (2, 2)"}},
        {"cross_entropy of int64 logits", [] { cross_entropy(i64({2, 3}), f32({2, 3})); }, {"cross_entropy", "floating-point", "int64 (2, 3)"}},
        {"ModuleList forward", [] { nn::ModuleList()(f32({1})); }, {"ModuleList", "forward"}},
        // shape
        {"reshape 6 elements to (4,2)", [] { reshape(f32({2, 3}), {4, 2}); }, {"reshape", "(2, 3)", "(4, 2)"}},
        {"reshape two -1", [] { reshape(f32({2, 3}), {-1, -1}); }, {"reshape", "-1", "(2, 3)"}},
        {"reshape -1 not inferable", [] { reshape(f32({2, 3}), {4, -1}); }, {"reshape", "-1", "(2, 3)"}},
        {"reshape negative extent", [] { reshape(f32({2, 3}), {-2, -3}); }, {"reshape", "-2", "(2, 3)"}},
        {"flatten start after end", [] { flatten(f32({2, 3, 4}), 2, 1); }, {"flatten", "2", "1"}},
        {"flatten dim out of range", [] { flatten(f32({2, 3}), 0, 5); }, {"flatten", "5", "(2, 3)"}},
        // activations
        {"softmax axis 2 of 2-D", [] { softmax(f32({2, 3}), 2); }, {"softmax", "axis 2", "(2, 3)"}},
        {"log_softmax axis -3", [] { log_softmax(f32({2, 3}), -3); }, {"log_softmax", "axis -3", "(2, 3)"}},
        {"prelu alpha (4) for 3 channels", [] { prelu(f32({2, 3}), f32({4})); }, {"prelu", "(4)", "(2, 3)"}},
        {"prelu alpha dtype", [] { prelu(f32({2, 3}), f64({1})); }, {"prelu", "float32", "float64"}},
        {"softplus beta 0", [] { softplus(f32({2}), 0.0); }, {"softplus", "beta", "0"}},
        {"softplus beta -1", [] { softplus(f32({2}), -1.0); }, {"softplus", "beta", "-1"}},
        // losses: shapes, dtypes and labels
        {"cross_entropy 3 labels for 2 rows", [] { cross_entropy(f32({2, 5}), Labels{0, 1, 2}); },
         {"cross_entropy", "3 labels", "2"}},
        {"cross_entropy label 5 of 5 classes", [] { cross_entropy(f32({2, 5}), Labels{0, 5}); },
         {"cross_entropy", "label 5", "5 classes"}},
        {"cross_entropy label -1", [] { cross_entropy(f32({2, 5}), Labels{-1, 0}); }, {"cross_entropy", "label -1"}},
        {"cross_entropy 3-D logits", [] { cross_entropy(f32({2, 3, 4}), Labels{0, 1}); },
         {"cross_entropy", "(2, 3, 4)"}},
        {"cross_entropy zero classes", [] { cross_entropy(f32({2, 0}), Labels{0, 0}); }, {"cross_entropy", "(2, 0)"}},
        {"cross_entropy smoothing 1.5", [] { cross_entropy(f32({2, 3}), Labels{0, 1}, {.label_smoothing = 1.5}); },
         {"cross_entropy", "label_smoothing", "1.5"}},
        {"cross_entropy probabilities (2,4) for (2,3)", [] { cross_entropy(f32({2, 3}), f32({2, 4})); },
         {"cross_entropy", "(2, 4)", "(2, 3)"}},
        {"nll_loss label 3 of 3", [] { nll_loss(f32({2, 3}), Labels{3, 0}); }, {"nll_loss", "label 3", "3 classes"}},
        {"nll_loss 1 label for 2 rows", [] { nll_loss(f32({2, 3}), Labels{0}); }, {"nll_loss", "1 labels", "2"}},
        {"bce target (2,2) for (2,1)", [] { binary_cross_entropy_with_logits(f32({2, 1}), f32({2, 2})); },
         {"binary_cross_entropy_with_logits", "(2, 2)", "(2, 1)"}},
        {"mse target (3) for (2)", [] { mse_loss(f32({2}), f32({3})); }, {"mse_loss", "(3)", "(2)"}},
        {"mse shapes", [] { mse_loss(f32({2, 3}), f32({4})); }, {"mse_loss", "(2, 3)", "(4)"}},
        {"huber delta 0", [] { huber_loss(f32({2}), f32({2}), Reduction::mean, 0); }, {"huber_loss", "delta", "0"}},
        {"l1 shapes", [] { l1_loss(f32({3}), f32({2})); }, {"l1_loss", "(3)", "(2)"}},
        {"cross_entropy float32 labels of wrong shape", [] { cross_entropy(f32({2, 3}), f32({2})); }, {"cross_entropy", "(2)", "(2, 3)"}},
        {"cross_entropy label tensor shape", [] { cross_entropy(f32({2, 3, 4}), i64({2, 3})); },
         {"cross_entropy", "labels (2, 3)", "(2, 3, 4)", "(2, 4)"}},
        {"cross_entropy label 5 of 3 (N-D)", [] { cross_entropy(f32({1, 3, 2}), Tensor::from(std::vector<std::int64_t>{0, 5}, {1, 2})); },
         {"cross_entropy", "label 5", "3 classes"}},
        {"cross_entropy weight size", [] { cross_entropy(f32({2, 3}), i64({2}), {.weight = f32({2})}); }, {"cross_entropy", "weight (2)", "3"}},
        {"nll_loss bool labels", [] { nll_loss(f32({2, 3}), b8({2})); }, {"nll_loss", "int64", "bool (2)"}},
        // tensors and the engine
        {"Tensor::from 5 values for (2,3)", [] { Tensor::from({1, 2, 3, 4, 5}, {2, 3}); }, {"from", "5", "(2, 3)"}},
        {"arange step 0", [] { Tensor::arange(0, 5, 0); }, {"arange", "step"}},
        {"item of (2)", [] { f32({2}).item(); }, {"item", "(2)"}},
        {"size(3) of 2-D", [] { f32({2, 3}).size(3); }, {"size", "3", "(2, 3)"}},
        {"data<double> of float32", [] { (void)f32({2}).data<double>(); }, {"float32", "float64"}},
        {"backward of (2) without gradient", [] { (param({2}) * 2.0).backward(); }, {"backward", "(2)"}},
        {"backward without grad", [] { f32({1}).sum().backward(); }, {"backward", "require"}},
        {"backward gradient (3) for (2)",
         [] { (param({2}) * 2.0).backward(f32({3})); }, {"backward", "(3)", "(2)"}},
        {"second backward", [] {
             Tensor y = (param({1}) * 3.0).sum();
             y.backward();
             y.backward();
         }, {"backward", "second time"}},
        {"check_graph without a graph", [] { check_graph(f32({2}).sum()); }, {"check_graph", "graph"}},
        {"write_graph .xyz", [] { write_graph((param({1}) * 2.0), "graph.xyz"); }, {"write_graph", ".xyz"}},
        {"write_graph into a missing folder",
         [] { write_graph((param({1}) * 2.0), "/nonexistent_xgrad_dir/g.dot"); }, {"write_graph", "cannot write", "g.dot"}},
        {"to_dot of a freed graph", [] {
             Tensor y = (param({1}) * 3.0).sum();
             y.backward();
             to_dot(y);
         }, {"to_dot", "'sum'", "freed"}},
        {"to_dot of an undefined tensor", [] { to_dot(Tensor()); }, {"to_dot", "undefined"}},
        {"collect_diagram of an undefined tensor", [] { collect_diagram(Tensor()); }, {"collect_diagram", "undefined"}},
        {"describe an undefined tensor", [] { describe(Tensor()); }, {"undefined Tensor"}},
        {"check_label_range label 3 of 3 classes", [] { check_label_range("my_loss", {0, 3}, 3); },
         {"my_loss", "label 3", "position 1", "3 classes"}},
        {"Adam load_state_dict with half a state", [] {
             Tensor p = param({2});
             optim::Adam(std::vector<Tensor>{p}).load_state_dict(
                 {{"lr", f64({})}, {"exp_avg.0", f32({2})}, {"momentum_buffer.0", f32({2})}});
         }, {"load_state_dict", "parameter 0 has 1 of its 3", "unexpected 'momentum_buffer.0'"}},
        // modules
        {"Linear(4 -> 3) on (2,5)", [] { nn::Linear(4, 3)(f32({2, 5})); }, {"Linear(4 -> 3)", "(2, 5)"}},
        {"Linear(4 -> 3) on float64", [] { nn::Linear(4, 3)(f64({2, 4})); }, {"Linear(4 -> 3)", "float64", "float32"}},
        {"Linear(4 -> 3) on a scalar", [] { nn::Linear(4, 3)(Tensor::scalar(1)); }, {"Linear(4 -> 3)", "()"}},
        {"Linear(0 -> 3)", [] { nn::Linear(0, 3); }, {"Linear", "in_features"}},
        {"PReLU(3) on (2,4)", [] { nn::PReLU(3)(f32({2, 4})); }, {"prelu", "(3)", "(2, 4)"}},
        {"PReLU(0)", [] { nn::PReLU(0); }, {"PReLU", "num_parameters"}},
        {"Sequential on a wrong width", [] { nn::Sequential{nn::Linear(2, 3), nn::ReLU(), nn::Linear(4, 1)}(f32({1, 2})); },
         {"Linear(4 -> 1)", "(1, 3)"}},
        {"Sequential index 5 of 2", [] { nn::Sequential{nn::Linear(2, 3), nn::ReLU()}[5]; }, {"Sequential", "5", "2"}},
        {"MLP of one size", [] { nn::MLP({4}); }, {"MLP"}},
        {"MLP activation 'swish2'", [] { nn::MLP({4, 2}, "swish2"); }, {"swish2"}},
        {"xavier_uniform_ on 1-D", [] {
             Tensor t = f32({3});
             nn::init::xavier_uniform_(t);
         }, {"init", "(3)"}},
        {"load model of other shape", [] {
             const auto path = std::filesystem::temp_directory_path() / "xgrad_bad_inputs_model.npz";
             nn::Linear small(2, 3);
             nn::save(small, path);
             nn::Linear big(2, 4);
             try {
                 nn::load(big, path);
             } catch (...) {
                 std::filesystem::remove(path);
                 throw;
             }
         }, {"load", "weight", "(3, 2)", "(4, 2)"}},
        {"load a missing file", [] {
             nn::Linear m(2, 3);
             nn::load(m, "/nonexistent/model.npz");
         }, {"/nonexistent/model.npz"}},
        // optimizers and schedules
        {"SGD no parameters", [] { optim::SGD({}, {.lr = 0.1}); }, {"empty parameter list"}},
        {"SGD lr -1", [] { optim::SGD({param({2})}, {.lr = -1}); }, {"learning rate", "-1"}},
        {"SGD momentum -0.5", [] { optim::SGD({param({2})}, {.lr = 0.1, .momentum = -0.5}); }, {"SGD", "momentum", "-0.5"}},
        {"SGD nesterov without momentum", [] { optim::SGD({param({2})}, {.lr = 0.1, .nesterov = true}); },
         {"SGD", "nesterov"}},
        {"SGD on a tensor without grad", [] { optim::SGD({f32({2})}, {.lr = 0.1}); }, {"parameter 0", "require grad"}},
        {"Adam beta1 1", [] { optim::Adam({param({2})}, {.beta1 = 1.0}); }, {"Adam", "beta1", "1"}},
        {"Adam beta2 -0.1", [] { optim::Adam({param({2})}, {.beta2 = -0.1}); }, {"Adam", "beta2", "-0.1"}},
        {"clip_grad_norm -1", [] { optim::clip_grad_norm({param({2})}, -1); }, {"clip_grad_norm", "-1"}},
        {"StepLR step 0", [] {
             optim::SGD opt({param({2})}, {.lr = 0.1});
             optim::StepLR(opt, 0);
         }, {"StepLR", "step_size", "0"}},
        {"CosineAnnealingLR t_max 0", [] {
             optim::SGD opt({param({2})}, {.lr = 0.1});
             optim::CosineAnnealingLR(opt, 0);
         }, {"CosineAnnealingLR", "t_max", "0"}},
        {"SGD dampening NaN", [] { optim::SGD({param({2})}, {.lr = 0.1, .momentum = 0.9, .dampening = std::nan("")}); },
         {"SGD", "dampening", "nan"}},
        {"SGD dampening 2", [] { optim::SGD({param({2})}, {.lr = 0.1, .momentum = 0.9, .dampening = 2}); },
         {"SGD", "dampening", "2"}},
        {"SGD lr NaN", [] { optim::SGD({param({2})}, {.lr = std::nan("")}); }, {"learning rate", "nan"}},
        {"SGD the same tensor twice", [] {
             Tensor w = param({2});
             optim::SGD({w, w}, {.lr = 0.1});
         }, {"parameter 1", "same tensor as parameter 0"}},
        {"Adam the same tensor twice", [] {
             Tensor w = param({2});
             optim::Adam({param({3}), w, w});
         }, {"parameter 2", "same tensor as parameter 1"}},
        {"StepLR gamma NaN", [] {
             optim::SGD opt({param({2})}, {.lr = 0.1});
             optim::StepLR(opt, 2, std::nan(""));
         }, {"StepLR", "gamma", "nan"}},
        {"CosineAnnealingLR eta_min -1", [] {
             optim::SGD opt({param({2})}, {.lr = 0.1});
             optim::CosineAnnealingLR(opt, 5, -1);
         }, {"CosineAnnealingLR", "eta_min", "-1"}},
        // factories and shapes
        {"zeros (2^62, 4)", [] { Tensor::zeros({std::size_t{1} << 62, 4}); }, {"Tensor::zeros", "(4611686018427387904, 4)", "overflows"}},
        {"randn (2^32, 2^32)", [] { Tensor::randn({std::size_t{1} << 32, std::size_t{1} << 32}); }, {"Tensor::randn", "overflows"}},
        {"arange 0 to 1e30", [] { Tensor::arange(0, 1e30); }, {"arange", "1e+30"}},
        {"reshape to 7 x 0x6DB6DB6DB6DB6DB7", [] { reshape(f32({1}), {7, 0x6DB6DB6DB6DB6DB7}); }, {"reshape", "overflows", "(1)"}},
        // threads
        {"set_num_threads 0", [] { set_num_threads(0); }, {"set_num_threads", "got 0"}},
        {"set_num_threads 1000", [] { set_num_threads(1000); }, {"set_num_threads", "1000"}},
        // data
        {"Dataset 3 rows for 2 labels", [] { data::Dataset(f32({3, 2}), Labels{0, 1}); }, {"Dataset", "(3, 2)", "2"}},
        {"DataLoader batch 0", [] {
             data::Dataset d(f32({2, 2}), Labels{0, 1});
             data::DataLoader(d, {.batch_size = 0});
         }, {"DataLoader", "batch_size"}},
        {"subset index 7 of 2", [] { data::Dataset(f32({2, 2}), Labels{0, 1}).subset({7}); }, {"subset", "7", "2"}},
        {"from_bytes 5 bytes for 2 samples of 2", [] {
             data::Dataset::from_bytes({1, 2, 3, 4, 5}, {2}, Labels{0, 1}, 255);
         }, {"from_bytes", "5 bytes", "(2)", "2 labels"}},
        {"from_bytes divisor 0", [] { data::Dataset::from_bytes({1, 2}, {1}, Labels{0, 1}, 0); },
         {"from_bytes", "divisor", "0"}},
        {"batch index 2 of 2 byte samples", [] {
             data::Dataset::from_bytes({1, 2}, {1}, Labels{0, 1}, 255).batch({2});
         }, {"Dataset::batch", "2"}},
        {"accuracy 3 labels for 2 rows", [] { data::accuracy(f32({2, 4}), Labels{0, 1, 2}); }, {"accuracy", "3", "(2, 4)"}},
        {"accuracy label -1", [] { data::accuracy(f32({2, 4}), Labels{0, -1}); }, {"accuracy", "label -1"}},
        {"confusion_matrix label 9 of 4", [] { data::confusion_matrix(f32({2, 4}), Labels{0, 9}); },
         {"confusion_matrix", "label 9"}},
        {"train_test_split fraction 1", [] { data::train_test_split(data::make_xor(), 1.0); },
         {"train_test_split", "test_fraction", "1"}},
        {"Standardizer on 1-D", [] { data::Standardizer(f32({4})); }, {"Standardizer", "(4)"}},
        {"read_csv missing file", [] { data::read_csv("/nonexistent/data.csv", "label"); },
         {"read_csv", "/nonexistent/data.csv"}},
        {"read_csv a directory", [] { data::read_csv("/tmp", "label"); }, {"read_csv", "/tmp", "is a directory"}},
        {"read_idx missing file", [] { data::read_idx("/nonexistent/images.idx"); },
         {"read_idx", "/nonexistent/images.idx"}},
        {"load_mnist missing directory", [] { data::load_mnist("/nonexistent", data::Split::train); },
         {"load_mnist", "/nonexistent", "dataset-fashion-mnist"}},
    };
}

}  // namespace

TEST_CASE("every public op, module and utility rejects bad input with a message naming it", "[errors]") {
    const auto table = bad_inputs();
    std::size_t passed = 0;
    for (const auto& row : table) {
        INFO("row: " << row.call);
        std::string message, type;
        bool threw = false;
        try {
            row.run();
        } catch (const std::exception& e) {
            threw = true;
            message = e.what();
            type = typeid(e).name();
            const bool internal = typeid(e) == typeid(std::logic_error);
            INFO("message: " << message);
            CHECK_FALSE(internal);
        }
        CHECK(threw);
        INFO("message: " << message);
        bool all = threw;
        for (const auto& word : row.must_mention) {
            INFO("must mention: " << word);
            const bool found = message.find(word) != std::string::npos;
            CHECK(found);
            all = all && found;
        }
        passed += all;
    }
    CHECK(passed == table.size());
    WARN("bad-input table: " << table.size() << " rows, " << passed << " rejected as expected");
}

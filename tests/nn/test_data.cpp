#include "helpers.hpp"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <xtensor/xview.hpp>

using namespace xgrad;
using xgrad::test::array;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() : path(fs::temp_directory_path() / ("xgrad_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++))) {
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

std::vector<std::uint8_t> idx_header(std::uint8_t type, std::vector<std::uint32_t> dims) {
    std::vector<std::uint8_t> b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (auto d : dims)
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    return b;
}

void write(const fs::path& p, const std::vector<std::uint8_t>& bytes, bool gzip = false) {
    if (gzip) {
        gzFile f = gzopen(p.c_str(), "wb");
        gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(f);
    } else {
        std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
}

std::vector<std::uint8_t> cat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

TEST_CASE("read_idx reads plain and gzip'd IDX files", "[data]") {
    TempDir dir;
    auto bytes = cat(idx_header(0x08, {2, 3}), {1, 2, 3, 4, 5, 255});
    write(dir.path / "a.idx", bytes);
    write(dir.path / "a.idx.gz", bytes, true);
    for (auto name : {"a.idx", "a.idx.gz"}) {
        auto r = data::read_idx(dir.path / name);
        CHECK(r.dims == std::vector<std::size_t>{2, 3});
        CHECK(r.bytes == std::vector<std::uint8_t>{1, 2, 3, 4, 5, 255});
    }
}

TEST_CASE("read_idx rejects truncated, corrupt and lying files", "[data][errors]") {
    TempDir dir;
    auto path = dir.path / "bad.idx";
    auto expect = [&](const std::vector<std::uint8_t>& bytes, const std::string& what, bool gzip = false) {
        write(path, bytes, gzip);
        INFO(what);
        CHECK_THROWS_WITH(data::read_idx(path), Catch::StartsWith("read_idx: " + path.string() + ": ") && Catch::Contains(what));
    };
    expect(cat(idx_header(0x08, {10}), {1, 2, 3}), "truncated: the header promises 10 bytes of data, the file holds 3");
    expect(cat(idx_header(0x08, {10}), {1, 2, 3}), "truncated", true);
    expect({0, 0, 8}, "shorter than the 4-byte magic number");
    expect({1, 2, 8, 1, 0, 0, 0, 1, 7}, "bad magic number");
    expect(cat(idx_header(0x0D, {1}), {0, 0, 0, 0}), "unsupported element type");
    expect(cat(idx_header(0x08, {2}), {1, 2, 3}), "more data than the header's 2 bytes");
    expect({0, 0, 8, 2, 0, 0}, "truncated inside the header");
    expect(idx_header(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}), "overflows");
    expect({0, 0, 8, 0}, "at least one dimension");
    // a 16-byte file claiming 2^31 images of 28x28: rejected after reading what is there
    expect(idx_header(0x08, {0x80000000u, 28, 28}), "truncated: the header promises 1683627180032 bytes");
    CHECK_THROWS_WITH(data::read_idx(dir.path / "missing.idx"), Catch::Contains("cannot open the file"));
    // gzip data that is not valid deflate
    write(path, {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    CHECK_THROWS_WITH(data::read_idx(path), Catch::Contains(path.string()));
}

TEST_CASE("load_mnist builds normalised inputs and labels, and says what is missing", "[data]") {
    TempDir dir;
    write(dir.path / "t10k-images-idx3-ubyte.gz", cat(idx_header(0x08, {3, 2, 2}), {0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8}), true);
    write(dir.path / "t10k-labels-idx1-ubyte.gz", cat(idx_header(0x08, {3}), {7, 0, 9}), true);
    auto d = data::load_mnist(dir.path, data::Split::test);
    CHECK(d.holds_bytes());
    CHECK(d.sample_shape() == Shape{4});
    const Tensor features = d.features();
    CHECK(features.shape() == Shape{3, 4});
    CHECK(features.dtype() == float32);
    CHECK_VALUES(features.reshape({-1}), xt::xarray<double>(xt::xarray<double>{0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8} / 255.0));
    CHECK(d.labels == Labels{7, 0, 9});
    // batches convert the same bytes the same way, in the order asked
    const data::Batch b = d.batch({2, 0});
    CHECK(b.labels == Labels{9, 7});
    CHECK(b.inputs.data<float>()(0, 3) == features.data<float>()(2, 3));
    CHECK(b.inputs.data<float>()(1, 1) == 1.0f);

    write(dir.path / "t10k-labels-idx1-ubyte.gz", cat(idx_header(0x08, {2}), {7, 0}), true);
    CHECK_THROWS_WITH(data::load_mnist(dir.path, data::Split::test), Catch::Contains("holds 2 labels for 3 images"));
    write(dir.path / "t10k-labels-idx1-ubyte.gz", cat(idx_header(0x08, {3}), {7, 10, 1}), true);
    CHECK_THROWS_WITH(data::load_mnist(dir.path, data::Split::test), Catch::Contains("label 10 at position 1"));
    CHECK_THROWS_WITH(data::load_mnist(dir.path, data::Split::train),
                      Catch::Contains("train-images-idx3-ubyte.gz not found") && Catch::Contains("dataset-fashion-mnist"));
}

TEST_CASE("the real Fashion-MNIST files load", "[data]") {
    if (!fs::exists(data::fashion_mnist_dir / "t10k-images-idx3-ubyte.gz")) {
        WARN("dataset-fashion-mnist is not installed; skipped");
        return;
    }
    auto test = data::load_mnist(data::fashion_mnist_dir, data::Split::test);
    const Tensor features = test.features();
    CHECK(features.shape() == Shape{10000, 784});
    CHECK(xt::amax(features.data<float>())() == 1.0f);
    std::vector<int> per_class(10, 0);
    for (auto l : test.labels) ++per_class[static_cast<std::size_t>(l)];
    CHECK(per_class == std::vector<int>(10, 1000));  // the test set is balanced
}

TEST_CASE("DataLoader batches, shuffles reproducibly, drops the last batch on request", "[data]") {
    Labels labels(10);
    std::iota(labels.begin(), labels.end(), 0);
    auto inputs = Tensor::arange(20).reshape({10, 2});  // row i = (2i, 2i + 1)
    data::Dataset ds(inputs, labels);

    data::DataLoader plain(ds, {.batch_size = 4});
    CHECK(plain.batches() == 3);
    std::vector<std::size_t> sizes;
    for (auto [x, y] : plain) {
        sizes.push_back(y.size());
        CHECK(x.shape() == Shape{y.size(), 2});
    }
    CHECK(sizes == std::vector<std::size_t>{4, 4, 2});
    CHECK(data::DataLoader(ds, {.batch_size = 4, .drop_last = true}).batches() == 2);

    auto epoch_order = [](data::DataLoader& loader) {
        Labels order;
        for (auto [x, y] : loader)
            for (std::size_t i = 0; i < y.size(); ++i) {
                CHECK(x.data<float>()(i, 0) == 2.0f * static_cast<float>(y[i]));  // rows stay with their labels
                order.push_back(y[i]);
            }
        return order;
    };
    data::DataLoader a(ds, {.batch_size = 3, .shuffle = true, .seed = 42});
    data::DataLoader b(ds, {.batch_size = 3, .shuffle = true, .seed = 42});
    auto a1 = epoch_order(a), a2 = epoch_order(a), b1 = epoch_order(b);
    CHECK(a1 == b1);   // same seed, same order
    CHECK(a1 != a2);   // a new order each epoch
    CHECK(std::set<std::int64_t>(a1.begin(), a1.end()).size() == 10);  // every sample once
    CHECK(a1 != labels);
}

TEST_CASE("a dataset of bytes batches like the float dataset of its features", "[data]") {
    std::vector<std::uint8_t> bytes(6 * 3);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 14);
    const auto d = data::Dataset::from_bytes(bytes, {3}, Labels{0, 1, 2, 0, 1, 2}, 255);
    const data::Dataset floats(d.features(), d.labels);
    CHECK(d.features().data<float>()(5, 2) == static_cast<float>(17 * 14) / 255.0f);
    data::DataLoader a(d, {.batch_size = 4, .shuffle = true, .seed = 3});
    data::DataLoader b(floats, {.batch_size = 4, .shuffle = true, .seed = 3});
    auto ia = a.begin(), ib = b.begin();
    for (; ia != a.end(); ++ia, ++ib) {
        const data::Batch x = *ia, y = *ib;
        CHECK(x.labels == y.labels);
        CHECK(x.inputs.shape() == y.inputs.shape());
        CHECK((test::values(x.inputs) == test::values(y.inputs)));
    }
    const auto part = d.subset({4, 1});
    CHECK(part.holds_bytes());
    CHECK(part.labels == Labels{1, 1});
    CHECK((test::values(part.features()) == test::values(floats.subset({4, 1}).inputs)));
}

TEST_CASE("accuracy and confusion matrix", "[data]") {
    auto logits = Tensor::from({2, 1, 0, 0, 3, 1, 1, 0, 5, 9, 0, 0}, {4, 3});  // predictions 0, 1, 2, 0
    const Labels y{0, 1, 1, 2};
    CHECK(data::accuracy(logits, y) == 0.5);
    CHECK((data::confusion_matrix(logits, y) == xt::xarray<std::size_t>{{1, 0, 0}, {0, 1, 1}, {1, 0, 0}}));
}

TEST_CASE("datasets and metrics reject mismatched sizes", "[data][errors]") {
    CHECK_THROWS_WITH(data::Dataset(Tensor::zeros({3, 2}), Labels{0, 1}),
                      "Dataset: inputs (3, 2) do not hold one sample per label (2 labels)");
    data::Dataset ds(Tensor::zeros({2, 2}), Labels{0, 1});
    CHECK_THROWS_AS(ds.subset({0, 2}), std::out_of_range);
    CHECK_THROWS_AS(data::DataLoader(ds, {.batch_size = 0}), std::invalid_argument);
    CHECK_THROWS_WITH(data::accuracy(Tensor::zeros({3, 2}), Labels{0}), Catch::StartsWith("accuracy: expected logits (N, classes) for 1 labels"));
    CHECK_THROWS_WITH(data::confusion_matrix(Tensor::zeros({1, 2}), Labels{5}), Catch::Contains("label 5 at position 0"));
}

TEST_CASE("synthetic datasets: sizes, classes, reproducibility", "[data]") {
    auto x = data::make_xor();
    CHECK(x.labels == Labels{0, 1, 1, 0});
    auto moons = data::make_moons(200, 0.1, 3);
    CHECK(moons.inputs.shape() == Shape{200, 2});
    CHECK(std::count(moons.labels.begin(), moons.labels.end(), 1) == 100);
    CHECK((data::make_moons(200, 0.1, 3).inputs.data<float>() == moons.inputs.data<float>()));
    CHECK_FALSE((data::make_moons(200, 0.1, 4).inputs.data<float>() == moons.inputs.data<float>()));
    auto circles = data::make_circles(100, 0.0, 0.5);
    for (std::size_t i = 0; i < 100; ++i) {  // noise-free: radius 1 outside, 0.5 inside
        const double r = std::hypot(circles.inputs.data<float>()(i, 0), circles.inputs.data<float>()(i, 1));
        CHECK(r == Approx(circles.labels[i] == 1 ? 0.5 : 1.0).epsilon(1e-5));
    }
    auto spiral = data::make_spiral(50, 4);
    CHECK(spiral.size() == 200);
    CHECK(*std::max_element(spiral.labels.begin(), spiral.labels.end()) == 3);

    auto buyers = data::make_buyers(2000, 1);
    std::size_t minors = 0;
    for (std::size_t i = 0; i < buyers.size(); ++i) {
        const float age = buyers.inputs.data<float>()(i, 0);
        if (age < 18) {
            ++minors;
            CHECK(buyers.labels[i] == 0);  // nobody under 18 buys
        }
    }
    CHECK(minors > 50);
    CHECK(data::buyers_probability(17, 150) == 0.0);
    CHECK(data::buyers_probability(30, 50) < data::buyers_probability(50, 50));
    CHECK(data::buyers_probability(40, 40) < data::buyers_probability(40, 100));
}

TEST_CASE("train_test_split and Standardizer", "[data]") {
    auto d = data::make_buyers(100, 2);
    auto [train, test] = data::train_test_split(d, 0.25, 7);
    CHECK(train.size() == 75);
    CHECK(test.size() == 25);
    data::Standardizer s(train.inputs);
    auto z = s(train.inputs).to(float64);
    CHECK_VALUES(mean(z, 0), xt::zeros<double>({2}));
    CHECK_VALUES(mean(z * z, 0), xt::ones<double>({2}));  // unit variance
    CHECK(s(test.inputs).shape() == Shape{25, 2});
    CHECK_THROWS_WITH(s(Tensor::zeros({3, 3})), "Standardizer: fitted on 2 features, got inputs (3, 3)");
    CHECK_THROWS_AS(data::train_test_split(d, 1.0), std::invalid_argument);
    CHECK_THROWS_WITH(data::train_test_split(data::make_xor(), 0.1), Catch::Contains("one side would be empty"));
}

TEST_CASE("read_csv: features, label column, and clear errors", "[data][errors]") {
    TempDir dir;
    auto path = dir.path / "people.csv";
    auto write_text = [&](const std::string& text) { std::ofstream(path) << text; };
    write_text("age,salary,buys\n25, 40.5 ,0\r\n61,120,1\n\n33,1e2,1");
    auto d = data::read_csv(path, "buys");
    CHECK(d.inputs.shape() == Shape{3, 2});
    CHECK_VALUES(d.inputs, array({25, 40.5, 61, 120, 33, 100}, {3, 2}));
    CHECK(d.labels == Labels{0, 1, 1});
    write_text("buys;age\n1;20\n0;30\n");
    CHECK(data::read_csv(path, "buys", ';').labels == Labels{1, 0});

    auto expect = [&](const std::string& text, const std::string& what) {
        write_text(text);
        INFO(what);
        CHECK_THROWS_WITH(data::read_csv(path, "buys"), Catch::StartsWith("read_csv: " + path.string()) && Catch::Contains(what));
    };
    expect("", "empty file: expected a header row");
    expect("age,salary\n1,2\n", "no column 'buys' in the header (columns: age, salary)");
    expect("age,salary,buys\n25,40,0\n61,12", ":3: 2 fields, the header has 3 (truncated or corrupt row)");
    expect("age,salary,buys\n25,abc,0\n", ":2: column 'salary': 'abc' is not a number");
    expect("age,salary,buys\n25,,0\n", "column 'salary': '' is not a number");
    expect("age,salary,buys\n25,40,0.5\n", "column 'buys': label '0.5' is not a non-negative integer");
    expect("age,salary,buys\n25,40,-1\n", "label '-1' is not a non-negative integer");
    expect("age,salary,buys\n25,inf,1\n", "'inf' is not a number");
    expect("age,salary,buys\n\"25\",40,1\n", "quoted fields are not supported");
    expect("age,salary,buys\n", "no data rows after the header");
    expect("age,salary,buys\n25,1e39,1\n", ":2: column 'salary': 1e39 does not fit in float32");  // became inf
    CHECK_THROWS_WITH(data::read_csv(dir.path / "none.csv", "buys"), Catch::Contains("cannot open the file"));
    CHECK_THROWS_WITH(data::read_csv(dir.path, "buys"), Catch::Contains("is a directory"));  // was "empty file"
}

TEST_CASE("a DataLoader over a temporary dataset keeps the dataset alive", "[data]") {
    // It used to keep a reference: the dataset died at the end of this statement.
    data::DataLoader loader(data::make_moons(10, 0.1, 3), {.batch_size = 4});
    const data::Dataset same = data::make_moons(10, 0.1, 3);
    std::size_t seen = 0;
    for (auto [x, y] : loader) {
        for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == same.labels[seen + i]);
        CHECK(xt::allclose(x.data<float>(), xt::view(same.inputs.data<float>(), xt::range(seen, seen + y.size()))));
        seen += y.size();
    }
    CHECK(seen == 10);
    CHECK(loader.dataset().size() == 10);
}

TEST_CASE("DataLoader counts batches without overflow for any batch size", "[data]") {
    const data::Dataset d(Tensor::ones({10, 2}), Labels(10, 0));
    CHECK(data::DataLoader(d, {.batch_size = 3}).batches() == 4);
    CHECK(data::DataLoader(d, {.batch_size = 3, .drop_last = true}).batches() == 3);
    data::DataLoader huge(d, {.batch_size = std::numeric_limits<std::size_t>::max()});
    CHECK(huge.batches() == 1);  // n + b - 1 wrapped to 0 batches
    std::size_t seen = 0;
    for (auto [x, y] : huge) seen += y.size();
    CHECK(seen == 10);
}

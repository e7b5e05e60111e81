#include "nn/data/idx.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>

#include <limits>
#include <memory>

namespace xgrad::data {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& why) {
    throw std::runtime_error("read_idx: " + path.string() + ": " + why);
}

// gzread into `out` until n bytes or the end; returns how many were read.
std::size_t read_some(gzFile f, const std::filesystem::path& path, std::uint8_t* out, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        const auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 20));
        const int got = gzread(f, out + done, chunk);
        if (got < 0) {
            int code = 0;
            fail(path, std::string("corrupt compressed data (") + gzerror(f, &code) + ")");
        }
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

}  // namespace

IdxBytes read_idx(const std::filesystem::path& path) {
    std::unique_ptr<gzFile_s, decltype(&gzclose)> f(gzopen(path.c_str(), "rb"), &gzclose);
    if (!f) fail(path, "cannot open the file (" + std::string(std::strerror(errno)) + ")");

    std::uint8_t magic[4];
    if (read_some(f.get(), path, magic, 4) != 4) fail(path, "truncated: shorter than the 4-byte magic number");
    if (magic[0] != 0 || magic[1] != 0) fail(path, "not an IDX file (bad magic number)");
    if (magic[2] != 0x08)
        fail(path, "unsupported element type 0x" + std::to_string(magic[2]) + " (only unsigned bytes, 0x08)");
    const std::size_t ndim = magic[3];
    if (ndim == 0) fail(path, "an IDX file needs at least one dimension");

    IdxBytes out;
    std::size_t total = 1;
    for (std::size_t d = 0; d < ndim; ++d) {
        std::uint8_t b[4];
        if (read_some(f.get(), path, b, 4) != 4) fail(path, "truncated inside the header");
        const std::size_t extent = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) | (std::size_t{b[2]} << 8) | b[3];
        if (extent != 0 && total > std::numeric_limits<std::size_t>::max() / extent)
            fail(path, "the dimensions' product overflows");
        total *= extent;
        out.dims.push_back(extent);
    }
    // Grow with the data actually present (doubling from 64 KiB): a header claiming 2^31 images
    // costs nothing until the bytes are there.
    while (out.bytes.size() < total) {
        const std::size_t have = out.bytes.size();
        const std::size_t want = std::min(std::max<std::size_t>(have, 1 << 16), total - have);
        out.bytes.resize(have + want);
        const std::size_t got = read_some(f.get(), path, out.bytes.data() + have, want);
        if (got < want)
            fail(path, "truncated: the header promises " + std::to_string(total) + " bytes of data, the file holds " +
                           std::to_string(have + got));
    }
    std::uint8_t extra;
    if (read_some(f.get(), path, &extra, 1) != 0)
        fail(path, "corrupt: more data than the header's " + std::to_string(total) + " bytes");
    return out;
}

namespace {

std::filesystem::path find(const std::filesystem::path& dir, const std::string& stem) {
    for (const auto& name : {stem + ".gz", stem})
        if (std::filesystem::exists(dir / name)) return dir / name;
    throw std::runtime_error("load_mnist: " + (dir / (stem + ".gz")).string() +
                             " not found. Fashion-MNIST is in the Debian package dataset-fashion-mnist "
                             "(sudo apt-get install dataset-fashion-mnist, files in " +
                             fashion_mnist_dir.string() + "); or point to a directory with the MNIST-format files");
}

}  // namespace

Dataset load_mnist(const std::filesystem::path& dir, Split split) {
    const std::string prefix = split == Split::train ? "train" : "t10k";
    const auto images_path = find(dir, prefix + "-images-idx3-ubyte");
    const auto labels_path = find(dir, prefix + "-labels-idx1-ubyte");
    IdxBytes images = read_idx(images_path);
    IdxBytes labels = read_idx(labels_path);
    if (images.dims.size() != 3)
        throw std::runtime_error("load_mnist: " + images_path.string() + ": expected 3 dimensions (N, rows, cols), got " +
                                 std::to_string(images.dims.size()));
    if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0])
        throw std::runtime_error("load_mnist: " + labels_path.string() + " holds " +
                                 std::to_string(labels.bytes.size()) + " labels for " + std::to_string(images.dims[0]) +
                                 " images");
    const std::size_t n = images.dims[0], pixels = images.dims[1] * images.dims[2];
    Labels y(labels.bytes.begin(), labels.bytes.end());
    for (std::size_t i = 0; i < n; ++i)
        if (y[i] > 9)
            throw std::runtime_error("load_mnist: " + labels_path.string() + ": label " + std::to_string(y[i]) +
                                     " at position " + std::to_string(i) + " is not a digit class 0-9");
    // Kept as the file's bytes (47 MB for the 60,000 training images instead of 188 MB as float32);
    // each batch becomes float32 in [0, 1].
    return Dataset::from_bytes(std::move(images.bytes), {pixels}, std::move(y), 255.0f);
}

}  // namespace xgrad::data

#include "nn/serialize.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "autograd/runtime/files.hpp"
#include "autograd/runtime/random.hpp"

namespace xgrad::nn {

static_assert(std::endian::native == std::endian::little, "the .npy writer assumes a little-endian machine");

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& why) {
    throw std::runtime_error("npz: " + path.string() + ": " + why);
}

// NPY format 1.0: magic, version, header length (little-endian u16), a Python dict literal padded
// with spaces to a multiple of 64 bytes and ended by a newline, then the raw C-order data.
std::string_view npy_descr(Dtype dtype) {
    switch (dtype) {
    case Dtype::float32: return "<f4";
    case Dtype::float64: return "<f8";
    case Dtype::int64: return "<i8";
    default: return "|b1";
    }
}

std::string npy_bytes(const Tensor& t) {
    std::ostringstream dict;
    dict << "{'descr': '" << npy_descr(t.dtype()) << "', 'fortran_order': False, 'shape': (";
    for (std::size_t d = 0; d < t.dim(); ++d) dict << t.shape()[d] << (t.dim() == 1 || d + 1 < t.dim() ? "," : "");
    dict << "), }";
    std::string header = dict.str();
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY\x01";
    out += '\0';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    visit_any(t.array(), [&](const auto& a) {
        if (a.size() > 0) out.append(reinterpret_cast<const char*>(a.data()), a.size() * sizeof(*a.data()));
    });
    return out;
}

// libzip's text for an error code returned by zip_open.
std::string zip_error_text(int code) {
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    std::string text = zip_error_strerror(&e);
    zip_error_fini(&e);
    return text;
}

void fsync_path(const std::filesystem::path& p, bool directory) {
    const int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

// The text after `'key':` in a .npy header dict, leading spaces skipped.
std::string after_key(const std::string& dict, const std::string& key) {
    const auto at = dict.find("'" + key + "':");
    if (at == std::string::npos) return {};
    const auto start = dict.find_first_not_of(' ', at + key.size() + 3);
    return start == std::string::npos ? std::string() : dict.substr(start);
}

// What a .npy entry's header says: its dtype and shape, and where its data starts.
struct NpyHeader {
    Dtype dtype = Dtype::float32;
    Shape shape;
    std::size_t data_offset = 0, data_bytes = 0;
};

// The length of the whole header (prefix and dict) from its prefix: the first 10 bytes of an entry
// for version 1, 12 for versions 2 and 3 (`head` holds at least 10, or all of a shorter entry).
std::size_t npy_header_end(const std::filesystem::path& path, const std::string& entry, const std::string& head) {
    auto bad = [&](const std::string& why) { fail(path, entry + ": " + why); };
    if (head.size() < 10 || head.compare(0, 6, "\x93NUMPY") != 0) bad("not a .npy array (bad magic)");
    const int major = static_cast<unsigned char>(head[6]);
    if (major == 1)
        return 10 + (static_cast<unsigned char>(head[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(head[9])) << 8));
    if (major != 2 && major != 3) bad("unsupported .npy version " + std::to_string(major));
    if (head.size() < 12) bad("truncated header");
    std::size_t header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(head[8 + i])) << (8 * i);
    if (header_len > (1u << 20)) bad("a header of " + std::to_string(header_len) + " bytes is not a .npy header");
    return 12 + header_len;
}

// Parses the header (all bytes up to npy_header_end); the data must fill the entry's `entry_size`.
NpyHeader parse_npy_header(const std::filesystem::path& path, const std::string& entry, const std::string& head,
                           std::size_t entry_size) {
    auto bad = [&](const std::string& why) { fail(path, entry + ": " + why); };
    const int major = static_cast<unsigned char>(head[6]);
    const std::size_t offset = major == 1 ? 10 : 12;
    const std::string dict = head.substr(offset);
    const std::string descr_text = after_key(dict, "descr");
    const std::string descr = descr_text.substr(0, descr_text.find(','));
    const bool fortran = after_key(dict, "fortran_order").rfind("False", 0) != 0;
    const std::string shape_rest = after_key(dict, "shape");
    const std::string shape_text = shape_rest.substr(0, shape_rest.find(')') + 1);
    NpyHeader h;
    if (descr == "'<f4'") h.dtype = Dtype::float32;
    else if (descr == "'<f8'") h.dtype = Dtype::float64;
    else if (descr == "'<i8'") h.dtype = Dtype::int64;
    else if (descr == "'|b1'") h.dtype = Dtype::boolean;
    else bad("unsupported dtype " + (descr.empty() ? std::string("(none)") : descr) + " (xgrad reads '<f4', '<f8', '<i8' and '|b1')");
    if (fortran) bad("Fortran-order arrays are not supported");
    if (shape_text.size() < 2 || shape_text.front() != '(' || shape_text.back() != ')') bad("bad shape " + shape_text);
    std::size_t count = 1;
    std::stringstream dims(shape_text.substr(1, shape_text.size() - 2));
    for (std::string item; std::getline(dims, item, ',');) {
        if (item.find_first_not_of(' ') == std::string::npos) continue;
        std::size_t used = 0;
        unsigned long long v = 0;
        try {
            v = std::stoull(item, &used);
        } catch (const std::exception&) {
            bad("bad shape " + shape_text);
        }
        if (v != 0 && count > (std::size_t(-1) / 8) / v) bad("shape " + shape_text + " is too large");
        count *= v;
        h.shape.push_back(v);
    }
    h.data_offset = head.size();
    h.data_bytes = count * element_size(h.dtype);
    const std::size_t data = entry_size - h.data_offset;
    if (data != h.data_bytes)
        bad("shape " + shape_text + " needs " + std::to_string(h.data_bytes) + " bytes of data, the entry holds " +
            std::to_string(data));
    return h;
}

// One .npy entry of an open archive, read as far as asked and never past the size its directory
// record declares: a deflated entry that inflates to more is refused, not inflated.
class NpzEntry {
public:
    NpzEntry(zip_t* z, const std::filesystem::path& path, zip_uint64_t index) : path_(path) {
        zip_stat_t st;
        if (zip_stat_index(z, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_NAME))
            fail(path, "unreadable entry " + std::to_string(index));
        name_ = st.name;
        size_ = st.size;
        if (name_.size() < 4 || name_.substr(name_.size() - 4) != ".npy") fail(path, name_ + ": not a .npy entry");
        file_.reset(zip_fopen_index(z, index, 0));
        if (!file_) fail(path, name_ + ": cannot open (" + std::string(zip_strerror(z)) + ")");
        // the 10-byte prefix, 2 more for versions 2 and 3, then the rest of the header: never a byte of data
        std::string head = read_string(std::min<std::size_t>(size_, 10));
        if (head.size() == 10 && static_cast<unsigned char>(head[6]) >= 2) head += read_string(std::min<std::size_t>(size_ - 10, 2));
        const std::size_t end = npy_header_end(path, name_, head);
        if (end > size_) fail(path, name_ + ": truncated header");
        head += read_string(end - head.size());
        header_ = parse_npy_header(path, name_, head, size_);
    }

    std::string tensor_name() const { return name_.substr(0, name_.size() - 4); }
    const NpyHeader& header() const { return header_; }

    // The data, into a new tensor; then the entry must end.
    Tensor read_tensor() {
        Tensor t = dispatch_any(header_.dtype, [&](auto zero) {
            using T = decltype(zero);
            Values<T> a = allocating("load_npz", header_.dtype, header_.shape, [&] { return Values<T>::from_shape(header_.shape); });
            if constexpr (std::is_same_v<T, bool>) {  // a byte other than 0 or 1 is no bool
                std::vector<unsigned char> bytes(header_.data_bytes);
                if (!bytes.empty()) read(reinterpret_cast<char*>(bytes.data()), bytes.size());
                for (std::size_t i = 0; i < bytes.size(); ++i) {
                    if (bytes[i] > 1) fail(path_, name_ + ": byte " + std::to_string(i) + " of a bool array is " + std::to_string(bytes[i]) + ", not 0 or 1 (corrupt)");
                    a.data()[i] = bytes[i] != 0;
                }
            } else if (header_.data_bytes > 0) {
                read(reinterpret_cast<char*>(a.data()), header_.data_bytes);
            }
            return Tensor(std::move(a));
        });
        char extra;
        if (zip_fread(file_.get(), &extra, 1) != 0) fail(path_, name_ + ": more data than its size says (corrupt)");
        return t;
    }

private:
    void read(char* out, std::size_t n) {
        while (n > 0) {
            const zip_int64_t got = zip_fread(file_.get(), out, std::min<std::size_t>(n, 1 << 20));
            if (got < 0) fail(path_, name_ + ": corrupt data (" + std::string(zip_file_strerror(file_.get())) + ")");
            if (got == 0) fail(path_, name_ + ": truncated data");
            out += got;
            n -= static_cast<std::size_t>(got);
        }
    }
    std::string read_string(std::size_t n) {
        std::string s(n, '\0');
        read(s.data(), n);
        return s;
    }

    std::filesystem::path path_;
    std::string name_;
    std::size_t size_ = 0;
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file_{nullptr, &zip_fclose};
    NpyHeader header_;
};

// The archive, opened for reading.
std::unique_ptr<zip_t, decltype(&zip_discard)> open_npz(const std::filesystem::path& path) {
    int err = 0;
    std::unique_ptr<zip_t, decltype(&zip_discard)> z(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err), &zip_discard);
    if (!z) fail(path, "cannot open as a zip archive (" + zip_error_text(err) + ")");
    return z;
}

zip_uint64_t entries_of(zip_t* z) { return static_cast<zip_uint64_t>(std::max<zip_int64_t>(zip_get_num_entries(z, 0), 0)); }

}  // namespace

void save_npz(const std::filesystem::path& path, const NamedTensors& tensors) {
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    std::vector<std::string> buffers;
    buffers.reserve(tensors.size());
    int err = 0;
    zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z) fail(tmp, "cannot create (" + zip_error_text(err) + ")");
    for (const auto& [name, t] : tensors) {
        buffers.push_back(npy_bytes(t));
        zip_source_t* src = zip_source_buffer(z, buffers.back().data(), buffers.back().size(), 0);
        const zip_int64_t index = src ? zip_file_add(z, (name + ".npy").c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
        if (src && index < 0) zip_source_free(src);  // once added, the archive owns it
        // Stored, not deflated, as numpy.savez does: floats barely compress and deflate is slow.
        if (index < 0 || zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) < 0) {
            std::string why = zip_strerror(z);
            zip_discard(z);
            remove_quietly(tmp);
            fail(path, "cannot add '" + name + "' (" + why + ")");
        }
    }
    if (zip_close(z) != 0) {
        std::string why = zip_strerror(z);
        zip_discard(z);
        remove_quietly(tmp);
        fail(path, "cannot write (" + why + ")");
    }
    fsync_path(tmp, false);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        remove_quietly(tmp);
        fail(path, "cannot rename the temporary file into place (" + ec.message() + ")");
    }
    fsync_path(path.parent_path().empty() ? "." : path.parent_path(), true);
}

NamedTensors load_npz(const std::filesystem::path& path, std::size_t max_entry_bytes) {
    auto z = open_npz(path);
    NamedTensors out;
    for (zip_uint64_t i = 0; i < entries_of(z.get()); ++i) {
        NpzEntry e(z.get(), path, i);
        if (e.header().data_bytes > max_entry_bytes)
            fail(path, e.tensor_name() + ".npy: holds " + std::to_string(e.header().data_bytes) +
                           " bytes of data, more than the " + std::to_string(max_entry_bytes) + " allowed");
        out.emplace_back(e.tensor_name(), e.read_tensor());
    }
    return out;
}

void save(const Module& module, const std::filesystem::path& path) { save_npz(path, module.state_dict()); }

namespace {

using TensorMap = std::map<std::string, Tensor>;
using HeaderMap = std::map<std::string, NpyHeader>;

// Every way `stored` (what the file's headers declare) fails to hold exactly the module's
// parameters, one line each.
std::vector<std::string> parameter_problems(const Module& module, const HeaderMap& stored) {
    std::vector<std::string> problems;
    const auto params = module.state_dict();
    std::map<std::string, bool> used;
    for (const auto& [name, p] : params) {
        auto it = stored.find(name);
        if (it == stored.end()) {
            problems.push_back("missing '" + name + "'");
            continue;
        }
        used[name] = true;
        if (it->second.shape != p.shape())
            problems.push_back("'" + name + "' has shape " + shape_str(it->second.shape) + " in the file, " +
                               shape_str(p.shape()) + " in the model");
        else if (it->second.dtype != p.dtype())
            problems.push_back("'" + name + "' is " + std::string(dtype_name(it->second.dtype)) + " in the file, " +
                               std::string(dtype_name(p.dtype())) + " in the model");
    }
    for (const auto& [name, t] : stored)
        if (!used.count(name)) problems.push_back("unexpected '" + name + "'");
    return problems;
}

void assign_parameters(Module& module, const TensorMap& stored) {
    for (auto& [name, p] : module.state_dict()) p.mutable_array() = stored.at(name).array();
}

// A generator's 64-bit words as exact float64 pairs (high and low 32 bits), shape (words, 2).
Tensor encode_rng(const std::vector<std::uint64_t>& words) {
    std::vector<double> halves;
    for (auto w : words) {
        halves.push_back(static_cast<double>(w >> 32));
        halves.push_back(static_cast<double>(w & 0xffffffffu));
    }
    return Tensor::from(halves, {words.size(), 2}, {.dtype = Dtype::float64});
}

// The words back, or nullopt if `t` is not such a pair list.
std::optional<std::vector<std::uint64_t>> decode_rng(const Tensor& t) {
    if (t.dtype() != Dtype::float64 || t.dim() != 2 || t.shape()[1] != 2) return std::nullopt;
    const auto& halves = t.data<double>();
    std::vector<std::uint64_t> words;
    for (std::size_t i = 0; i + 1 < halves.size(); i += 2) {
        const double hi = halves.data()[i], lo = halves.data()[i + 1];
        for (double h : {hi, lo})
            if (!(h >= 0 && h <= 4294967295.0 && h == std::floor(h))) return std::nullopt;
        words.push_back((static_cast<std::uint64_t>(hi) << 32) | static_cast<std::uint64_t>(lo));
    }
    return words;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// A module's entries as a file declares them: every header is recorded, and an entry's data is
// read only when it fits the parameter of its name, so a file that does not fit inflates nothing.
struct ModelEntries {
    explicit ModelEntries(const Module& module) {
        for (auto& [name, p] : module.state_dict()) params.emplace(name, p);
    }
    void take(NpzEntry& e, const std::string& name) {
        declared.emplace(name, e.header());
        const auto p = params.find(name);
        if (p != params.end() && p->second.shape() == e.header().shape && p->second.dtype() == e.header().dtype)
            stored.emplace(name, e.read_tensor());
    }
    TensorMap params, stored;
    HeaderMap declared;
};

// The most bytes one entry of a file for `module` may hold: its largest parameter's (an optimizer
// keeps buffers of its parameters' shapes), and at least the generator's state.
std::size_t entry_cap(const Module& module) {
    std::size_t cap = 64 * 1024;
    for (const auto& [name, p] : module.state_dict()) cap = std::max(cap, p.numel() * 8);
    return cap;
}

}  // namespace

void load(Module& module, const std::filesystem::path& path) {
    ModelEntries entries(module);
    auto z = open_npz(path);
    for (zip_uint64_t i = 0; i < entries_of(z.get()); ++i) {
        NpzEntry e(z.get(), path, i);
        entries.take(e, e.tensor_name());
    }
    const auto problems = parameter_problems(module, entries.declared);
    throw_problems<std::runtime_error>("load: " + path.string() + " does not match the model:", problems);
    assign_parameters(module, entries.stored);
}

void save_checkpoint(const std::filesystem::path& path, const Module& model, const optim::Optimizer& optimizer,
                     std::int64_t epoch, const optim::LRScheduler* scheduler) {
    if (epoch < 0) throw std::invalid_argument("save_checkpoint: epoch must be non-negative, got " + std::to_string(epoch));
    NamedTensors entries;
    for (auto& [name, t] : model.state_dict()) entries.emplace_back("model." + name, t);
    for (auto& [name, t] : optimizer.state_dict()) entries.emplace_back("optimizer." + name, t);
    if (scheduler)
        for (auto& [name, t] : scheduler->state_dict()) entries.emplace_back("scheduler." + name, t);
    const Generator* own = detail::thread_generator();
    entries.emplace_back("rng", encode_rng(own ? own->state() : get_rng_state()));
    entries.emplace_back("epoch", Tensor::scalar(static_cast<double>(epoch), {.dtype = Dtype::float64}));
    save_npz(path, entries);
}

std::int64_t load_checkpoint(const std::filesystem::path& path, Module& model, optim::Optimizer& optimizer,
                             optim::LRScheduler* scheduler) {
    ModelEntries model_entries(model);
    NamedTensors optimizer_state, scheduler_state;
    std::optional<Tensor> epoch_entry, rng_entry;
    std::vector<std::string> problems;
    // Each entry's header is checked before its data is inflated: a model entry must fit its
    // parameter, and no entry may hold more than the largest state of this model.
    const std::size_t cap = entry_cap(model);
    auto z = open_npz(path);
    for (zip_uint64_t i = 0; i < entries_of(z.get()); ++i) {
        NpzEntry e(z.get(), path, i);
        const std::string name = e.tensor_name();
        if (starts_with(name, "model.")) {
            model_entries.take(e, name.substr(6));
            continue;
        }
        if (e.header().data_bytes > cap) {
            problems.push_back("'" + name + "' holds " + std::to_string(e.header().data_bytes) +
                               " bytes, more than any state of this model (" + std::to_string(cap) + ")");
            continue;
        }
        Tensor t = e.read_tensor();
        if (starts_with(name, "optimizer.")) optimizer_state.emplace_back(name.substr(10), t);
        else if (starts_with(name, "scheduler.")) scheduler_state.emplace_back(name.substr(10), t);
        else if (name == "epoch") epoch_entry = t;
        else if (name == "rng") rng_entry = t;
        else problems.push_back("unexpected '" + name + "'");
    }
    for (const auto& p : parameter_problems(model, model_entries.declared)) problems.push_back("model: " + p);
    for (const auto& p : optimizer.state_dict_problems(optimizer_state)) problems.push_back("optimizer: " + p);
    if (scheduler) {
        for (const auto& p : scheduler->state_dict_problems(scheduler_state)) problems.push_back("scheduler: " + p);
    } else if (!scheduler_state.empty()) {
        problems.push_back("the file holds a scheduler's state, but no scheduler was given to restore it into");
    }
    std::int64_t epoch = 0;
    if (!epoch_entry) {
        problems.push_back("missing 'epoch'");
    } else {
        const double v = epoch_entry->numel() == 1 ? epoch_entry->item() : -1.0;
        if (!(v >= 0 && v <= 1e15 && v == std::floor(v))) problems.push_back("'epoch' must be one non-negative whole number");
        else epoch = static_cast<std::int64_t>(v);
    }
    Generator restored;
    if (!rng_entry) {
        problems.push_back("missing 'rng'");
    } else if (auto words = decode_rng(*rng_entry); !words) {
        problems.push_back("'rng' is not a generator state (float64 (313, 2) of 32-bit halves)");
    } else {
        try {
            restored.set_state(*words);
        } catch (const std::invalid_argument& e) {
            problems.push_back(std::string("'rng': ") + e.what());
        }
    }
    throw_problems<std::runtime_error>("load_checkpoint: " + path.string() + " does not fit:", problems);

    assign_parameters(model, model_entries.stored);
    optimizer.load_state_dict(optimizer_state);
    if (scheduler) scheduler->load_state_dict(scheduler_state);
    if (Generator* own = detail::thread_generator()) *own = restored;
    else set_rng_state(restored.state());
    return epoch;
}

}  // namespace xgrad::nn

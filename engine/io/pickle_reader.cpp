// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "io/pickle_reader.h"
#include "io/element_count.h"

#include "errors.h"

#include <caffe2/serialize/inline_container.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <variant>

namespace entroscope {
namespace {

// ---- a minimal value model for the subset of pickle a state dict uses ----

struct Node;
using NodePtr = std::shared_ptr<Node>;

struct Node
{
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor, Mark };
    Kind kind = Kind::None;
    int64_t i = 0;
    double f = 0;
    std::string s;                               // String; Global "module.name"; Storage key
    std::vector<NodePtr> items;                  // Tuple, List
    std::vector<std::pair<NodePtr, NodePtr>> kv; // Dict, in insertion order
    c10::ScalarType dtype = c10::ScalarType::Float; // Storage
    torch::Tensor tensor;                           // Tensor
};

NodePtr make(Node::Kind k)
{
    auto n = std::make_shared<Node>();
    n->kind = k;
    return n;
}

const std::map<std::string, c10::ScalarType> &storageTypes()
{
    static const std::map<std::string, c10::ScalarType> types = {
        {"torch.FloatStorage", c10::ScalarType::Float},    {"torch.HalfStorage", c10::ScalarType::Half},
        {"torch.BFloat16Storage", c10::ScalarType::BFloat16}, {"torch.DoubleStorage", c10::ScalarType::Double},
        {"torch.LongStorage", c10::ScalarType::Long},      {"torch.IntStorage", c10::ScalarType::Int},
        {"torch.ShortStorage", c10::ScalarType::Short},    {"torch.CharStorage", c10::ScalarType::Char},
        {"torch.ByteStorage", c10::ScalarType::Byte},      {"torch.BoolStorage", c10::ScalarType::Bool},
    };
    return types;
}

bool allowedGlobal(const std::string &name)
{
    static const std::set<std::string> allowed = {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
    };
    return allowed.count(name) || storageTypes().count(name);
}

class RestrictedUnpickler
{
public:
    RestrictedUnpickler(const std::string &path, const uint8_t *data, size_t size,
                        caffe2::serialize::PyTorchStreamReader &reader, HalfTensors half)
        : m_path(path)
        , m_p(data)
        , m_end(data + size)
        , m_begin(data)
        , m_reader(reader)
        , m_keepHalf(half == HalfTensors::Keep)
    {
    }

    NodePtr run()
    {
        while (true) {
            const size_t at = static_cast<size_t>(m_p - m_begin);
            const uint8_t op = byte();
            switch (op) {
            case 0x80: byte(); break;           // PROTO
            case 0x95: bytes(8); break;         // FRAME
            case '.': return pop();             // STOP
            case '(': push(make(Node::Kind::Mark)); break;
            case 'N': push(make(Node::Kind::None)); break;
            case 0x88: push(boolean(true)); break;
            case 0x89: push(boolean(false)); break;
            case 'K': push(integer(byte())); break;
            case 'M': push(integer(le(2))); break;
            case 'J': push(integer(static_cast<int32_t>(le(4)))); break;
            case 0x8a: push(long1()); break;
            case 'G': push(binfloat()); break;
            case 'X': push(string(le(4))); break;
            case 0x8c: push(string(byte())); break; // SHORT_BINUNICODE
            case 'U': push(string(byte())); break;  // SHORT_BINSTRING
            case 'T': push(string(le(4))); break;   // BINSTRING
            case ')': push(make(Node::Kind::Tuple)); break;
            case ']': push(make(Node::Kind::List)); break;
            case '}': push(make(Node::Kind::Dict)); break;
            case 't': push(tupleFrom(popMark())); break;
            case 0x85: tupleN(1); break;
            case 0x86: tupleN(2); break;
            case 0x87: tupleN(3); break;
            case 'q': memo(byte()); break;      // BINPUT
            case 'r': memo(le(4)); break;       // LONG_BINPUT
            case 0x94: memo(m_memo.size()); break; // MEMOIZE
            case 'h': push(recall(byte())); break;
            case 'j': push(recall(le(4))); break;
            case 'c': {
                std::string module = line(); // two statements: argument evaluation order is unspecified
                std::string name = line();
                global(module, name);
                break;
            }
            case 0x93: {                        // STACK_GLOBAL
                auto name = pop();
                auto module = pop();
                if (name->kind != Node::Kind::String || module->kind != Node::Kind::String)
                    fail("STACK_GLOBAL needs two strings");
                global(module->s, name->s);
                break;
            }
            case 'Q': push(persistentLoad(pop())); break;
            case 'R': reduce(); break;
            case 'b': build(); break;
            case 's': {
                auto v = pop();
                auto k = pop();
                dictTarget(top())->kv.emplace_back(k, v);
                break;
            }
            case 'u': {
                auto items = popMark();
                auto d = dictTarget(top());
                if (items.size() % 2)
                    fail("SETITEMS with an odd number of items");
                for (size_t i = 0; i < items.size(); i += 2)
                    d->kv.emplace_back(items[i], items[i + 1]);
                break;
            }
            case 'a': {
                auto v = pop();
                listTarget(top())->items.push_back(v);
                break;
            }
            case 'e': {
                auto items = popMark();
                auto l = listTarget(top());
                l->items.insert(l->items.end(), items.begin(), items.end());
                break;
            }
            default: {
                char buf[96];
                std::snprintf(buf, sizeof buf, "unsupported pickle opcode 0x%02x at byte %zu", op, at);
                fail(buf);
            }
            }
        }
    }

private:
    [[noreturn]] void fail(const std::string &why) const
    {
        throw Error(m_path + ": not a loadable state dict (" + why + ")");
    }

    uint8_t byte()
    {
        if (m_p >= m_end)
            fail("pickle data ends early");
        return *m_p++;
    }
    const uint8_t *bytes(size_t n)
    {
        if (static_cast<size_t>(m_end - m_p) < n)
            fail("pickle data ends early");
        const uint8_t *r = m_p;
        m_p += n;
        return r;
    }
    uint64_t le(int n)
    {
        const uint8_t *b = bytes(static_cast<size_t>(n));
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i)
            v = (v << 8) | b[i];
        return v;
    }
    std::string line()
    {
        std::string s;
        while (true) {
            const uint8_t c = byte();
            if (c == '\n')
                return s;
            s += static_cast<char>(c);
            if (s.size() > 256)
                fail("GLOBAL name too long");
        }
    }
    NodePtr boolean(bool b)
    {
        auto n = make(Node::Kind::Bool);
        n->i = b;
        return n;
    }
    NodePtr integer(int64_t v)
    {
        auto n = make(Node::Kind::Int);
        n->i = v;
        return n;
    }
    NodePtr long1()
    {
        const size_t len = byte();
        if (len > 8)
            fail("integer too large");
        const uint8_t *b = bytes(len);
        int64_t v = 0;
        for (size_t k = len; k-- > 0;)
            v = (v << 8) | b[k];
        if (len > 0 && len < 8 && (b[len - 1] & 0x80))
            v -= int64_t{1} << (8 * len);
        return integer(v);
    }
    NodePtr binfloat()
    {
        const uint8_t *b = bytes(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k)
            bits = (bits << 8) | b[k]; // big-endian
        auto n = make(Node::Kind::Float);
        std::memcpy(&n->f, &bits, 8);
        return n;
    }
    NodePtr string(uint64_t len)
    {
        if (len > static_cast<uint64_t>(m_end - m_p))
            fail("string runs past the end of the pickle");
        auto n = make(Node::Kind::String);
        const uint8_t *b = bytes(static_cast<size_t>(len));
        n->s.assign(reinterpret_cast<const char *>(b), static_cast<size_t>(len));
        return n;
    }

    void push(NodePtr n)
    {
        if (m_stack.size() > 1000000)
            fail("pickle stack too deep");
        m_stack.push_back(std::move(n));
    }
    NodePtr pop()
    {
        if (m_stack.empty() || m_stack.back()->kind == Node::Kind::Mark)
            fail("pickle stack underflow");
        auto n = m_stack.back();
        m_stack.pop_back();
        return n;
    }
    NodePtr top()
    {
        if (m_stack.empty())
            fail("pickle stack underflow");
        return m_stack.back();
    }
    std::vector<NodePtr> popMark()
    {
        std::vector<NodePtr> items;
        while (true) {
            if (m_stack.empty())
                fail("MARK missing");
            auto n = m_stack.back();
            m_stack.pop_back();
            if (n->kind == Node::Kind::Mark)
                break;
            items.push_back(n);
        }
        std::reverse(items.begin(), items.end());
        return items;
    }
    NodePtr tupleFrom(std::vector<NodePtr> items)
    {
        auto t = make(Node::Kind::Tuple);
        t->items = std::move(items);
        return t;
    }
    void tupleN(size_t n)
    {
        std::vector<NodePtr> items(n);
        for (size_t k = n; k-- > 0;)
            items[k] = pop();
        push(tupleFrom(std::move(items)));
    }
    void memo(uint64_t index)
    {
        if (index > 10000000)
            fail("memo index out of range");
        if (m_memo.size() <= index)
            m_memo.resize(static_cast<size_t>(index) + 1);
        m_memo[static_cast<size_t>(index)] = top();
    }
    NodePtr recall(uint64_t index)
    {
        if (index >= m_memo.size() || !m_memo[static_cast<size_t>(index)])
            fail("memo index " + std::to_string(index) + " was never stored");
        return m_memo[static_cast<size_t>(index)];
    }
    NodePtr dictTarget(const NodePtr &n)
    {
        if (n->kind != Node::Kind::Dict)
            fail("SETITEM(S) on something that is not a dict");
        return n;
    }
    NodePtr listTarget(const NodePtr &n)
    {
        if (n->kind != Node::Kind::List)
            fail("APPEND(S) on something that is not a list");
        return n;
    }

    void global(const std::string &module, const std::string &name)
    {
        const std::string full = module + "." + name;
        if (!allowedGlobal(full))
            throw Error(m_path + ": refused: the pickle references " + full
                        + ", which a state dict never needs (only tensors and dicts are loaded; nothing was executed)");
        auto n = make(Node::Kind::Global);
        n->s = full;
        push(n);
    }

    NodePtr persistentLoad(const NodePtr &pid)
    {
        // ('storage', <torch.XStorage>, key, location, numel)
        if (pid->kind != Node::Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Node::Kind::String
            || pid->items[0]->s != "storage" || pid->items[1]->kind != Node::Kind::Global
            || pid->items[2]->kind != Node::Kind::String)
            fail("unexpected persistent id");
        auto it = storageTypes().find(pid->items[1]->s);
        if (it == storageTypes().end())
            fail("persistent id with storage type " + pid->items[1]->s);
        const std::string key = pid->items[2]->s;
        if (auto cached = m_storages.find(key); cached != m_storages.end())
            return cached->second;
        const std::string record = "data/" + key;
        if (!m_reader.hasRecord(record))
            fail("storage record " + record + " is missing from the zip");
        auto [ptr, size] = m_reader.getRecord(record);
        const int64_t elem = static_cast<int64_t>(c10::elementSize(it->second));
        auto node = make(Node::Kind::Storage);
        node->dtype = it->second;
        node->s = key;
        // Zero-copy: the storage tensor owns the record's buffer (peak memory ~1x the checkpoint, not 3x).
        auto holder = std::make_shared<at::DataPtr>(std::move(ptr));
        const int64_t numel = static_cast<int64_t>(size) / elem;
        node->tensor = numel == 0 ? torch::empty({0}, torch::TensorOptions().dtype(it->second))
                                  : torch::from_blob(holder->get(), {numel}, [holder](void *) {},
                                                     torch::TensorOptions().dtype(it->second));
        m_storages[key] = node;
        return node;
    }

    static std::vector<int64_t> intTuple(const NodePtr &n, const char *what, const RestrictedUnpickler &self)
    {
        if (n->kind != Node::Kind::Tuple)
            self.fail(std::string(what) + " is not a tuple");
        std::vector<int64_t> v;
        for (const auto &x : n->items) {
            if (x->kind != Node::Kind::Int)
                self.fail(std::string(what) + " holds a non-integer");
            v.push_back(x->i);
        }
        return v;
    }

    void reduce()
    {
        auto args = pop();
        auto fn = pop();
        if (fn->kind != Node::Kind::Global)
            fail("REDUCE on something that is not an allowed global");
        if (args->kind != Node::Kind::Tuple)
            fail("REDUCE arguments are not a tuple");
        if (fn->s == "collections.OrderedDict") {
            if (!args->items.empty())
                fail("OrderedDict called with arguments");
            push(make(Node::Kind::Dict));
            return;
        }
        if (fn->s == "torch._utils._rebuild_parameter") {
            if (args->items.empty() || args->items[0]->kind != Node::Kind::Tensor)
                fail("_rebuild_parameter without a tensor");
            push(args->items[0]);
            return;
        }
        if (fn->s == "torch._utils._rebuild_tensor_v2") {
            if (args->items.size() < 4 || args->items[0]->kind != Node::Kind::Storage
                || args->items[1]->kind != Node::Kind::Int)
                fail("malformed _rebuild_tensor_v2 call");
            const auto &storage = args->items[0]->tensor;
            const int64_t offset = args->items[1]->i;
            const auto size = intTuple(args->items[2], "tensor size", *this);
            const auto stride = intTuple(args->items[3], "tensor stride", *this);
            if (size.size() != stride.size())
                fail("tensor size and stride differ in rank");
            // Bounds check before as_strided, which would otherwise read outside the storage.
            // Overflow-checked (hostile sizes and strides), and no view may hold more elements than its
            // storage: a state dict's tensors never expand theirs (a stride-0 view of 2^32 × 2^32 would
            // otherwise be materialised below).
            int64_t last = offset;
            int64_t elements = 1;
            bool empty = false, overflow = false;
            for (size_t k = 0; k < size.size(); ++k) {
                if (size[k] < 0 || stride[k] < 0)
                    fail("negative tensor size or stride");
                if (size[k] == 0) {
                    empty = true;
                    continue;
                }
                int64_t step = 0;
                overflow |= __builtin_mul_overflow(size[k] - 1, stride[k], &step);
                overflow |= __builtin_add_overflow(last, step, &last);
                overflow |= __builtin_mul_overflow(elements, size[k], &elements);
            }
            if (offset < 0 || (!empty && (overflow || last >= storage.numel())))
                fail("tensor view reaches past its storage (" + std::to_string(storage.numel()) + " elements)");
            if (!empty && elements > storage.numel())
                fail("tensor view has more elements than its storage (" + std::to_string(storage.numel())
                     + "): expanded views are not supported");
            auto n = make(Node::Kind::Tensor);
            // F16/BF16 kept as stored when asked (a view of the record, or a contiguous copy of a strided
            // view): the caller converts them where it computes, so a 16-bit file is not held at twice its size.
            const bool keep = m_keepHalf && (storage.scalar_type() == torch::kHalf || storage.scalar_type() == torch::kBFloat16);
            n->tensor = empty  ? torch::empty(size, keep ? storage.scalar_type() : torch::kFloat32)
                        : keep ? storage.as_strided(size, stride, offset).contiguous()
                               : storage.as_strided(size, stride, offset).to(torch::kFloat32).contiguous();
            push(n);
            return;
        }
        fail("REDUCE on " + fn->s);
    }

    void build()
    {
        // OrderedDict.__reduce__ may emit BUILD with instance attributes (e.g. state_dict._metadata).
        // They carry nothing we use: drop them.
        pop();
        if (top()->kind != Node::Kind::Dict)
            fail("BUILD on something that is not a dict");
    }

    std::string m_path;
    const uint8_t *m_p;
    const uint8_t *m_end;
    const uint8_t *m_begin;
    caffe2::serialize::PyTorchStreamReader &m_reader;
    bool m_keepHalf = false;
    std::vector<NodePtr> m_stack;
    std::vector<NodePtr> m_memo;
    std::map<std::string, NodePtr> m_storages;
};

std::string firstLine(const std::string &s)
{
    const auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

void checkReadable(const std::string &path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw Error(path + ": not a file");
    if (std::filesystem::file_size(path, ec) == 0)
        throw Error(path + ": empty file (0 bytes)");
}

} // namespace

StateDict readTorchZip(const std::string &path, HalfTensors half)
{
    checkReadable(path);
    {
        std::ifstream in(path, std::ios::binary);
        char magic[4] = {};
        in.read(magic, 4);
        if (std::memcmp(magic, "PK\x03\x04", 4) != 0) {
            if (static_cast<unsigned char>(magic[0]) == 0x80)
                throw Error(path + ": legacy (pre-1.6, non-zip) torch.save format; re-save it with "
                                   "torch.save(torch.load(f), f) in PyTorch >= 1.6");
            throw Error(path + ": not a PyTorch zip checkpoint (no zip signature)");
        }
    }
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
    try {
        reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error &e) {
        const std::string why = firstLine(e.what_without_backtrace());
        if (why.find("central directory") != std::string::npos)
            throw Error(path + ": damaged or truncated zip (" + why + ")");
        throw Error(path + ": a zip file but not a PyTorch checkpoint (" + why + ")");
    }
    try {
        if (!reader->hasRecord("data.pkl"))
            throw Error(path + ": a zip file but not a PyTorch checkpoint (no data.pkl)");
        auto [ptr, size] = reader->getRecord("data.pkl");
        RestrictedUnpickler up(path, static_cast<const uint8_t *>(ptr.get()), size, *reader, half);
        auto root = up.run();
        if (root->kind != Node::Kind::Dict)
            throw Error(path + ": the checkpoint holds no dict of tensors at the top level");
        StateDict out;
        for (const auto &[k, v] : root->kv) {
            if (k->kind == Node::Kind::String && v->kind == Node::Kind::Tensor)
                out[k->s] = v->tensor;
        }
        return out;
    } catch (const c10::Error &e) {
        throw Error(path + ": damaged checkpoint (" + firstLine(e.what_without_backtrace()) + ")");
    }
}

namespace {

/// The address ranges of the files readSafetensors has mapped and not unmapped yet (releaseMappedPages
/// touches nothing else).
std::mutex g_mappedMutex;
std::vector<std::pair<uintptr_t, uintptr_t>> g_mapped;

void dropPages(const void *p, uint64_t bytes)
{
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto a = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
    const auto b = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
    if (b > a)
        ::madvise(reinterpret_cast<void *>(a), b - a, MADV_DONTNEED);
}

/// A read-only view of a whole file, memory-mapped (MAP_PRIVATE: a write to a page would copy it, never reach
/// the file), or read into memory where mapping is not possible. Shared by the tensors made on it.
class FileView
{
public:
    explicit FileView(const std::string &path)
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw Error(path + ": cannot open the file (" + std::strerror(errno) + ")");
        struct stat st
        {
        };
        if (::fstat(fd, &st) != 0) {
            ::close(fd);
            throw Error(path + ": cannot read the file size");
        }
        m_size = static_cast<uint64_t>(st.st_size);
        if (m_size > 0) {
            void *p = ::mmap(nullptr, static_cast<size_t>(m_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                m_map = p;
                m_data = static_cast<const char *>(p);
                const std::lock_guard<std::mutex> lock(g_mappedMutex);
                g_mapped.emplace_back(reinterpret_cast<uintptr_t>(p), reinterpret_cast<uintptr_t>(p) + m_size);
            }
        }
        if (!m_map && m_size > 0) { // e.g. a file system without mmap: read it
            m_copy.resize(static_cast<size_t>(m_size));
            uint64_t got = 0;
            while (got < m_size) {
                const auto r = ::read(fd, m_copy.data() + got, static_cast<size_t>(m_size - got));
                if (r <= 0)
                    break;
                got += static_cast<uint64_t>(r);
            }
            if (got != m_size) {
                ::close(fd);
                throw Error(path + ": cannot read the file");
            }
            m_data = m_copy.data();
        }
        ::close(fd);
    }
    ~FileView()
    {
        if (m_map) {
            {
                const std::lock_guard<std::mutex> lock(g_mappedMutex);
                const auto base = reinterpret_cast<uintptr_t>(m_map);
                g_mapped.erase(std::remove_if(g_mapped.begin(), g_mapped.end(),
                                              [&](const auto &r) { return r.first == base; }),
                               g_mapped.end());
            }
            ::munmap(m_map, static_cast<size_t>(m_size));
        }
    }
    FileView(const FileView &) = delete;
    FileView &operator=(const FileView &) = delete;
    const char *data() const { return m_data; }
    uint64_t size() const { return m_size; }
    bool mapped() const { return m_map != nullptr; }
    /// Drops the mapped pages wholly inside [p, p + bytes) from memory (they were copied and converted; the
    /// file still has them), so that a BF16 file is not resident beside its float32 copy.
    void release(const char *p, uint64_t bytes) const
    {
        if (m_map)
            dropPages(p, bytes);
    }

private:
    void *m_map = nullptr;
    const char *m_data = nullptr;
    uint64_t m_size = 0;
    std::vector<char> m_copy;
};

} // namespace

void releaseMappedPages(const void *p, uint64_t bytes)
{
    if (!p || bytes == 0)
        return;
    const auto a = reinterpret_cast<uintptr_t>(p), b = a + bytes;
    const std::lock_guard<std::mutex> lock(g_mappedMutex); // held: the file cannot be unmapped meanwhile
    for (const auto &[lo, hi] : g_mapped)
        if (a >= lo && b <= hi) {
            dropPages(p, bytes);
            return;
        }
}

StateDict readSafetensors(const std::string &path, HalfTensors half)
{
    checkReadable(path);
    // The file is mapped, not read: float32 tensors are views of the mapping (no copy, pages loaded on first
    // touch and shared with the page cache), other dtypes are converted from it. A checkpoint so takes about
    // its float32 size in memory while loading, not its file size on top (bench/bench_load.sh).
    const auto view = std::make_shared<FileView>(path);
    const uint64_t fileSize = view->size();
    if (fileSize < 8)
        throw Error(path + ": too short for a safetensors file");
    const auto *lenBytes = reinterpret_cast<const unsigned char *>(view->data());
    uint64_t headerLen = 0;
    for (int k = 7; k >= 0; --k)
        headerLen = (headerLen << 8) | lenBytes[k];
    if (headerLen > fileSize - 8 || headerLen > (uint64_t{100} << 20))
        throw Error(path + ": safetensors header length " + std::to_string(headerLen) + " exceeds the file");
    const std::string header(view->data() + 8, static_cast<size_t>(headerLen));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(header);
    } catch (const nlohmann::json::exception &) {
        throw Error(path + ": safetensors header is not valid JSON");
    }
    if (!j.is_object())
        throw Error(path + ": safetensors header is not a JSON object");
    const uint64_t dataSize = fileSize - 8 - headerLen;
    const char *data = view->data() + 8 + headerLen;
    static const std::map<std::string, c10::ScalarType> dtypes = {
        {"F32", c10::ScalarType::Float}, {"F16", c10::ScalarType::Half},   {"BF16", c10::ScalarType::BFloat16},
        {"F64", c10::ScalarType::Double}, {"I64", c10::ScalarType::Long}, {"I32", c10::ScalarType::Int},
    };
    StateDict out;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "__metadata__")
            continue;
        const auto &t = it.value();
        const std::string name = it.key();
        try {
            const auto dt = dtypes.find(t.at("dtype").get<std::string>());
            if (dt == dtypes.end())
                throw Error(path + ": tensor " + name + " has unsupported dtype " + t.at("dtype").dump());
            // Integers only: nlohmann's get<> would cast a float such as 1e30 to an integer (undefined).
            auto integers = [&](const char *field) {
                const auto &a = t.at(field);
                if (!a.is_array())
                    throw Error(path + ": tensor " + name + ": \"" + field + "\" is not a list");
                std::vector<int64_t> out;
                for (const auto &v : a) {
                    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)))
                        throw Error(path + ": tensor " + name + ": \"" + field + "\" holds " + v.dump()
                                    + ", not an integer");
                    out.push_back(v.get<int64_t>());
                }
                return out;
            };
            const auto shape = integers("shape");
            std::vector<uint64_t> offsets;
            for (const int64_t o : integers("data_offsets")) {
                if (o < 0)
                    throw Error(path + ": tensor " + name + " has a negative data offset");
                offsets.push_back(static_cast<uint64_t>(o));
            }
            // The element count may not exceed what the data section holds; checked per dimension, so
            // that a hostile shape cannot overflow the product.
            const uint64_t itemSize = c10::elementSize(dt->second);
            const uint64_t fits = dataSize / itemSize;
            for (auto d : shape)
                if (d < 0)
                    throw Error(path + ": tensor " + name + " has a negative dimension");
            const auto bounded = boundedElementCount(shape, fits);
            if (!bounded)
                throw Error(path + ": tensor " + name + " has a shape larger than the file's data");
            const uint64_t numel = *bounded;
            const uint64_t bytes = numel * itemSize;
            if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > dataSize
                || offsets[1] - offsets[0] != bytes)
                throw Error(path + ": tensor " + name + " has data offsets outside the file or of the wrong size");
            const char *src = data + offsets[0];
            const bool aligned = reinterpret_cast<uintptr_t>(src) % itemSize == 0;
            const bool keepDtype = dt->second == c10::ScalarType::Float
                                   || (half == HalfTensors::Keep
                                       && (dt->second == c10::ScalarType::BFloat16 || dt->second == c10::ScalarType::Half));
            if (bytes && aligned && keepDtype && view->mapped()) {
                // A view of the mapping that keeps it alive as long as the tensor lives.
                auto keep = new std::shared_ptr<FileView>(view);
                out[name] = torch::from_blob(const_cast<char *>(src), shape,
                                             [keep](void *) { delete keep; }, torch::TensorOptions().dtype(dt->second));
                continue;
            }
            if (keepDtype && dt->second != c10::ScalarType::Float) { // unaligned or not mapped: a copy, same dtype
                auto tensor = torch::empty(shape, torch::TensorOptions().dtype(dt->second));
                if (bytes)
                    std::memcpy(tensor.data_ptr(), src, static_cast<size_t>(bytes));
                out[name] = tensor;
                continue;
            }
            torch::Tensor tensor;
            if (bytes && aligned) {
                tensor = torch::from_blob(const_cast<char *>(src), shape, torch::TensorOptions().dtype(dt->second))
                             .to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
                view->release(src, bytes);
            } else {
                tensor = torch::empty(shape, torch::TensorOptions().dtype(dt->second));
                if (bytes)
                    std::memcpy(tensor.data_ptr(), src, static_cast<size_t>(bytes));
                tensor = tensor.to(torch::kFloat32);
            }
            out[name] = tensor.contiguous();
        } catch (const nlohmann::json::exception &) {
            throw Error(path + ": tensor " + name + " has a malformed header entry");
        }
    }
    return out;
}

namespace {

// ---- pickle writer (protocol 2), mirroring what torch.save emits for a dict of tensors ----

class PickleWriter
{
public:
    std::string out;
    void op(uint8_t c) { out += static_cast<char>(c); }
    void u32(uint32_t v)
    {
        for (int k = 0; k < 4; ++k)
            out += static_cast<char>((v >> (8 * k)) & 0xff);
    }
    void str(const std::string &s)
    {
        op('X');
        u32(static_cast<uint32_t>(s.size()));
        out += s;
    }
    void integer(int64_t v)
    {
        if (v >= 0 && v < 256) {
            op('K');
            op(static_cast<uint8_t>(v));
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            op('J');
            u32(static_cast<uint32_t>(static_cast<int32_t>(v)));
        } else {
            op(0x8a);
            op(8);
            for (int k = 0; k < 8; ++k)
                out += static_cast<char>((static_cast<uint64_t>(v) >> (8 * k)) & 0xff);
        }
    }
    void global(const std::string &module, const std::string &name)
    {
        op('c');
        out += module + "\n" + name + "\n";
    }
    void intTuple(const std::vector<int64_t> &v)
    {
        op('(');
        for (auto x : v)
            integer(x);
        op('t');
    }
};

} // namespace

void writeTorchZip(const std::string &path, const StateDict &tensors)
{
    const std::string partial = path + ".partial";
    try {
        PickleWriter p;
        p.op(0x80);
        p.op(2);
        p.op('}'); // a plain dict: what HF Trainer writes and what torch.load/LibTorch both accept
        p.op('(');
        std::vector<torch::Tensor> storages;
        for (const auto &[key, t] : tensors) {
            auto c = t.to(torch::kFloat32).contiguous();
            // Tensors that are one and the same data (a tied decoder and word embeddings) share one
            // storage record, as torch.save writes them: the file and the loaded model hold them once.
            size_t storage = storages.size();
            for (size_t k = 0; k < storages.size(); ++k)
                if (storages[k].data_ptr() == c.data_ptr() && storages[k].numel() == c.numel())
                    storage = k;
            p.str(key);
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            // persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)
            p.op('(');
            p.str("storage");
            p.global("torch", "FloatStorage");
            p.str(std::to_string(storage));
            p.str("cpu");
            p.integer(c.numel());
            p.op('t');
            p.op('Q');
            p.integer(0);
            p.intTuple(c.sizes().vec());
            p.intTuple(c.strides().vec());
            p.op(0x89); // requires_grad False
            p.global("collections", "OrderedDict");
            p.op(')');
            p.op('R');
            p.op('t');
            p.op('R');
            if (storage == storages.size())
                storages.push_back(c);
        }
        p.op('u');
        p.op('.');
        {
            caffe2::serialize::PyTorchStreamWriter writer(partial);
            writer.writeRecord("data.pkl", p.out.data(), p.out.size());
            for (size_t k = 0; k < storages.size(); ++k)
                writer.writeRecord("data/" + std::to_string(k), storages[k].data_ptr(),
                                   static_cast<size_t>(storages[k].numel()) * sizeof(float));
            writer.writeEndOfFile();
        }
        std::filesystem::rename(partial, path);
    } catch (const c10::Error &e) {
        std::error_code ec;
        std::filesystem::remove(partial, ec);
        throw Error(path + ": cannot write checkpoint (" + firstLine(e.what_without_backtrace()) + ")");
    } catch (const std::filesystem::filesystem_error &e) {
        std::error_code ec;
        std::filesystem::remove(partial, ec);
        throw Error(path + ": cannot write checkpoint (" + std::string(e.what()) + ")");
    }
}

} // namespace entroscope

namespace entroscope {

void writeSafetensors(const std::string &path, const StateDict &tensors)
{
    static_assert(sizeof(float) == 4, "safetensors F32 is 4 bytes");
    std::vector<torch::Tensor> data;
    nlohmann::json header = nlohmann::json::object();
    header["__metadata__"] = {{"format", "pt"}};
    uint64_t offset = 0;
    for (const auto &[key, t] : tensors) { // std::map: sorted keys, the order the data follows
        auto c = t.detach().to(torch::kFloat32).contiguous();
        const uint64_t bytes = static_cast<uint64_t>(c.numel()) * sizeof(float);
        header[key] = {{"dtype", "F32"}, {"shape", c.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(std::move(c));
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' '); // the data starts 8-aligned, as the reference writer pads
    const std::string partial = path + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error(path + ": cannot write the file (" + std::strerror(errno) + ")");
        unsigned char len[8];
        for (int k = 0; k < 8; ++k)
            len[k] = static_cast<unsigned char>((static_cast<uint64_t>(text.size()) >> (8 * k)) & 0xff);
        out.write(reinterpret_cast<const char *>(len), 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const auto &c : data)
            out.write(reinterpret_cast<const char *>(c.data_ptr<float>()),
                      static_cast<std::streamsize>(c.numel() * static_cast<int64_t>(sizeof(float))));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ec;
            std::filesystem::remove(partial, ec);
            throw Error(path + ": cannot write the file (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(partial, path, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        throw Error(path + ": cannot rename the finished file into place");
    }
}

} // namespace entroscope

// GGUF header decoding and validation. One parser runs over two byte sources: the mapped image
// of a whole file (parse_gguf) and buffered reads of a file on disk (read_gguf_metadata, which
// stops after the metadata). Every read is preceded by a check against the bytes left, and
// every count is checked against the smallest size its items can take, so that nothing is
// allocated on the word of a count the file cannot back with bytes.
#include "format/gguf_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <unordered_set>
#include <utility>

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian; the reader copies numbers without swapping");

namespace qwl {
namespace {

// The smallest encodings, used to bound counts before allocating: a key/value entry is a
// string length (8), a type (4) and at least one byte of value; a tensor info is a name length
// (8), n_dims (4), one dimension (8), a type (4) and an offset (8); a nested array is an element
// type (4) and a count (8).
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
constexpr uint64_t kMinNestedArrayBytes = 4 + 8;
// Containers of items larger than their smallest encoding grow as items arrive beyond this many.
constexpr uint64_t kReserveCap = 1 << 16;
constexpr uint32_t kMaxValueType = static_cast<uint32_t>(ValueType::kFloat64);

// Bytes of one element of a fixed-size value type; 0 for strings and arrays.
uint64_t scalar_size(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool:
      return 1;
    case ValueType::kUint16:
    case ValueType::kInt16:
      return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32:
      return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
      return 8;
    case ValueType::kString:
    case ValueType::kArray:
      return 0;
  }
  return 0;
}

// Smallest encoded size of one array element of type t.
uint64_t min_element_size(ValueType t) {
  if (t == ValueType::kString) return 8;
  if (t == ValueType::kArray) return kMinNestedArrayBytes;
  return scalar_size(t);
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Widens one little-endian integer of type t to int64 (uint64 is bit-cast, as MetaValue keeps it).
int64_t decode_integer(ValueType t, const uint8_t* p) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kBool:
      return load<uint8_t>(p);
    case ValueType::kInt8:
      return load<int8_t>(p);
    case ValueType::kUint16:
      return load<uint16_t>(p);
    case ValueType::kInt16:
      return load<int16_t>(p);
    case ValueType::kUint32:
      return load<uint32_t>(p);
    case ValueType::kInt32:
      return load<int32_t>(p);
    case ValueType::kUint64:
      return static_cast<int64_t>(load<uint64_t>(p));
    case ValueType::kInt64:
      return load<int64_t>(p);
    default:
      QWL_CHECK(false, "decode_integer of {}", value_type_name(t));
  }
  return 0;
}

double decode_float(ValueType t, const uint8_t* p) {
  return t == ValueType::kFloat32 ? static_cast<double>(load<float>(p)) : load<double>(p);
}

// A forward-only source of bytes with a known total size.
class Source {
 public:
  virtual ~Source() = default;
  uint64_t pos() const { return pos_; }
  uint64_t size() const { return size_; }
  uint64_t remaining() const { return size_ - pos_; }
  // Copies the next n bytes to dst; the caller has checked n <= remaining().
  virtual Status read(void* dst, size_t n) = 0;

 protected:
  uint64_t pos_ = 0;
  uint64_t size_ = 0;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes) : data_(bytes.data()) {
    size_ = bytes.size();
  }
  Status read(void* dst, size_t n) override {
    if (n > 0) std::memcpy(dst, data_ + pos_, n);
    pos_ += n;
    return Status::Ok();
  }

 private:
  const uint8_t* data_;
};

// Reads a file front to back through its own buffer: the metadata of a real model is a few MB
// of short strings, and a read(2) or a locked stdio call per string would dominate the time.
class FileSource final : public Source {
 public:
  ~FileSource() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT) return NotFoundError("{}: no such file", path);
      return IoErrorError("{}: open: {}", path, std::strerror(errno));
    }
    struct stat st;
    if (::fstat(fd_, &st) != 0) return IoErrorError("{}: stat: {}", path, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return InvalidArgumentError("{}: not a regular file", path);
    size_ = static_cast<uint64_t>(st.st_size);
    buffer_.resize(1 << 20);
    return Status::Ok();
  }
  Status read(void* dst, size_t n) override {
    auto* out = static_cast<uint8_t*>(dst);
    while (n > 0) {
      if (begin_ == end_) {
        // Large reads bypass the buffer.
        const size_t want = n >= buffer_.size() ? n : buffer_.size();
        uint8_t* target = n >= buffer_.size() ? out : buffer_.data();
        ssize_t got = ::read(fd_, target, want);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
          return IoErrorError("{}: read at offset {} failed (file changed while read?)", path_,
                              pos_);
        if (target == out) {
          out += got;
          n -= static_cast<size_t>(got);
          pos_ += static_cast<uint64_t>(got);
          continue;
        }
        begin_ = 0;
        end_ = static_cast<size_t>(got);
      }
      const size_t k = std::min(n, end_ - begin_);
      std::memcpy(out, buffer_.data() + begin_, k);
      begin_ += k;
      out += k;
      n -= k;
      pos_ += k;
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
  std::string path_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // unread bytes of buffer_ are [begin_, end_)
  size_t end_ = 0;
};

class Parser {
 public:
  Parser(Source* src, std::string_view name) : src_(src), name_(name) {}

  // Magic, version, counts, metadata and the alignment key.
  Status parse_metadata(GgufHeader* h);
  // Tensor infos; then where the data section starts and whether every tensor fits in it.
  Status parse_tensor_infos(GgufHeader* h);
  Status check_layout(GgufHeader* h);

 private:
  Status corrupt(std::string_view field, const std::string& what) const {
    return CorruptError("{}: {}: {}", name_, field, what);
  }
  Status unsupported(std::string_view field, const std::string& what) const {
    return UnsupportedError("{}: {}: {}", name_, field, what);
  }
  // Fails unless n more bytes are there; `what` says what they would have been.
  Status need(uint64_t n, std::string_view field, std::string_view what) const {
    if (n <= src_->remaining()) return Status::Ok();
    return corrupt(
        field, fmt::format("truncated file: {} needs {} bytes at offset {}, only {} left", what, n,
                           src_->pos(), src_->remaining()));
  }
  template <typename T>
  Status read_pod(T* out, std::string_view field, std::string_view what) {
    QWL_RETURN_IF_ERROR(need(sizeof(T), field, what));
    return src_->read(out, sizeof(T));
  }
  // A string; `index` >= 0 marks an array element ("string [index]") in messages.
  Status read_string(std::string* out, std::string_view field, std::string_view what,
                     int64_t index = -1);
  Status read_value(ValueType t, int depth, const std::string& field, MetaValue* out);
  Status read_array(int depth, const std::string& field, MetaValue* out);
  Status read_type(std::string_view field, std::string_view what, ValueType* out);

  Source* src_;
  std::string_view name_;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
};

Status Parser::read_string(std::string* out, std::string_view field, std::string_view what,
                           int64_t index) {
  // Called once per token of a vocabulary: the description is only formatted on failure.
  auto describe = [&] {
    return index < 0 ? std::string(what) : fmt::format("{} [{}]", what, index);
  };
  uint64_t len = 0;
  if (src_->remaining() < sizeof len) return need(sizeof len, field, describe() + " length");
  QWL_RETURN_IF_ERROR(src_->read(&len, sizeof len));
  if (len > src_->remaining())
    return corrupt(field, fmt::format("{} length {} runs past the end of the file (offset {}, {} "
                                      "bytes left)",
                                      describe(), len, src_->pos(), src_->remaining()));
  out->resize(len);
  return src_->read(out->data(), len);
}

Status Parser::read_type(std::string_view field, std::string_view what, ValueType* out) {
  uint32_t raw = 0;
  QWL_RETURN_IF_ERROR(read_pod(&raw, field, what));
  if (raw > kMaxValueType) return corrupt(field, fmt::format("unknown {} {}", what, raw));
  *out = static_cast<ValueType>(raw);
  return Status::Ok();
}

Status Parser::read_value(ValueType t, int depth, const std::string& field, MetaValue* out) {
  if (t == ValueType::kString) {
    std::string s;
    QWL_RETURN_IF_ERROR(read_string(&s, field, "string"));
    *out = MetaValue::string(std::move(s));
    return Status::Ok();
  }
  if (t == ValueType::kArray) return read_array(depth + 1, field, out);
  uint8_t buf[8];
  const uint64_t size = scalar_size(t);
  QWL_RETURN_IF_ERROR(need(size, field, value_type_name(t)));
  QWL_RETURN_IF_ERROR(src_->read(buf, size));
  if (t == ValueType::kFloat32 || t == ValueType::kFloat64) {
    *out = MetaValue::floating(t, decode_float(t, buf));
  } else if (t == ValueType::kBool) {
    if (buf[0] > 1) return corrupt(field, fmt::format("bool value {} is neither 0 nor 1", buf[0]));
    *out = MetaValue::boolean(buf[0] != 0);
  } else {
    *out = MetaValue::integer(t, decode_integer(t, buf));
  }
  return Status::Ok();
}

Status Parser::read_array(int depth, const std::string& field, MetaValue* out) {
  if (depth > kGgufMaxArrayDepth)
    return corrupt(field, fmt::format("arrays nested deeper than {} levels", kGgufMaxArrayDepth));
  ValueType elem;
  QWL_RETURN_IF_ERROR(read_type(field, "array element type", &elem));
  uint64_t n = 0;
  QWL_RETURN_IF_ERROR(read_pod(&n, field, "array length"));
  const uint64_t min_size = min_element_size(elem);
  if (n > src_->remaining() / min_size)
    return corrupt(field,
                   fmt::format("array of {} {} elements runs past the end of the file (offset {}, "
                               "{} bytes left)",
                               n, value_type_name(elem), src_->pos(), src_->remaining()));
  switch (elem) {
    case ValueType::kString: {
      // Grown as elements arrive rather than sized from n: a std::string is larger than the
      // 8 bytes that bound n, and the bytes may still run out part-way.
      std::vector<std::string> v;
      v.reserve(std::min<uint64_t>(n, kReserveCap));
      for (uint64_t i = 0; i < n; ++i) {
        QWL_RETURN_IF_ERROR(
            read_string(&v.emplace_back(), field, "string", static_cast<int64_t>(i)));
      }
      *out = MetaValue::string_array(std::move(v));
      return Status::Ok();
    }
    case ValueType::kArray: {
      std::vector<MetaValue> v;
      v.reserve(std::min<uint64_t>(n, kReserveCap));
      for (uint64_t i = 0; i < n; ++i)
        QWL_RETURN_IF_ERROR(read_array(depth + 1, field, &v.emplace_back()));
      *out = MetaValue::nested_array(std::move(v));
      return Status::Ok();
    }
    default:
      break;
  }
  // Fixed-size elements: one read of the whole array, then decoding from the buffer.
  std::vector<uint8_t> bytes(n * min_size);
  QWL_RETURN_IF_ERROR(src_->read(bytes.data(), bytes.size()));
  if (elem == ValueType::kFloat32 || elem == ValueType::kFloat64) {
    std::vector<double> v(n);
    for (uint64_t i = 0; i < n; ++i) v[i] = decode_float(elem, &bytes[i * min_size]);
    *out = MetaValue::float_array(elem, std::move(v));
    return Status::Ok();
  }
  std::vector<int64_t> v(n);
  for (uint64_t i = 0; i < n; ++i) {
    v[i] = decode_integer(elem, &bytes[i * min_size]);
    if (elem == ValueType::kBool && v[i] > 1)
      return corrupt(field, fmt::format("bool element [{}] = {} is neither 0 nor 1", i, v[i]));
  }
  *out = MetaValue::integer_array(elem, std::move(v));
  return Status::Ok();
}

Status Parser::parse_metadata(GgufHeader* h) {
  char magic[4];
  QWL_RETURN_IF_ERROR(read_pod(&magic, "header", "magic"));
  if (std::memcmp(magic, kGgufMagic, 4) != 0) {
    std::string shown;
    for (char c : magic) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    return corrupt("header",
                   fmt::format("bad magic '{}', expected 'GGUF': not a GGUF file", shown));
  }
  QWL_RETURN_IF_ERROR(read_pod(&h->version, "header", "version"));
  if (h->version == 0) return corrupt("header", "version 0 is not a GGUF version");
  // A file written on a big-endian machine reads as 0x03000000 here.
  if ((h->version & 0xffff) == 0)
    return unsupported("header",
                       fmt::format("version 0x{:08x} looks byte-swapped: big-endian GGUF files "
                                   "are not supported",
                                   h->version));
  if (h->version < kGgufMinVersion || h->version > kGgufMaxVersion)
    return unsupported("header", fmt::format("GGUF version {} is not supported (only {} to {})",
                                             h->version, kGgufMinVersion, kGgufMaxVersion));
  QWL_RETURN_IF_ERROR(read_pod(&n_tensors_, "header", "tensor count"));
  QWL_RETURN_IF_ERROR(read_pod(&n_kv_, "header", "metadata count"));
  if (n_kv_ > src_->remaining() / kMinKvBytes)
    return corrupt("header", fmt::format("metadata count {} cannot fit in the {} bytes left", n_kv_,
                                         src_->remaining()));
  if (n_tensors_ > src_->remaining() / kMinTensorInfoBytes)
    return corrupt("header", fmt::format("tensor count {} cannot fit in the {} bytes left",
                                         n_tensors_, src_->remaining()));

  for (uint64_t i = 0; i < n_kv_; ++i) {
    std::string key;
    const std::string entry = fmt::format("metadata entry #{}", i);
    QWL_RETURN_IF_ERROR(read_string(&key, entry, "key"));
    if (key.empty()) return corrupt(entry, "empty key");
    const std::string field = fmt::format("metadata key '{}'", key);
    if (h->metadata.contains(key)) return corrupt(field, "duplicate key");
    ValueType type;
    QWL_RETURN_IF_ERROR(read_type(field, "value type", &type));
    MetaValue value;
    QWL_RETURN_IF_ERROR(read_value(type, 0, field, &value));
    h->metadata.set(std::move(key), std::move(value));
  }

  h->alignment = kGgufDefaultAlignment;
  if (const MetaValue* a = h->metadata.find(kGgufAlignmentKey)) {
    const std::string field = fmt::format("metadata key '{}'", kGgufAlignmentKey);
    if (a->type() != ValueType::kUint32)
      return corrupt(field, fmt::format("is {}, expected uint32", value_type_name(a->type())));
    const auto value = static_cast<uint32_t>(*a->as_int());
    if (!std::has_single_bit(value))
      return corrupt(field, fmt::format("alignment {} is not a power of two", value));
    h->alignment = value;
  }
  return Status::Ok();
}

Status Parser::parse_tensor_infos(GgufHeader* h) {
  if (n_tensors_ > src_->remaining() / kMinTensorInfoBytes)
    return corrupt("header", fmt::format("tensor count {} cannot fit in the {} bytes left after "
                                         "the metadata",
                                         n_tensors_, src_->remaining()));
  h->tensors.reserve(std::min<uint64_t>(n_tensors_, kReserveCap));
  std::unordered_set<std::string> names;
  for (uint64_t i = 0; i < n_tensors_; ++i) {
    GgufTensorInfo& t = h->tensors.emplace_back();
    QWL_RETURN_IF_ERROR(read_string(&t.name, fmt::format("tensor #{}", i), "name"));
    const std::string field = fmt::format("tensor '{}'", t.name);
    if (t.name.empty()) return corrupt(fmt::format("tensor #{}", i), "empty name");
    if (t.name.size() > kGgufMaxNameBytes)
      return corrupt(field, fmt::format("name is {} bytes long, the limit is {}", t.name.size(),
                                        kGgufMaxNameBytes));
    if (!names.insert(t.name).second) return corrupt(field, "duplicate tensor name");

    uint32_t n_dims = 0;
    QWL_RETURN_IF_ERROR(read_pod(&n_dims, field, "n_dims"));
    if (n_dims == 0) return corrupt(field, "has 0 dimensions");
    if (n_dims > kGgufMaxDims)
      return corrupt(
          field, fmt::format("has {} dimensions, at most {} are allowed", n_dims, kGgufMaxDims));
    t.n_dims = static_cast<int>(n_dims);
    int64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t raw = 0;
      QWL_RETURN_IF_ERROR(read_pod(&raw, field, "dimension"));
      if (raw == 0) return corrupt(field, fmt::format("dimension ne[{}] is 0", d));
      if (raw > static_cast<uint64_t>(INT64_MAX))
        return corrupt(
            field, fmt::format("dimension ne[{}] is negative ({})", d, static_cast<int64_t>(raw)));
      t.ne[d] = static_cast<int64_t>(raw);
      if (__builtin_mul_overflow(n_elements, t.ne[d], &n_elements))
        return corrupt(field, fmt::format("element count of shape [{}] overflows int64",
                                          fmt::join(t.ne, t.ne + n_dims, ", ")));
    }

    uint32_t raw_type = 0;
    QWL_RETURN_IF_ERROR(read_pod(&raw_type, field, "type"));
    const std::optional<DTypeTraits> tr = dtype_traits(raw_type);
    if (!tr) return unsupported(field, fmt::format("unknown tensor type {}", raw_type));
    t.type = static_cast<DType>(raw_type);
    // Rows are whole blocks; a row that is not cannot be addressed (and ggml refuses it too).
    if (t.ne[0] % tr->block_size != 0)
      return corrupt(field, fmt::format("ne[0] = {} is not a multiple of the block size {} of {}",
                                        t.ne[0], tr->block_size, tr->name));
    const uint64_t row_bytes = static_cast<uint64_t>(t.ne[0] / tr->block_size) * tr->type_size;
    const uint64_t n_rows = static_cast<uint64_t>(n_elements / t.ne[0]);
    if (__builtin_mul_overflow(row_bytes, n_rows, &t.n_bytes))
      return corrupt(field, "byte size overflows uint64");
    QWL_RETURN_IF_ERROR(read_pod(&t.offset, field, "offset"));
  }
  return Status::Ok();
}

Status Parser::check_layout(GgufHeader* h) {
  const uint64_t infos_end = src_->pos();
  const uint64_t align = h->alignment;
  // With no tensors there is no data section and writers may omit the padding.
  uint64_t start = infos_end;
  if (!h->tensors.empty()) {
    start = (infos_end + align - 1) / align * align;
    if (start > src_->size())
      return corrupt("data section",
                     fmt::format("truncated file: the data section starts at {} (aligned to {}) "
                                 "but the file has {} bytes",
                                 start, align, src_->size()));
  }
  h->data_offset = start;
  const uint64_t data_size = src_->size() - start;
  for (const GgufTensorInfo& t : h->tensors) {
    const std::string field = fmt::format("tensor '{}'", t.name);
    if (t.offset % align != 0)
      return corrupt(
          field, fmt::format("offset {} is not a multiple of the alignment {}", t.offset, align));
    if (t.offset > data_size || t.n_bytes > data_size - t.offset)
      return corrupt(field, fmt::format("offset {} + {} bytes leaves the data section of {} bytes",
                                        t.offset, t.n_bytes, data_size));
  }
  // Overlapping tensors: sort by offset and compare neighbours.
  std::vector<size_t> order(h->tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return h->tensors[a].offset < h->tensors[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const GgufTensorInfo& prev = h->tensors[order[k - 1]];
    const GgufTensorInfo& cur = h->tensors[order[k]];
    if (cur.offset < prev.offset + prev.n_bytes)
      return corrupt(fmt::format("tensor '{}'", cur.name),
                     fmt::format("offset {} overlaps tensor '{}' (bytes {} to {})", cur.offset,
                                 prev.name, prev.offset, prev.offset + prev.n_bytes));
  }
  return Status::Ok();
}

}  // namespace

bool has_gguf_magic(std::span<const uint8_t> prefix) {
  return prefix.size() >= 4 && std::memcmp(prefix.data(), kGgufMagic, 4) == 0;
}

Result<GgufHeader> parse_gguf(std::span<const uint8_t> file, std::string_view name) {
  MemorySource src(file);
  Parser parser(&src, name);
  GgufHeader h;
  QWL_RETURN_IF_ERROR(parser.parse_metadata(&h));
  QWL_RETURN_IF_ERROR(parser.parse_tensor_infos(&h));
  QWL_RETURN_IF_ERROR(parser.check_layout(&h));
  return h;
}

Result<GgufHeader> read_gguf_metadata(const std::string& path) {
  FileSource src;
  QWL_RETURN_IF_ERROR(src.open(path));
  Parser parser(&src, path);
  GgufHeader h;
  QWL_RETURN_IF_ERROR(parser.parse_metadata(&h));
  return h;
}

}  // namespace qwl

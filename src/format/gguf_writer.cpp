// GGUF v3 encoding. The header (metadata and tensor infos) is built in memory, since it is small
// next to the data (a few MB for a 150k-token vocabulary); tensor bytes are streamed to the file
// one tensor at a time, straight from the caller's memory or from one reused fill buffer.
#include "format/gguf_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian; the writer copies numbers without swapping");

namespace qwl {
namespace {

template <typename T>
void put(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof v);
  out->append(b, sizeof v);
}

void put_string(std::string* out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out->append(s);
}

// Writes one integer of type t, refusing values its declared width cannot hold.
Status put_integer(std::string* out, ValueType t, int64_t v, std::string_view key) {
  auto fits = [&](int64_t lo, int64_t hi) { return v >= lo && v <= hi; };
  bool ok = true;
  switch (t) {
    case ValueType::kUint8:
      ok = fits(0, UINT8_MAX);
      put<uint8_t>(out, static_cast<uint8_t>(v));
      break;
    case ValueType::kInt8:
      ok = fits(INT8_MIN, INT8_MAX);
      put<int8_t>(out, static_cast<int8_t>(v));
      break;
    case ValueType::kBool:
      ok = fits(0, 1);
      put<uint8_t>(out, static_cast<uint8_t>(v));
      break;
    case ValueType::kUint16:
      ok = fits(0, UINT16_MAX);
      put<uint16_t>(out, static_cast<uint16_t>(v));
      break;
    case ValueType::kInt16:
      ok = fits(INT16_MIN, INT16_MAX);
      put<int16_t>(out, static_cast<int16_t>(v));
      break;
    case ValueType::kUint32:
      ok = fits(0, UINT32_MAX);
      put<uint32_t>(out, static_cast<uint32_t>(v));
      break;
    case ValueType::kInt32:
      ok = fits(INT32_MIN, INT32_MAX);
      put<int32_t>(out, static_cast<int32_t>(v));
      break;
    case ValueType::kUint64:  // kept bit-cast in MetaValue: every pattern is a valid uint64
    case ValueType::kInt64:
      put<int64_t>(out, v);
      break;
    default:
      QWL_CHECK(false, "put_integer of {}", value_type_name(t));
  }
  if (!ok)
    return InvalidArgumentError("metadata key '{}': value {} does not fit {}", key, v,
                                value_type_name(t));
  return Status::Ok();
}

void put_float(std::string* out, ValueType t, double v) {
  if (t == ValueType::kFloat32)
    put<float>(out, static_cast<float>(v));
  else
    put<double>(out, v);
}

bool is_float_type(ValueType t) {
  return t == ValueType::kFloat32 || t == ValueType::kFloat64;
}

// An array's payload: element type, count, elements. `depth` counts levels as the reader does.
Status put_array(std::string* out, const MetaValue& v, std::string_view key, int depth) {
  if (depth > kGgufMaxArrayDepth)
    return InvalidArgumentError("metadata key '{}': arrays nested deeper than {} levels", key,
                                kGgufMaxArrayDepth);
  const ValueType elem = v.elem_type();
  put<uint32_t>(out, static_cast<uint32_t>(elem));
  put<uint64_t>(out, v.array_size());
  if (elem == ValueType::kString) {
    for (const std::string& s : *v.as_string_array()) put_string(out, s);
  } else if (elem == ValueType::kArray) {
    for (const MetaValue& item : *v.as_nested_array()) {
      if (item.type() != ValueType::kArray)
        return InvalidArgumentError("metadata key '{}': an array of arrays holds a {}", key,
                                    value_type_name(item.type()));
      QWL_RETURN_IF_ERROR(put_array(out, item, key, depth + 1));
    }
  } else if (is_float_type(elem)) {
    for (double f : *v.as_float_array()) put_float(out, elem, f);
  } else {
    for (int64_t i : *v.as_int_array()) QWL_RETURN_IF_ERROR(put_integer(out, elem, i, key));
  }
  return Status::Ok();
}

Status put_value(std::string* out, const MetaValue& v, std::string_view key) {
  switch (v.type()) {
    case ValueType::kString:
      put_string(out, *v.as_string());
      return Status::Ok();
    case ValueType::kArray:
      return put_array(out, v, key, 1);
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      put_float(out, v.type(), *v.as_float());
      return Status::Ok();
    default:
      return put_integer(out, v.type(), v.int_bits(), key);
  }
}

uint64_t align_up(uint64_t n, uint64_t align) {
  return (n + align - 1) / align * align;
}

Status errno_error(std::string_view what, const std::string& path, int err) {
  return IoErrorError("{}: {}: {}", path, what, std::strerror(err));
}

// Writes all of `bytes` to fd, across partial writes and interrupts.
Status write_all(int fd, const uint8_t* bytes, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, bytes, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path, errno);
    }
    bytes += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status write_zeros(int fd, size_t n, const std::string& path) {
  static const uint8_t kZeros[256] = {};
  while (n > 0) {
    const size_t k = std::min(n, sizeof kZeros);
    QWL_RETURN_IF_ERROR(write_all(fd, kZeros, k, path));
    n -= k;
  }
  return Status::Ok();
}

// Makes a rename durable: the directory entry lives in the parent directory's data.
void sync_parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void GgufWriter::set_alignment(uint32_t alignment) {
  metadata_.set(kGgufAlignmentKey, MetaValue::uint32(alignment));
}

Status GgufWriter::check_tensor(std::string name, DType type, std::span<const int64_t> ne,
                                Pending* pending) const {
  if (name.empty()) return InvalidArgumentError("GGUF writer: empty tensor name");
  if (name.size() > kGgufMaxNameBytes)
    return InvalidArgumentError("GGUF writer: tensor '{}': name is {} bytes, the limit is {}", name,
                                name.size(), kGgufMaxNameBytes);
  if (names_.count(name) != 0)
    return InvalidArgumentError("GGUF writer: tensor '{}': duplicate tensor name", name);
  if (ne.empty() || ne.size() > static_cast<size_t>(kGgufMaxDims))
    return InvalidArgumentError("GGUF writer: tensor '{}': {} dimensions, expected 1 to {}", name,
                                ne.size(), kGgufMaxDims);
  const std::optional<DTypeTraits> tr = dtype_traits(static_cast<uint32_t>(type));
  if (!tr)
    return InvalidArgumentError("GGUF writer: tensor '{}': invalid type {}", name,
                                static_cast<uint32_t>(type));
  GgufTensorInfo& info = pending->info;
  info.type = type;
  info.n_dims = static_cast<int>(ne.size());
  int64_t n_elements = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] < 1)
      return InvalidArgumentError("GGUF writer: tensor '{}': ne[{}] = {} is not positive", name, d,
                                  ne[d]);
    if (__builtin_mul_overflow(n_elements, ne[d], &n_elements))
      return InvalidArgumentError("GGUF writer: tensor '{}': element count overflows", name);
    info.ne[d] = ne[d];
  }
  if (ne[0] % tr->block_size != 0)
    return InvalidArgumentError(
        "GGUF writer: tensor '{}': ne[0] = {} is not a multiple of the block size {} of {}", name,
        ne[0], tr->block_size, tr->name);
  const uint64_t row_bytes = static_cast<uint64_t>(ne[0] / tr->block_size) * tr->type_size;
  if (__builtin_mul_overflow(row_bytes, static_cast<uint64_t>(n_elements / ne[0]), &info.n_bytes))
    return InvalidArgumentError("GGUF writer: tensor '{}': byte size overflows", name);
  info.name = std::move(name);
  return Status::Ok();
}

Status GgufWriter::add_tensor(std::string name, DType type, std::vector<int64_t> ne, FillFn fill) {
  Pending p;
  QWL_RETURN_IF_ERROR(check_tensor(std::move(name), type, ne, &p));
  if (!fill) return InvalidArgumentError("GGUF writer: tensor '{}': no fill function", p.info.name);
  p.fill = std::move(fill);
  names_.insert(p.info.name);
  tensors_.push_back(std::move(p));
  return Status::Ok();
}

Status GgufWriter::add_tensor(std::string name, DType type, std::vector<int64_t> ne,
                              std::vector<uint8_t> bytes) {
  Pending p;
  QWL_RETURN_IF_ERROR(check_tensor(std::move(name), type, ne, &p));
  if (bytes.size() != p.info.n_bytes)
    return InvalidArgumentError("GGUF writer: tensor '{}': {} bytes given, its shape needs {}",
                                p.info.name, bytes.size(), p.info.n_bytes);
  p.owned = std::move(bytes);
  names_.insert(p.info.name);
  tensors_.push_back(std::move(p));
  return Status::Ok();
}

Status GgufWriter::add_tensor(std::string name, const TensorView& view) {
  Pending p;
  if (view.n_dims < 1 || view.n_dims > kGgufMaxDims)
    return InvalidArgumentError("GGUF writer: tensor '{}': view has {} dimensions", name,
                                view.n_dims);
  QWL_RETURN_IF_ERROR(
      check_tensor(std::move(name), view.type, std::span<const int64_t>(view.ne, view.n_dims), &p));
  // Dimensions past n_dims must be 1, or the bytes would not match the written shape.
  for (int d = view.n_dims; d < 4; ++d)
    if (view.ne[d] != 1)
      return InvalidArgumentError("GGUF writer: tensor '{}': view has ne[{}] = {} past n_dims {}",
                                  p.info.name, d, view.ne[d], view.n_dims);
  if (view.data == nullptr)
    return InvalidArgumentError("GGUF writer: tensor '{}': view without data", p.info.name);
  p.view = static_cast<const uint8_t*>(view.data);
  names_.insert(p.info.name);
  tensors_.push_back(std::move(p));
  return Status::Ok();
}

Status GgufWriter::write(const std::string& path) const {
  uint64_t alignment = kGgufDefaultAlignment;
  if (const MetaValue* a = metadata_.find(kGgufAlignmentKey)) {
    if (a->type() != ValueType::kUint32 ||
        !std::has_single_bit(static_cast<uint64_t>(a->int_bits())))
      return InvalidArgumentError("{}: metadata key '{}' must be a uint32 power of two, is {} {}",
                                  path, kGgufAlignmentKey, value_type_name(a->type()),
                                  a->summary());
    alignment = static_cast<uint64_t>(a->int_bits());
  }

  std::string header;
  header.append(kGgufMagic, 4);
  put<uint32_t>(&header, kGgufWriteVersion);
  put<uint64_t>(&header, tensors_.size());
  put<uint64_t>(&header, metadata_.size());
  for (const auto& [key, value] : metadata_.entries()) {
    put_string(&header, key);
    put<uint32_t>(&header, static_cast<uint32_t>(value.type()));
    Status s = put_value(&header, value, key);
    if (!s.ok()) return s.with_context(path);
  }
  uint64_t offset = 0;
  for (const Pending& p : tensors_) {
    const GgufTensorInfo& t = p.info;
    put_string(&header, t.name);
    put<uint32_t>(&header, static_cast<uint32_t>(t.n_dims));
    for (int d = 0; d < t.n_dims; ++d) put<int64_t>(&header, t.ne[d]);
    put<uint32_t>(&header, static_cast<uint32_t>(t.type));
    put<uint64_t>(&header, offset);
    offset = align_up(offset + t.n_bytes, alignment);
  }
  header.resize(align_up(header.size(), alignment), '\0');

  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error("open", tmp, errno);
  auto fail = [&](Status s) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  Status s = write_all(fd, reinterpret_cast<const uint8_t*>(header.data()), header.size(), tmp);
  if (!s.ok()) return fail(s);

  std::vector<uint8_t> buffer;  // reused by fill callbacks; grows to the largest filled tensor
  for (const Pending& p : tensors_) {
    const GgufTensorInfo& t = p.info;
    const uint8_t* bytes = p.view;
    if (p.fill) {
      buffer.assign(t.n_bytes, 0);
      s = p.fill(std::span<uint8_t>(buffer.data(), buffer.size()));
      if (!s.ok()) return fail(s.with_context(fmt::format("{}: tensor '{}'", path, t.name)));
      bytes = buffer.data();
    } else if (bytes == nullptr) {
      bytes = p.owned.data();
    }
    s = write_all(fd, bytes, t.n_bytes, tmp);
    if (s.ok()) s = write_zeros(fd, align_up(t.n_bytes, alignment) - t.n_bytes, tmp);
    if (!s.ok()) return fail(s);
  }
  if (::fsync(fd) != 0) return fail(errno_error("fsync", tmp, errno));
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return errno_error("close", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return errno_error("rename", path, err);
  }
  sync_parent_dir(path);
  return Status::Ok();
}

}  // namespace qwl

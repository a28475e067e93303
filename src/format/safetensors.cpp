// safetensors decoding, validation and encoding. The JSON header is parsed with nlohmann (inside
// json_util.h's exception boundary); all arithmetic on sizes from the file is overflow-checked,
// because a header can claim any 64-bit numbers.
#include "format/safetensors.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "format/json_util.h"

namespace qwl {
namespace {

using json_util::Json;

// Every dtype the format defines, so that a valid file with a type we do not read is told apart
// from garbage in the message.
constexpr std::string_view kKnownDtypes[] = {
    "BOOL", "U8",  "I8",  "U16",     "I16",     "U32",     "I32", "U64",     "I64",     "F16",
    "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4",  "F6_E2M3", "F6_E3M2", "C64"};

bool parse_dtype_name(std::string_view s, DType* out) {
  if (s == "F32")
    *out = DType::kF32;
  else if (s == "F16")
    *out = DType::kF16;
  else if (s == "BF16")
    *out = DType::kBF16;
  else
    return false;
  return true;
}

// A JSON value that must be a non-negative integer.
bool as_u64(const Json& j, uint64_t* out) {
  if (!j.is_number_unsigned()) return false;
  *out = j.get<uint64_t>();
  return true;
}

Status check_tensor_entry(const std::string& key, const Json& entry, std::string_view name,
                          SafetensorsTensor* t) {
  auto bad = [&](const std::string& what) {
    return CorruptError("{}: tensor '{}': {}", name, key, what);
  };
  if (!entry.is_object())
    return bad(fmt::format("entry is {}, expected an object", json_util::type_phrase(entry)));
  t->name = key;

  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end()) return bad("missing \"dtype\"");
  if (!dtype_it->is_string()) return bad("\"dtype\" is not a string");
  const std::string dtype = dtype_it->get<std::string>();
  if (!parse_dtype_name(dtype, &t->type)) {
    const bool known = std::find(std::begin(kKnownDtypes), std::end(kKnownDtypes), dtype) !=
                       std::end(kKnownDtypes);
    if (known)
      return UnsupportedError("{}: tensor '{}': dtype {} is not supported (F32, F16 and BF16 are)",
                              name, key, dtype);
    return bad(fmt::format("unknown dtype \"{}\"", dtype));
  }

  auto shape_it = entry.find("shape");
  if (shape_it == entry.end()) return bad("missing \"shape\"");
  if (!shape_it->is_array()) return bad("\"shape\" is not an array");
  if (shape_it->size() > 4)
    return UnsupportedError("{}: tensor '{}': {} dimensions, at most 4 are supported", name, key,
                            shape_it->size());
  uint64_t n_elements = 1;
  for (const Json& d : *shape_it) {
    uint64_t v = 0;
    if (!as_u64(d, &v) || v > static_cast<uint64_t>(INT64_MAX))
      return bad(fmt::format("shape entry {} is not a non-negative integer", d.dump()));
    if (v == 0)
      return UnsupportedError("{}: tensor '{}': empty tensor (a dimension is 0)", name, key);
    if (__builtin_mul_overflow(n_elements, v, &n_elements)) return bad("element count overflows");
    t->shape.push_back(static_cast<int64_t>(v));
  }

  auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end()) return bad("missing \"data_offsets\"");
  if (!offsets_it->is_array() || offsets_it->size() != 2 || !as_u64((*offsets_it)[0], &t->begin) ||
      !as_u64((*offsets_it)[1], &t->end))
    return bad(
        fmt::format("\"data_offsets\" {} is not two non-negative integers", offsets_it->dump()));
  if (t->end < t->begin)
    return bad(fmt::format("data_offsets [{}, {}] end before they begin", t->begin, t->end));
  uint64_t n_bytes = 0;
  if (__builtin_mul_overflow(n_elements, type_size(t->type), &n_bytes))
    return bad("byte size overflows");
  if (n_bytes != t->end - t->begin)
    return bad(fmt::format("data_offsets [{}, {}] hold {} bytes, but {} x {} needs {}", t->begin,
                           t->end, t->end - t->begin, dtype, shape_it->dump(), n_bytes));
  return Status::Ok();
}

}  // namespace

std::string_view safetensors_dtype_name(DType t) {
  switch (t) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
    default:
      return "";
  }
}

Result<SafetensorsHeader> parse_safetensors(std::span<const uint8_t> file, std::string_view name) {
  if (file.size() < 8)
    return CorruptError("{}: header length: truncated file: {} bytes, the length alone needs 8",
                        name, file.size());
  uint64_t header_len = 0;
  std::memcpy(&header_len, file.data(), 8);  // little-endian, as every machine we build for
  if (header_len > kSafetensorsMaxHeaderBytes)
    return CorruptError("{}: header length: {} bytes exceeds the format's limit of {}", name,
                        header_len, kSafetensorsMaxHeaderBytes);
  if (header_len > file.size() - 8)
    return CorruptError("{}: header length: {} runs past the end of the file ({} bytes)", name,
                        header_len, file.size());
  const std::string_view text(reinterpret_cast<const char*>(file.data() + 8), header_len);
  if (text.empty() || text[0] != '{')
    return CorruptError("{}: header: does not start with '{{'", name);
  QWL_ASSIGN_OR_RETURN(Json j, json_util::parse_strict(text, name, "header"));
  if (!j.is_object())
    return CorruptError("{}: header: is {}, expected an object", name, json_util::type_phrase(j));

  SafetensorsHeader h;
  h.data_offset = 8 + header_len;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object())
        return CorruptError("{}: __metadata__: is {}, expected an object", name,
                            json_util::type_phrase(*it));
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          return CorruptError("{}: __metadata__: value of \"{}\" is {}, expected a string", name,
                              m.key(), json_util::type_phrase(*m));
        h.metadata.emplace_back(m.key(), m->get<std::string>());
      }
      continue;
    }
    SafetensorsTensor t;
    QWL_RETURN_IF_ERROR(check_tensor_entry(it.key(), *it, name, &t));
    h.tensors.push_back(std::move(t));
  }

  // The ranges must tile the data section exactly: sorted, from 0, no gap, no overlap, no tail.
  std::sort(h.tensors.begin(), h.tensors.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  const uint64_t data_size = file.size() - h.data_offset;
  uint64_t expected = 0;
  for (const SafetensorsTensor& t : h.tensors) {
    if (t.begin != expected)
      return CorruptError("{}: tensor '{}': data_offsets start at {}, expected {} ({})", name,
                          t.name, t.begin, expected,
                          t.begin < expected ? "overlaps the previous tensor"
                                             : "leaves a gap after the previous tensor");
    if (t.end > data_size)
      return CorruptError(
          "{}: tensor '{}': data_offsets end at {}, past the data section of {} "
          "bytes",
          name, t.name, t.end, data_size);
    expected = t.end;
  }
  if (expected != data_size)
    return CorruptError("{}: data section: {} trailing bytes after the last tensor", name,
                        data_size - expected);
  return h;
}

TensorView safetensors_view(const SafetensorsTensor& t, const uint8_t* data) {
  TensorView v;
  v.type = t.type;
  v.n_dims = std::max<int>(1, static_cast<int>(t.shape.size()));
  const size_t rank = t.shape.size();
  for (size_t d = 0; d < rank; ++d) v.ne[d] = t.shape[rank - 1 - d];
  v.data = data + t.begin;
  return v;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  QWL_ASSIGN_OR_RETURN(f.file_, MappedFile::open(path));
  QWL_ASSIGN_OR_RETURN(f.header_, parse_safetensors(f.file_.bytes(), path));
  return f;
}

Result<SafetensorsIndex> parse_safetensors_index(std::string_view json_text,
                                                 std::string_view name) {
  QWL_ASSIGN_OR_RETURN(Json j, json_util::parse_strict(json_text, name, "index"));
  if (!j.is_object())
    return CorruptError("{}: index: is {}, expected an object", name, json_util::type_phrase(j));
  auto map_it = j.find("weight_map");
  if (map_it == j.end()) return CorruptError("{}: weight_map: missing", name);
  if (!map_it->is_object())
    return CorruptError("{}: weight_map: is {}, expected an object", name,
                        json_util::type_phrase(*map_it));
  std::map<std::string, size_t> shard_ids;  // sorted, so shards come out in file-name order
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto it = map_it->begin(); it != map_it->end(); ++it) {
    if (!it->is_string())
      return CorruptError("{}: weight_map: tensor '{}': shard is {}, expected a file name", name,
                          it.key(), json_util::type_phrase(*it));
    std::string shard = it->get<std::string>();
    if (shard.empty() || shard == "." || shard == ".." || shard.find('/') != std::string::npos ||
        shard.find('\0') != std::string::npos)
      return CorruptError(
          "{}: weight_map: tensor '{}': shard \"{}\" is not a file name in the "
          "model's folder",
          name, it.key(), shard);
    shard_ids.emplace(shard, 0);
    entries.emplace_back(it.key(), std::move(shard));
  }
  SafetensorsIndex index;
  for (auto& [shard, id] : shard_ids) {
    id = index.shards.size();
    index.shards.push_back(shard);
  }
  for (auto& [tensor, shard] : entries) index.weight_map.emplace_back(tensor, shard_ids[shard]);
  return index;
}

Result<std::string> encode_safetensors(
    std::span<const SafetensorsInput> tensors,
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  uint64_t offset = 0;
  for (const SafetensorsInput& t : tensors) {
    const std::string_view dtype = safetensors_dtype_name(t.type);
    if (dtype.empty())
      return InvalidArgumentError(
          "safetensors writer: tensor '{}': type {} is not F32, F16 or BF16", t.name,
          dtype_name(t.type));
    if (t.name.empty() || t.name == "__metadata__" || header.contains(t.name))
      return InvalidArgumentError(
          "safetensors writer: tensor '{}': empty, reserved or duplicate "
          "name",
          t.name);
    uint64_t n = type_size(t.type);
    for (int64_t d : t.shape) {
      if (d < 1) return InvalidArgumentError("safetensors writer: tensor '{}': bad shape", t.name);
      n *= static_cast<uint64_t>(d);
    }
    if (n != t.bytes.size())
      return InvalidArgumentError("safetensors writer: tensor '{}': {} bytes given, shape needs {}",
                                  t.name, t.bytes.size(), n);
    header[t.name] = {{"dtype", dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const std::exception& e) {
    return InvalidArgumentError("safetensors writer: {}", e.what());
  }
  text.resize((text.size() + 8 + 7) / 8 * 8 - 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  const uint64_t len = text.size();
  out.append(reinterpret_cast<const char*>(&len), 8);
  out += text;
  for (const SafetensorsInput& t : tensors)
    out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  return out;
}

}  // namespace qwl

// ModelFile: dispatch on what the path is (a directory is a Hugging Face folder, a file must be
// GGUF), then one list of GGUF-named views and one metadata for both.
#include "format/model_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "format/gguf_reader.h"
#include "format/hf_folder.h"

namespace qwl {
namespace {

enum class PathKind { kMissing, kFile, kDirectory, kOther };

PathKind path_kind(const std::string& path, int* err) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *err = errno;
    return PathKind::kMissing;
  }
  if (S_ISDIR(st.st_mode)) return PathKind::kDirectory;
  if (S_ISREG(st.st_mode)) return PathKind::kFile;
  return PathKind::kOther;
}

Status kind_error(const std::string& path, PathKind kind, int err) {
  if (kind == PathKind::kMissing) {
    if (err == ENOENT) return NotFoundError("{}: no such file or directory", path);
    return IoErrorError("{}: stat: {}", path, std::strerror(err));
  }
  return InvalidArgumentError("{}: not a regular file or a directory", path);
}

// The first four bytes of a file, for telling GGUF from JSON without mapping it.
Result<bool> starts_with_gguf_magic(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoErrorError("{}: open: {}", path, std::strerror(errno));
  uint8_t magic[4] = {};
  ssize_t n = ::read(fd, magic, sizeof magic);
  ::close(fd);
  if (n < 0) return IoErrorError("{}: read: {}", path, std::strerror(errno));
  return has_gguf_magic(std::span<const uint8_t>(magic, static_cast<size_t>(n)));
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<ModelFile> ModelFile::open(const std::string& path) {
  int err = 0;
  const PathKind kind = path_kind(path, &err);
  ModelFile m;
  m.path_ = path;
  if (kind == PathKind::kDirectory) {
    QWL_ASSIGN_OR_RETURN(HfFolder folder, open_hf_folder(path));
    m.metadata_ = std::move(folder.metadata);
    m.tensors_ = std::move(folder.tensors);
    m.shards_ = std::move(folder.shards);
  } else if (kind == PathKind::kFile) {
    if (path.ends_with(".safetensors"))
      return InvalidArgumentError(
          "{}: a lone safetensors file; open the Hugging Face folder that "
          "holds it (with config.json) instead",
          path);
    QWL_ASSIGN_OR_RETURN(m.gguf_, MappedFile::open(path));
    QWL_ASSIGN_OR_RETURN(GgufHeader h, parse_gguf(m.gguf_.bytes(), path));
    m.gguf_version_ = h.version;
    m.metadata_ = std::move(h.metadata);
    const uint8_t* data = m.gguf_.data() + h.data_offset;
    m.tensors_.reserve(h.tensors.size());
    for (GgufTensorInfo& t : h.tensors) {
      TensorView v;
      v.type = t.type;
      v.n_dims = t.n_dims;
      for (int d = 0; d < 4; ++d) v.ne[d] = t.ne[d];
      v.data = data + t.offset;
      m.tensors_.push_back(TensorEntry{std::move(t.name), v});
    }
  } else {
    return kind_error(path, kind, err);
  }
  QWL_RETURN_IF_ERROR(m.index_tensors());
  return m;
}

Status ModelFile::index_tensors() {
  by_name_.reserve(tensors_.size());
  tensor_bytes_ = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    // Readers reject duplicates already; this guards the translation of HF names.
    if (!by_name_.emplace(tensors_[i].name, i).second)
      return CorruptError("{}: tensor '{}': appears twice", path_, tensors_[i].name);
    tensor_bytes_ += tensors_[i].view.n_bytes();
  }
  return Status::Ok();
}

const TensorEntry* ModelFile::find_tensor(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

Result<Metadata> load_tokenizer_metadata(const std::string& path) {
  int err = 0;
  const PathKind kind = path_kind(path, &err);
  if (kind == PathKind::kDirectory) {
    const std::string tokenizer = path + (path.ends_with("/") ? "" : "/") + "tokenizer.json";
    if (path_kind(tokenizer, &err) != PathKind::kFile)
      return NotFoundError("{}: no tokenizer.json in the folder", path);
    return load_hf_tokenizer_metadata(tokenizer, path);
  }
  if (kind != PathKind::kFile) return kind_error(path, kind, err);
  QWL_ASSIGN_OR_RETURN(bool is_gguf, starts_with_gguf_magic(path));
  if (is_gguf) {
    QWL_ASSIGN_OR_RETURN(GgufHeader h, read_gguf_metadata(path));
    return std::move(h.metadata);
  }
  return load_hf_tokenizer_metadata(path, parent_dir(path));
}

}  // namespace qwl

// GGUF reader: validates and decodes the header of a GGUF file (v2 or v3): metadata, tensor
// infos, alignment and where the data section starts. It never copies tensor data; model_file.h
// maps the file and points tensor views into the mapping.
//
// Nothing in the file is trusted: every count and length is checked against the bytes that are
// left before anything is allocated, so a hostile count of 2^60 fails at once. Errors name the
// file (the `name` argument) and the field: "m.gguf: tensor 'blk.0.attn_q.weight': offset 4096
// is not a multiple of the alignment 32". Codes: Corrupt for bytes that break the format
// (truncation, bad magic, counts past the end, bad shapes or offsets, duplicates), Unsupported
// for well-formed things we do not read (version 1 or > 3, big-endian files, unknown tensor
// types), IoError from the operating system.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "format/gguf.h"

namespace qwl {

// Parses the whole image of a GGUF file (typically a MappedFile's bytes): header, metadata,
// tensor infos, and checks that every tensor lies, aligned and without overlap, inside the data
// section. `name` (the path) prefixes every error message.
Result<GgufHeader> parse_gguf(std::span<const uint8_t> file, std::string_view name);

// Reads only the magic, version and metadata of the GGUF file at `path` with buffered reads;
// the tensor infos and the data are neither read nor mapped (`tensors` is empty and
// `data_offset` is 0). For callers that need the tokenizer or the config only.
Result<GgufHeader> read_gguf_metadata(const std::string& path);

// True when `prefix` (the first bytes of a file) starts with the GGUF magic.
bool has_gguf_magic(std::span<const uint8_t> prefix);

}  // namespace qwl

// Internal: the bounds-checked GGUF parser behind File::open / File::parse.
//
// Thread contract: a Parser is a short-lived, single-threaded object; run()
// fills one File that nobody else sees yet.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "gguf/gguf.h"

namespace r1::gguf {

// Arrays nested deeper than this are rejected (bounds recursion).
inline constexpr int kMaxArrayDepth = 8;
inline constexpr uint32_t kMaxDims = 4;
// Cap on array elements in all metadata together. A parsed element takes
// sizeof(Value) (~88 bytes) however small its encoding, so this bounds memory
// (~700 MiB) for hostile files; real vocabularies need ~1M (tokens, scores,
// types, merges).
inline constexpr uint64_t kMaxArrayElements = uint64_t{1} << 23;

class Parser {
 public:
  // Parses file.bytes_ into file; file.path_ names the file in errors.
  static Status run(File& file);

 private:
  explicit Parser(File& f) : f_(f), bytes_(f.bytes_) {}

  Status parse();
  Status header(uint64_t& n_tensors, uint64_t& n_kv);
  Status key_values(uint64_t n_kv);
  Status alignment();
  Status tensor_info(uint64_t index);
  Status tensor_dims(TensorInfo& t);
  Status tensor_size(TensorInfo& t);
  Status place_tensors();
  Status check_overlaps();
  Status value(ValueType t, Value& out, int depth, const std::string& key);
  Status array(Value& out, int depth, const std::string& key);
  Status scalar_elems(Value& out, const std::string& key);

  // `what` and `subject` (a key or tensor name) only make the error message.
  Status need(uint64_t n, std::string_view what, std::string_view subject = {});
  Status read_u32(uint32_t& v, std::string_view what, std::string_view subject = {});
  Status read_u64(uint64_t& v, std::string_view what, std::string_view subject = {});
  Status read_string(std::string_view& s, std::string_view what, std::string_view subject = {});
  Error error(ErrorCode code, const std::string& message) const;
  uint64_t remaining() const { return bytes_.size() - pos_; }

  File& f_;
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
  uint64_t n_array_elements_ = 0;
};

}  // namespace r1::gguf

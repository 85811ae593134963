// GGUF v3 reader (mmap) and writer.
//
// Byte layout (all integers little-endian):
//
//   header      u32 magic "GGUF" (0x46554747), u32 version (2 or 3),
//               u64 n_tensors, u64 n_kv
//   kv * n_kv   string key, u32 value_type, value
//   tinfo * n   string name, u32 n_dims (1..4), u64 dims[n_dims] (dims[0] is
//               the contiguous, innermost length), u32 ggml_type,
//               u64 offset (relative to the data section, multiple of the
//               alignment)
//   padding     to `general.alignment` (u32 kv, default 32)
//   data        tensor bytes; each tensor starts at data + offset
//
//   string      u64 length, bytes (not NUL-terminated)
//   value       by type: u8 0, i8 1, u16 2, i16 3, u32 4, i32 5, f32 6,
//               bool 7 (one byte, 0 or 1), string 8, array 9, u64 10,
//               i64 11, f64 12
//   array       u32 elem_type, u64 count, count values of elem_type
//               (nested arrays allowed)
//
// The reader validates every count, offset and size against the file and
// returns one Error naming the problem and the file; it never reads out of
// bounds. parse() is a pure function over a byte span (the fuzz target).
//
// Thread contract: a File is immutable after open()/parse(); share it freely
// for reading. A Writer is single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tensor/dtype.h"

namespace r1::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF"
inline constexpr uint32_t kDefaultAlignment = 32;

enum class ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6,
  kBool = 7, kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

const char* value_type_name(ValueType t);

// A metadata value. Strings view the mapped file (or parsed span).
struct Value {
  ValueType type = ValueType::kU8;
  uint64_t u = 0;          // unsigned integer types
  int64_t i = 0;           // signed integer types
  double f = 0;            // f32 / f64
  bool b = false;          // bool
  std::string_view str;    // string
  // Arrays: element type and elements.
  ValueType elem_type = ValueType::kU8;
  std::vector<Value> elems;

  bool is_integer() const;
  bool is_float() const;
  // Integer value of any integer type (nullopt if not an integer or if it
  // does not fit int64).
  std::optional<int64_t> as_int() const;
  // Numeric value of any integer or float type.
  std::optional<double> as_double() const;
};

struct KeyValue {
  std::string key;
  Value value;
};

struct TensorInfo {
  std::string name;
  uint32_t type_id = 0;         // raw ggml type number
  DType type = DType::kF32;     // valid when dtype_traits(type_id) != nullptr
  std::vector<int64_t> dims;    // ggml order: dims[0] innermost
  uint64_t offset = 0;          // relative to the data section
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // into the mapping / span

  int64_t n_elements() const;
};

class File {
 public:
  // mmaps and parses the file. Errors name the file.
  static Result<std::shared_ptr<const File>> open(const std::string& path);
  // Parses bytes that outlive the File (no copy). `name` is used in errors.
  static Result<std::shared_ptr<const File>> parse(std::span<const uint8_t> bytes,
                                                   const std::string& name);

  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t file_size() const { return bytes_.size(); }
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<KeyValue>& metadata() const { return kvs_; }
  const Value* find(std::string_view key) const;

  // Typed getters; errors say which key is missing or of which wrong type.
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;  // any numeric type
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string_view> get_string(std::string_view key) const;
  Result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  Result<std::vector<float>> get_f32_array(std::string_view key) const;   // any numeric
  Result<std::vector<int32_t>> get_i32_array(std::string_view key) const;  // any integer
  std::optional<int64_t> find_int(std::string_view key) const;
  std::optional<double> find_float(std::string_view key) const;
  std::optional<std::string_view> find_string(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;

  // Asks the kernel to page in / drop the whole mapping (madvise).
  void advise_willneed() const;

 private:
  File() = default;
  friend class Parser;

  std::string path_;
  std::span<const uint8_t> bytes_;
  void* map_ = nullptr;  // non-null when we own an mmap
  size_t map_size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// Builds a GGUF v3 file. Metadata is written in insertion order; setting a
// key twice replaces its value in place.
//
// Tensors are either added with their bytes (add_tensor) or declared by
// shape alone (add_tensor_info) and produced one at a time while
// write_streaming() writes, so a multi-GB model never sits in memory.
class Writer {
 public:
  // Bytes of tensor `index` (declaration order), exactly
  // tensor_bytes(index) long. Called once per declared-only tensor, in order.
  using TensorProducer = std::function<Result<std::vector<uint8_t>>(size_t index)>;

  Writer() = default;
  // Values view owned_strings_; a copy would view the original's storage.
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  Writer(Writer&&) = default;  // std::deque keeps its elements in place
  Writer& operator=(Writer&&) = default;

  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_string_array(const std::string& key, const std::vector<std::string>& v);
  void set_f32_array(const std::string& key, const std::vector<float>& v);
  void set_i32_array(const std::string& key, const std::vector<int32_t>& v);
  // Copies a value read from another file (e.g. tokenizer.* from a vocab).
  void set_value(const std::string& key, const Value& v);
  void set_alignment(uint32_t alignment);  // also writes general.alignment

  // dims in ggml order (dims[0] innermost); bytes must be the exact size.
  void add_tensor(const std::string& name, DType type, std::vector<int64_t> dims,
                  std::vector<uint8_t> bytes);
  // Declares a tensor whose bytes write_streaming() asks the producer for;
  // its size follows from the dtype and dims.
  void add_tensor_info(const std::string& name, DType type, std::vector<int64_t> dims);

  size_t n_tensors() const { return tensors_.size(); }
  uint64_t tensor_bytes(size_t index) const;

  // Whole file in memory; every tensor must have been added with its bytes.
  std::vector<uint8_t> to_bytes() const;
  // write_streaming() without a producer: every tensor must have its bytes.
  Status write(const std::string& path) const;
  // Writes path + ".partial" (header first, then each tensor padded to the
  // alignment) and renames it to path on success. A producer error, a
  // producer result of the wrong size or an I/O error returns an error,
  // removes the .partial file and leaves path as it was.
  Status write_streaming(const std::string& path, const TensorProducer& produce) const;

 private:
  struct PendingTensor {
    std::string name;
    DType type;
    std::vector<int64_t> dims;
    uint64_t n_bytes = 0;
    bool streamed = false;  // bytes come from the producer
    std::vector<uint8_t> bytes;
  };
  void put(const std::string& key, Value v);
  uint64_t declare(const std::string& name, DType type, const std::vector<int64_t>& dims);
  void serialize_header(std::vector<uint8_t>& out) const;
  Status write_tensors(std::FILE* f, const TensorProducer& produce,
                       const std::string& path) const;
  std::string_view own(std::string_view s);  // a view into owned_strings_
  Value own_value(const Value& v);           // deep copy, strings owned

  std::vector<std::pair<std::string, Value>> kvs_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::deque<std::string> owned_strings_;  // stable storage for Value views
  std::vector<PendingTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
  uint32_t alignment_ = kDefaultAlignment;
};

}  // namespace r1::gguf

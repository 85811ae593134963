// GGUF parsing over a byte span. Every read is checked against the span, and
// every count is checked against the bytes left before anything is allocated,
// so memory use is bounded by a constant factor of the input size.
#include "gguf/parser.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <numeric>

#include "tensor/dtype.h"

namespace r1::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is read as little-endian");

namespace {

constexpr uint32_t kMaxValueType = 12;
// Smallest possible encodings, used to bound counts by the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;               // key, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // name, n_dims, dim, type, offset

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Bytes of one element in the file (strings/arrays: their minimum).
uint64_t encoded_size(ValueType t) {
  switch (t) {
    case ValueType::kU8: case ValueType::kI8: case ValueType::kBool: return 1;
    case ValueType::kU16: case ValueType::kI16: return 2;
    case ValueType::kU32: case ValueType::kI32: case ValueType::kF32: return 4;
    case ValueType::kU64: case ValueType::kI64: case ValueType::kF64: return 8;
    case ValueType::kString: return 8;
    case ValueType::kArray: return 12;
  }
  return 1;
}

bool is_scalar(ValueType t) { return t != ValueType::kString && t != ValueType::kArray; }

// Decodes one fixed-size value; false for a bool byte other than 0 or 1.
bool decode_scalar(ValueType t, const uint8_t* p, Value& v) {
  v.type = t;
  switch (t) {
    case ValueType::kU8: v.u = p[0]; break;
    case ValueType::kI8: v.i = static_cast<int8_t>(p[0]); break;
    case ValueType::kU16: v.u = load<uint16_t>(p); break;
    case ValueType::kI16: v.i = load<int16_t>(p); break;
    case ValueType::kU32: v.u = load<uint32_t>(p); break;
    case ValueType::kI32: v.i = load<int32_t>(p); break;
    case ValueType::kU64: v.u = load<uint64_t>(p); break;
    case ValueType::kI64: v.i = load<int64_t>(p); break;
    case ValueType::kF32: v.f = load<float>(p); break;
    case ValueType::kF64: v.f = load<double>(p); break;
    case ValueType::kBool:
      v.b = p[0] != 0;
      return p[0] <= 1;
    case ValueType::kString: case ValueType::kArray: break;
  }
  return true;
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

std::string quoted(std::string_view s) {
  constexpr size_t kMaxShown = 80;
  std::string out = "'";
  out.append(s.substr(0, kMaxShown));
  if (s.size() > kMaxShown) out += "...";
  return out + "'";
}

}  // namespace

Status Parser::run(File& file) {
  Parser p(file);
  try {
    return p.parse();
  } catch (const std::bad_alloc&) {  // counts are bounded, but memory may still run out
    return p.error(ErrorCode::kResourceExhausted, "out of memory while parsing");
  }
}

Error Parser::error(ErrorCode code, const std::string& message) const {
  return make_error(code, message + " (" + f_.path_ + ")");
}

Status Parser::need(uint64_t n, std::string_view what, std::string_view subject) {
  if (n <= remaining()) return {};
  std::string w(what);
  if (!subject.empty()) w += " " + quoted(subject);
  return error(ErrorCode::kCorrupt,
               "truncated: " + w + " needs " + std::to_string(n) +
                   " bytes at offset " + std::to_string(pos_) + " but the file has " +
                   std::to_string(bytes_.size()) + " bytes");
}

Status Parser::read_u32(uint32_t& v, std::string_view what, std::string_view subject) {
  R1_RETURN_IF_ERROR(need(4, what, subject));
  v = load<uint32_t>(bytes_.data() + pos_);
  pos_ += 4;
  return {};
}

Status Parser::read_u64(uint64_t& v, std::string_view what, std::string_view subject) {
  R1_RETURN_IF_ERROR(need(8, what, subject));
  v = load<uint64_t>(bytes_.data() + pos_);
  pos_ += 8;
  return {};
}

Status Parser::read_string(std::string_view& s, std::string_view what,
                           std::string_view subject) {
  uint64_t len = 0;
  R1_RETURN_IF_ERROR(read_u64(len, what, subject));
  R1_RETURN_IF_ERROR(need(len, what, subject));
  s = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
  pos_ += len;
  return {};
}

Status Parser::parse() {
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  R1_RETURN_IF_ERROR(header(n_tensors, n_kv));
  R1_RETURN_IF_ERROR(key_values(n_kv));
  R1_RETURN_IF_ERROR(alignment());
  f_.tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) R1_RETURN_IF_ERROR(tensor_info(i));
  f_.data_offset_ = align_up(pos_, f_.alignment_);
  return place_tensors();
}

Status Parser::header(uint64_t& n_tensors, uint64_t& n_kv) {
  uint32_t magic = 0;
  R1_RETURN_IF_ERROR(read_u32(magic, "magic"));
  if (magic != kMagic) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    return error(ErrorCode::kCorrupt, std::string("bad magic ") + hex + ", not a GGUF file");
  }
  uint32_t version = 0;
  R1_RETURN_IF_ERROR(read_u32(version, "version"));
  if (version != 2 && version != 3) {
    uint32_t swapped = __builtin_bswap32(version);
    std::string hint = (swapped == 2 || swapped == 3) ? " (big-endian GGUF is not supported)"
                       : version == 1                 ? " (GGUF v1 is obsolete)"
                                                      : "";
    return error(ErrorCode::kUnsupported, "GGUF version " + std::to_string(version) +
                                              " is not supported, only 2 and 3" + hint);
  }
  f_.version_ = version;
  R1_RETURN_IF_ERROR(read_u64(n_tensors, "n_tensors"));
  R1_RETURN_IF_ERROR(read_u64(n_kv, "n_kv"));
  if (n_kv > remaining() / kMinKvBytes) {
    return error(ErrorCode::kOutOfRange, "n_kv " + std::to_string(n_kv) +
                                             " is more than the file's " +
                                             std::to_string(bytes_.size()) + " bytes can hold");
  }
  // Tensor infos follow the metadata; bound by what is left after the kvs.
  if (n_tensors > (remaining() - n_kv * kMinKvBytes) / kMinTensorInfoBytes) {
    return error(ErrorCode::kOutOfRange, "n_tensors " + std::to_string(n_tensors) +
                                             " is more than the file's " +
                                             std::to_string(bytes_.size()) + " bytes can hold");
  }
  return {};
}

Status Parser::key_values(uint64_t n_kv) {
  f_.kvs_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string_view key;
    R1_RETURN_IF_ERROR(read_string(key, "key of metadata entry #" + std::to_string(i)));
    std::string k(key);
    if (f_.kv_index_.count(k)) return error(ErrorCode::kCorrupt, "duplicate key " + quoted(k));
    uint32_t type = 0;
    R1_RETURN_IF_ERROR(read_u32(type, "value type of key", k));
    if (type > kMaxValueType) {
      return error(ErrorCode::kCorrupt,
                   "key " + quoted(k) + " has unknown value type " + std::to_string(type));
    }
    Value v;
    R1_RETURN_IF_ERROR(value(static_cast<ValueType>(type), v, 0, k));
    f_.kv_index_.emplace(k, f_.kvs_.size());
    f_.kvs_.push_back(KeyValue{std::move(k), std::move(v)});
  }
  return {};
}

Status Parser::value(ValueType t, Value& out, int depth, const std::string& key) {
  out.type = t;
  if (t == ValueType::kString) return read_string(out.str, "string value of key", key);
  if (t == ValueType::kArray) return array(out, depth + 1, key);
  R1_RETURN_IF_ERROR(need(encoded_size(t), "value of key", key));
  if (!decode_scalar(t, bytes_.data() + pos_, out)) {
    return error(ErrorCode::kCorrupt, "key " + quoted(key) + " has bool byte " +
                                          std::to_string(bytes_[pos_]) + ", expected 0 or 1");
  }
  pos_ += encoded_size(t);
  return {};
}

Status Parser::array(Value& out, int depth, const std::string& key) {
  if (depth > kMaxArrayDepth) {
    return error(ErrorCode::kCorrupt, "key " + quoted(key) + " has arrays nested deeper than " +
                                          std::to_string(kMaxArrayDepth));
  }
  uint32_t elem_type = 0;
  R1_RETURN_IF_ERROR(read_u32(elem_type, "array element type of key", key));
  if (elem_type > kMaxValueType) {
    return error(ErrorCode::kCorrupt, "key " + quoted(key) + " has unknown array element type " +
                                          std::to_string(elem_type));
  }
  out.elem_type = static_cast<ValueType>(elem_type);
  uint64_t count = 0;
  R1_RETURN_IF_ERROR(read_u64(count, "array count of key", key));
  if (count > remaining() / encoded_size(out.elem_type)) {
    return error(ErrorCode::kOutOfRange,
                 "key " + quoted(key) + " array count " + std::to_string(count) + " of " +
                     value_type_name(out.elem_type) + " exceeds the " +
                     std::to_string(remaining()) + " bytes left in the file");
  }
  n_array_elements_ += count;  // no overflow: each count is below the file size
  if (n_array_elements_ > kMaxArrayElements) {
    return error(ErrorCode::kResourceExhausted,
                 "key " + quoted(key) + " brings the metadata to more than " +
                     std::to_string(kMaxArrayElements) + " array elements");
  }
  out.elems.resize(count);
  if (is_scalar(out.elem_type)) return scalar_elems(out, key);
  for (Value& e : out.elems) R1_RETURN_IF_ERROR(value(out.elem_type, e, depth, key));
  return {};
}

Status Parser::scalar_elems(Value& out, const std::string& key) {
  const uint64_t size = encoded_size(out.elem_type);
  const uint8_t* p = bytes_.data() + pos_;  // the count check covered all elements
  for (size_t i = 0; i < out.elems.size(); ++i, p += size) {
    if (!decode_scalar(out.elem_type, p, out.elems[i])) {
      return error(ErrorCode::kCorrupt, "key " + quoted(key) + " element " + std::to_string(i) +
                                            " has bool byte " + std::to_string(*p) +
                                            ", expected 0 or 1");
    }
  }
  pos_ += size * out.elems.size();
  return {};
}

Status Parser::alignment() {
  auto it = f_.kv_index_.find("general.alignment");
  if (it == f_.kv_index_.end()) return {};
  const Value& v = f_.kvs_[it->second].value;
  if (v.type != ValueType::kU32) {
    return error(ErrorCode::kCorrupt, std::string("general.alignment has type ") +
                                          value_type_name(v.type) + ", expected u32");
  }
  if (v.u == 0 || !std::has_single_bit(v.u)) {
    return error(ErrorCode::kCorrupt, "general.alignment " + std::to_string(v.u) +
                                          " is not a nonzero power of two");
  }
  f_.alignment_ = static_cast<uint32_t>(v.u);
  return {};
}

Status Parser::tensor_info(uint64_t index) {
  TensorInfo t;
  std::string_view name;
  R1_RETURN_IF_ERROR(read_string(name, "name of tensor #" + std::to_string(index)));
  t.name = std::string(name);
  if (f_.tensor_index_.count(t.name)) {
    return error(ErrorCode::kCorrupt, "duplicate tensor name " + quoted(t.name));
  }
  R1_RETURN_IF_ERROR(tensor_dims(t));
  R1_RETURN_IF_ERROR(read_u32(t.type_id, "type of tensor", t.name));
  R1_RETURN_IF_ERROR(read_u64(t.offset, "offset of tensor", t.name));
  R1_RETURN_IF_ERROR(tensor_size(t));
  if (t.offset % f_.alignment_ != 0) {
    return error(ErrorCode::kCorrupt, "tensor " + quoted(t.name) + " offset " +
                                          std::to_string(t.offset) +
                                          " is not a multiple of the alignment " +
                                          std::to_string(f_.alignment_));
  }
  f_.tensor_index_.emplace(t.name, f_.tensors_.size());
  f_.tensors_.push_back(std::move(t));
  return {};
}

Status Parser::tensor_dims(TensorInfo& t) {
  uint32_t n_dims = 0;
  R1_RETURN_IF_ERROR(read_u32(n_dims, "n_dims of tensor", t.name));
  if (n_dims < 1 || n_dims > kMaxDims) {
    return error(ErrorCode::kCorrupt, "tensor " + quoted(t.name) + " has n_dims " +
                                          std::to_string(n_dims) + ", expected 1..4");
  }
  int64_t n_elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t dim = 0;
    R1_RETURN_IF_ERROR(read_u64(dim, "dims of tensor", t.name));
    std::string which = "tensor " + quoted(t.name) + " dim[" + std::to_string(d) + "]";
    if (dim == 0) return error(ErrorCode::kCorrupt, which + " is zero");
    if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(n_elements, static_cast<int64_t>(dim), &n_elements)) {
      return error(ErrorCode::kOutOfRange, which + " = " + std::to_string(dim) +
                                               " overflows the element count");
    }
    t.dims.push_back(static_cast<int64_t>(dim));
  }
  return {};
}

Status Parser::tensor_size(TensorInfo& t) {
  const DTypeTraits* traits = dtype_traits(t.type_id);
  if (traits == nullptr) {
    return error(ErrorCode::kUnsupported, "tensor " + quoted(t.name) + " has unknown ggml type " +
                                              std::to_string(t.type_id));
  }
  t.type = traits->type;
  if (t.dims[0] % traits->block_size != 0) {
    return error(ErrorCode::kCorrupt,
                 "tensor " + quoted(t.name) + " dim[0] " + std::to_string(t.dims[0]) +
                     " is not a multiple of the " + std::string(traits->name) + " block size " +
                     std::to_string(traits->block_size));
  }
  uint64_t blocks = static_cast<uint64_t>(t.n_elements() / traits->block_size);
  if (__builtin_mul_overflow(blocks, static_cast<uint64_t>(traits->block_bytes), &t.n_bytes)) {
    return error(ErrorCode::kOutOfRange, "tensor " + quoted(t.name) + " byte size overflows");
  }
  return {};
}

Status Parser::place_tensors() {
  const uint64_t size = bytes_.size();
  if (f_.tensors_.empty()) return {};
  if (f_.data_offset_ > size) {
    return error(ErrorCode::kCorrupt, "truncated: data section at offset " +
                                          std::to_string(f_.data_offset_) +
                                          " starts past end of file (" + std::to_string(size) +
                                          " bytes)");
  }
  for (TensorInfo& t : f_.tensors_) {
    const uint64_t room = size - f_.data_offset_;
    if (t.offset > room) {
      return error(ErrorCode::kCorrupt, "tensor " + quoted(t.name) + " offset " +
                                            std::to_string(t.offset) + " (data section at " +
                                            std::to_string(f_.data_offset_) +
                                            ") starts past end of file (" +
                                            std::to_string(size) + " bytes)");
    }
    if (t.n_bytes > room - t.offset) {
      const uint64_t begin = f_.data_offset_ + t.offset;
      uint64_t end = 0;
      std::string end_text = __builtin_add_overflow(begin, t.n_bytes, &end)
                                 ? "overflow" : std::to_string(end);
      return error(ErrorCode::kCorrupt, "tensor " + quoted(t.name) + " data [" +
                                            std::to_string(begin) + ".." + end_text +
                                            ") ends past end of file (" + std::to_string(size) +
                                            " bytes)");
    }
    t.data = bytes_.data() + f_.data_offset_ + t.offset;
  }
  return check_overlaps();
}

Status Parser::check_overlaps() {
  std::vector<size_t> order(f_.tensors_.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return f_.tensors_[a].offset < f_.tensors_[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& a = f_.tensors_[order[k - 1]];
    const TensorInfo& b = f_.tensors_[order[k]];
    if (a.offset + a.n_bytes > b.offset) {
      return error(ErrorCode::kCorrupt, "tensors " + quoted(a.name) + " and " + quoted(b.name) +
                                            " overlap (offsets " + std::to_string(a.offset) +
                                            " and " + std::to_string(b.offset) + ")");
    }
  }
  return {};
}

}  // namespace r1::gguf

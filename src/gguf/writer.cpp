// Writer: GGUF v3 serialization. write()/write_streaming() write the header
// and then each tensor's bytes (stored, or produced one tensor at a time) to
// path.partial and rename it into place; padding is applied only here.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "gguf/gguf.h"

namespace r1::gguf {

namespace {

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

template <typename T>
void put_raw(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
  put_raw<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void put_value(std::vector<uint8_t>& out, const Value& v) {
  switch (v.type) {
    case ValueType::kU8: put_raw<uint8_t>(out, static_cast<uint8_t>(v.u)); break;
    case ValueType::kI8: put_raw<int8_t>(out, static_cast<int8_t>(v.i)); break;
    case ValueType::kU16: put_raw<uint16_t>(out, static_cast<uint16_t>(v.u)); break;
    case ValueType::kI16: put_raw<int16_t>(out, static_cast<int16_t>(v.i)); break;
    case ValueType::kU32: put_raw<uint32_t>(out, static_cast<uint32_t>(v.u)); break;
    case ValueType::kI32: put_raw<int32_t>(out, static_cast<int32_t>(v.i)); break;
    case ValueType::kU64: put_raw<uint64_t>(out, v.u); break;
    case ValueType::kI64: put_raw<int64_t>(out, v.i); break;
    case ValueType::kF32: put_raw<float>(out, static_cast<float>(v.f)); break;
    case ValueType::kF64: put_raw<double>(out, v.f); break;
    case ValueType::kBool: put_raw<uint8_t>(out, v.b ? 1 : 0); break;
    case ValueType::kString: put_string(out, v.str); break;
    case ValueType::kArray:
      put_raw<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
      put_raw<uint64_t>(out, v.elems.size());
      for (const Value& e : v.elems) put_value(out, e);
      break;
  }
}

void pad_to(std::vector<uint8_t>& out, uint64_t alignment) {
  out.resize(align_up(out.size(), alignment), 0);
}

Value scalar(ValueType t) {
  Value v;
  v.type = t;
  return v;
}

// A scalar of type t holding x in `field`.
template <class Field, class T>
Value scalar(ValueType t, Field Value::*field, T x) {
  Value v = scalar(t);
  v.*field = x;
  return v;
}

// An array of type-t elements, each holding its x in `field`.
template <class Field, class T>
Value array(ValueType t, Field Value::*field, const std::vector<T>& xs) {
  Value v = scalar(ValueType::kArray);
  v.elem_type = t;
  v.elems.reserve(xs.size());
  for (const T& x : xs) v.elems.push_back(scalar(t, field, x));
  return v;
}

Status io_error(const std::string& what, const std::string& path, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err) + " (" + path + ")");
}

bool write_padded(std::FILE* f, std::span<const uint8_t> bytes, uint64_t alignment) {
  static constexpr uint8_t kZeros[4096] = {};
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    return false;
  }
  uint64_t pad = align_up(bytes.size(), alignment) - bytes.size();
  while (pad > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(pad, sizeof kZeros));
    if (std::fwrite(kZeros, 1, n, f) != n) return false;
    pad -= n;
  }
  return true;
}

}  // namespace

std::string_view Writer::own(std::string_view s) {
  owned_strings_.emplace_back(s);
  return owned_strings_.back();
}

Value Writer::own_value(const Value& v) {
  CHECK(static_cast<uint32_t>(v.type) <= static_cast<uint32_t>(ValueType::kF64))
      << "bad value type " << static_cast<uint32_t>(v.type);
  Value out = v;
  if (v.type == ValueType::kString) out.str = own(v.str);
  if (v.type == ValueType::kArray) {
    for (size_t i = 0; i < v.elems.size(); ++i) {
      CHECK(v.elems[i].type == v.elem_type) << "array element " << i << " has type "
                                            << value_type_name(v.elems[i].type) << ", not "
                                            << value_type_name(v.elem_type);
      out.elems[i] = own_value(v.elems[i]);
    }
  }
  return out;
}

void Writer::put(const std::string& key, Value v) {
  if (key == "general.alignment") {
    CHECK(v.type == ValueType::kU32 && v.u != 0 && std::has_single_bit(v.u))
        << "general.alignment must be a u32 power of two";
    alignment_ = static_cast<uint32_t>(v.u);
  }
  auto it = kv_index_.find(key);
  if (it != kv_index_.end()) {
    kvs_[it->second].second = std::move(v);
    return;
  }
  kv_index_.emplace(key, kvs_.size());
  kvs_.emplace_back(key, std::move(v));
}

void Writer::set_u32(const std::string& key, uint32_t v) { put(key, scalar(ValueType::kU32, &Value::u, v)); }
void Writer::set_i32(const std::string& key, int32_t v) { put(key, scalar(ValueType::kI32, &Value::i, v)); }
void Writer::set_u64(const std::string& key, uint64_t v) { put(key, scalar(ValueType::kU64, &Value::u, v)); }
void Writer::set_f32(const std::string& key, float v) { put(key, scalar(ValueType::kF32, &Value::f, v)); }
void Writer::set_bool(const std::string& key, bool v) { put(key, scalar(ValueType::kBool, &Value::b, v)); }

void Writer::set_string(const std::string& key, const std::string& v) {
  Value x = scalar(ValueType::kString);
  x.str = own(v);
  put(key, std::move(x));
}

void Writer::set_string_array(const std::string& key, const std::vector<std::string>& v) {
  Value x = scalar(ValueType::kArray);
  x.elem_type = ValueType::kString;
  x.elems.resize(v.size(), scalar(ValueType::kString));
  for (size_t i = 0; i < v.size(); ++i) x.elems[i].str = own(v[i]);
  put(key, std::move(x));
}

void Writer::set_f32_array(const std::string& key, const std::vector<float>& v) {
  put(key, array(ValueType::kF32, &Value::f, v));
}

void Writer::set_i32_array(const std::string& key, const std::vector<int32_t>& v) {
  put(key, array(ValueType::kI32, &Value::i, v));
}

void Writer::set_value(const std::string& key, const Value& v) { put(key, own_value(v)); }

void Writer::set_alignment(uint32_t alignment) {
  CHECK(alignment != 0 && std::has_single_bit(alignment)) << "alignment " << alignment;
  set_u32("general.alignment", alignment);
}

uint64_t Writer::declare(const std::string& name, DType type, const std::vector<int64_t>& dims) {
  CHECK(!dims.empty() && dims.size() <= 4) << "tensor '" << name << "' n_dims " << dims.size();
  int64_t rows = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    CHECK(dims[d] > 0) << "tensor '" << name << "' dim[" << d << "] = " << dims[d];
    if (d > 0) rows *= dims[d];
  }
  CHECK(!tensor_index_.contains(name)) << "duplicate tensor '" << name << "'";
  return dtype_row_bytes(type, dims[0]) * static_cast<uint64_t>(rows);
}

void Writer::add_tensor(const std::string& name, DType type, std::vector<int64_t> dims,
                        std::vector<uint8_t> bytes) {
  const uint64_t n_bytes = declare(name, type, dims);
  CHECK_EQ(bytes.size(), n_bytes) << "tensor '" << name << "' byte size";
  tensor_index_.emplace(name, tensors_.size());
  tensors_.push_back(PendingTensor{name, type, std::move(dims), n_bytes, false, std::move(bytes)});
}

void Writer::add_tensor_info(const std::string& name, DType type, std::vector<int64_t> dims) {
  const uint64_t n_bytes = declare(name, type, dims);
  tensor_index_.emplace(name, tensors_.size());
  tensors_.push_back(PendingTensor{name, type, std::move(dims), n_bytes, true, {}});
}

uint64_t Writer::tensor_bytes(size_t index) const {
  CHECK_LT(index, tensors_.size());
  return tensors_[index].n_bytes;
}

void Writer::serialize_header(std::vector<uint8_t>& out) const {
  put_raw<uint32_t>(out, kMagic);
  put_raw<uint32_t>(out, 3);
  put_raw<uint64_t>(out, tensors_.size());
  put_raw<uint64_t>(out, kvs_.size());
  for (const auto& [key, value] : kvs_) {
    put_string(out, key);
    put_raw<uint32_t>(out, static_cast<uint32_t>(value.type));
    put_value(out, value);
  }
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    put_string(out, t.name);
    put_raw<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) put_raw<uint64_t>(out, static_cast<uint64_t>(d));
    put_raw<uint32_t>(out, static_cast<uint32_t>(t.type));
    put_raw<uint64_t>(out, offset);
    offset += align_up(t.n_bytes, alignment_);
  }
  pad_to(out, alignment_);
}

std::vector<uint8_t> Writer::to_bytes() const {
  std::vector<uint8_t> out;
  serialize_header(out);
  for (const PendingTensor& t : tensors_) {
    CHECK(!t.streamed) << "tensor '" << t.name << "' has no bytes; use write_streaming";
    out.insert(out.end(), t.bytes.begin(), t.bytes.end());
    pad_to(out, alignment_);
  }
  return out;
}

Status Writer::write(const std::string& path) const { return write_streaming(path, nullptr); }

// Each tensor's bytes then zeros up to the alignment. Producer results are
// freed before the next tensor is produced.
Status Writer::write_tensors(std::FILE* f, const TensorProducer& produce,
                             const std::string& path) const {
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const PendingTensor& t = tensors_[i];
    std::vector<uint8_t> produced;
    std::span<const uint8_t> bytes = t.bytes;
    if (t.streamed) {
      CHECK(produce != nullptr) << "tensor '" << t.name << "' has no bytes; use write_streaming";
      Result<std::vector<uint8_t>> r = produce(i);
      if (!r.ok()) return make_error(r.error().code, "tensor '" + t.name + "': " + r.error().message);
      produced = std::move(r).value();
      if (produced.size() != t.n_bytes) {
        return make_error(ErrorCode::kInvalidArgument,
                          "tensor '" + t.name + "': producer gave " +
                              std::to_string(produced.size()) + " bytes, expected " +
                              std::to_string(t.n_bytes) + " (" + path + ")");
      }
      bytes = produced;
    }
    if (!write_padded(f, bytes, alignment_)) return io_error("cannot write", path, errno);
  }
  return {};
}

Status Writer::write_streaming(const std::string& path, const TensorProducer& produce) const {
  std::vector<uint8_t> header;
  serialize_header(header);
  const std::string tmp = path + ".partial";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return io_error("cannot create", tmp, errno);
  Status st;
  if (std::fwrite(header.data(), 1, header.size(), f) != header.size()) {
    st = io_error("cannot write", tmp, errno);
  }
  if (st.ok()) st = write_tensors(f, produce, tmp);
  const int close_err = std::fclose(f) != 0 ? errno : 0;
  if (st.ok() && close_err != 0) st = io_error("cannot write", tmp, close_err);
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    st = io_error("cannot rename to " + path, tmp, errno);
  }
  if (!st.ok()) std::remove(tmp.c_str());
  return st;
}

}  // namespace r1::gguf

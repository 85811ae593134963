// Writer: GGUF v3 serialization. write() streams the header and then each
// tensor's bytes, so it never holds a second copy of the tensor data.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

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

void Writer::set_u32(const std::string& key, uint32_t v) {
  Value x = scalar(ValueType::kU32);
  x.u = v;
  put(key, std::move(x));
}

void Writer::set_i32(const std::string& key, int32_t v) {
  Value x = scalar(ValueType::kI32);
  x.i = v;
  put(key, std::move(x));
}

void Writer::set_u64(const std::string& key, uint64_t v) {
  Value x = scalar(ValueType::kU64);
  x.u = v;
  put(key, std::move(x));
}

void Writer::set_f32(const std::string& key, float v) {
  Value x = scalar(ValueType::kF32);
  x.f = v;
  put(key, std::move(x));
}

void Writer::set_bool(const std::string& key, bool v) {
  Value x = scalar(ValueType::kBool);
  x.b = v;
  put(key, std::move(x));
}

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
  Value x = scalar(ValueType::kArray);
  x.elem_type = ValueType::kF32;
  x.elems.resize(v.size(), scalar(ValueType::kF32));
  for (size_t i = 0; i < v.size(); ++i) x.elems[i].f = v[i];
  put(key, std::move(x));
}

void Writer::set_i32_array(const std::string& key, const std::vector<int32_t>& v) {
  Value x = scalar(ValueType::kArray);
  x.elem_type = ValueType::kI32;
  x.elems.resize(v.size(), scalar(ValueType::kI32));
  for (size_t i = 0; i < v.size(); ++i) x.elems[i].i = v[i];
  put(key, std::move(x));
}

void Writer::set_value(const std::string& key, const Value& v) { put(key, own_value(v)); }

void Writer::set_alignment(uint32_t alignment) {
  CHECK(alignment != 0 && std::has_single_bit(alignment)) << "alignment " << alignment;
  set_u32("general.alignment", alignment);
}

void Writer::add_tensor(const std::string& name, DType type, std::vector<int64_t> dims,
                        std::vector<uint8_t> bytes) {
  CHECK(!dims.empty() && dims.size() <= 4) << "tensor '" << name << "' n_dims " << dims.size();
  int64_t rows = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    CHECK(dims[d] > 0) << "tensor '" << name << "' dim[" << d << "] = " << dims[d];
    if (d > 0) rows *= dims[d];
  }
  const size_t expected = dtype_row_bytes(type, dims[0]) * static_cast<size_t>(rows);
  CHECK_EQ(bytes.size(), expected) << "tensor '" << name << "' byte size";
  CHECK(tensor_index_.emplace(name, tensors_.size()).second) << "duplicate tensor '" << name
                                                             << "'";
  tensors_.push_back(PendingTensor{name, type, std::move(dims), std::move(bytes)});
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
    offset += align_up(t.bytes.size(), alignment_);
  }
  pad_to(out, alignment_);
}

std::vector<uint8_t> Writer::to_bytes() const {
  std::vector<uint8_t> out;
  serialize_header(out);
  for (const PendingTensor& t : tensors_) {
    out.insert(out.end(), t.bytes.begin(), t.bytes.end());
    pad_to(out, alignment_);
  }
  return out;
}

Status Writer::write(const std::string& path) const {
  std::vector<uint8_t> header;
  serialize_header(header);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return make_error(ErrorCode::kIo,
                      std::string("cannot create: ") + std::strerror(errno) + " (" + path + ")");
  }
  static constexpr uint8_t kZeros[4096] = {};
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  for (const PendingTensor& t : tensors_) {
    if (!ok) break;
    ok = std::fwrite(t.bytes.data(), 1, t.bytes.size(), f) == t.bytes.size();
    size_t pad = align_up(t.bytes.size(), alignment_) - t.bytes.size();
    while (ok && pad > 0) {
      size_t n = std::min(pad, sizeof kZeros);
      ok = std::fwrite(kZeros, 1, n, f) == n;
      pad -= n;
    }
  }
  int err = ok ? 0 : errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::remove(path.c_str());
    return make_error(ErrorCode::kIo,
                      std::string("cannot write: ") + std::strerror(err) + " (" + path + ")");
  }
  return {};
}

}  // namespace r1::gguf

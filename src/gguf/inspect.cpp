// describe(): the text of `r1serve model inspect`.
#include "gguf/inspect.h"

#include <fmt/format.h>

#include <map>

#include "tensor/dtype.h"

namespace r1::gguf {

namespace {

constexpr size_t kMaxStringShown = 120;
constexpr size_t kElemsShownWhenLong = 2;

std::string escaped(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxStringShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (s.size() > kMaxStringShown) out += fmt::format("...({} bytes)", s.size());
  return out;
}

std::string scalar_text(const Value& v) {
  switch (v.type) {
    case ValueType::kU8: case ValueType::kU16: case ValueType::kU32: case ValueType::kU64:
      return std::to_string(v.u);
    case ValueType::kI8: case ValueType::kI16: case ValueType::kI32: case ValueType::kI64:
      return std::to_string(v.i);
    case ValueType::kF32: return fmt::format("{}", static_cast<float>(v.f));
    case ValueType::kF64: return fmt::format("{}", v.f);
    case ValueType::kBool: return v.b ? "true" : "false";
    case ValueType::kString: return escaped(v.str);
    case ValueType::kArray: break;
  }
  return "?";
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

std::string human_bytes(uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  if (n < (1ull << 20)) return fmt::format("{:.1f} KiB", n / 1024.0);
  if (n < (1ull << 30)) return fmt::format("{:.1f} MiB", n / 1048576.0);
  return fmt::format("{:.2f} GiB", n / 1073741824.0);
}

void tensor_table(const File& file, std::string& out) {
  size_t width = 4;
  for (const TensorInfo& t : file.tensors()) width = std::max(width, t.name.size());
  out += fmt::format("tensors:\n  {:<{}}  {:<6}  {:<28}  {:>12}\n", "name", width, "type",
                     "dims", "bytes");
  for (const TensorInfo& t : file.tensors()) {
    out += fmt::format("  {:<{}}  {:<6}  {:<28}  {:>12}\n", t.name, width, dtype_name(t.type_id),
                       dims_text(t.dims), t.n_bytes);
  }
}

void totals_by_type(const File& file, std::string& out) {
  std::map<std::string, std::pair<size_t, uint64_t>> by_type;
  uint64_t total = 0;
  for (const TensorInfo& t : file.tensors()) {
    auto& [count, bytes] = by_type[dtype_name(t.type_id)];
    ++count;
    bytes += t.n_bytes;
    total += t.n_bytes;
  }
  out += "size by type:\n";
  for (const auto& [name, cb] : by_type) {
    out += fmt::format("  {:<6} {:>5} tensors  {:>14} bytes  ({})\n", name, cb.first, cb.second,
                       human_bytes(cb.second));
  }
  out += fmt::format("  total  {:>5} tensors  {:>14} bytes  ({})\n", file.tensors().size(),
                     total, human_bytes(total));
}

}  // namespace

std::string format_value(const Value& v, size_t max_elems) {
  if (v.type != ValueType::kArray) return scalar_text(v);
  const size_t n = v.elems.size();
  const bool long_array = n > max_elems;
  const size_t shown = long_array ? std::min(n, kElemsShownWhenLong) : n;
  std::string out = "[";
  if (long_array) {
    const char* type = v.elem_type == ValueType::kString ? "strings"
                       : v.elem_type == ValueType::kArray ? "arrays"
                                                          : value_type_name(v.elem_type);
    out += fmt::format("{} {}: ", n, type);
  }
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    out += format_value(v.elems[i], max_elems);
  }
  if (long_array) out += ", ...";
  return out + "]";
}

std::string describe(const File& file, bool show_tensors) {
  std::string out = fmt::format("file: {}\n", file.path());
  out += fmt::format("GGUF version {}, {} bytes ({}), {} metadata keys, {} tensors\n",
                     file.version(), file.file_size(), human_bytes(file.file_size()),
                     file.metadata().size(), file.tensors().size());
  out += fmt::format("alignment {}, data section at offset {}\n", file.alignment(),
                     file.data_offset());
  out += "metadata:\n";
  for (const KeyValue& kv : file.metadata()) {
    std::string type = value_type_name(kv.value.type);
    if (kv.value.type == ValueType::kArray) {
      type = fmt::format("array<{}>", value_type_name(kv.value.elem_type));
    }
    out += fmt::format("  {} ({}) = {}\n", kv.key, type, format_value(kv.value));
  }
  if (show_tensors && !file.tensors().empty()) tensor_table(file, out);
  totals_by_type(file, out);
  return out;
}

}  // namespace r1::gguf

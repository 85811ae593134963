// File: mmap ownership, open/parse entry points and typed metadata getters.
#include "gguf/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "gguf/parser.h"

namespace r1::gguf {

namespace {

std::string type_text(const Value& v) {
  if (v.type != ValueType::kArray) return value_type_name(v.type);
  return std::string("array of ") + value_type_name(v.elem_type);
}

Error io_error(const std::string& path, const char* what, int err) {
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return make_error(code, std::string(what) + ": " + std::strerror(err) + " (" + path + ")");
}

}  // namespace

File::~File() {
  if (map_ != nullptr) munmap(map_, map_size_);
}

Result<std::shared_ptr<const File>> File::parse(std::span<const uint8_t> bytes,
                                                const std::string& name) {
  std::shared_ptr<File> f(new File());
  f->path_ = name;
  f->bytes_ = bytes;
  R1_RETURN_IF_ERROR(Parser::run(*f));
  return std::shared_ptr<const File>(std::move(f));
}

Result<std::shared_ptr<const File>> File::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open", errno);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error(path, "cannot stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::kInvalidArgument, "not a regular file (" + path + ")");
  }
  if (st.st_size == 0) {
    ::close(fd);
    return make_error(ErrorCode::kCorrupt, "empty file, not a GGUF file (" + path + ")");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) return io_error(path, "cannot mmap", err);
  std::shared_ptr<File> f(new File());
  f->path_ = path;
  f->map_ = map;  // owned from here on: ~File unmaps, also on parse errors
  f->map_size_ = size;
  f->bytes_ = std::span<const uint8_t>(static_cast<const uint8_t*>(map), size);
  R1_RETURN_IF_ERROR(Parser::run(*f));
  return std::shared_ptr<const File>(std::move(f));
}

void File::advise_willneed() const {
  if (map_ != nullptr) madvise(map_, map_size_, MADV_WILLNEED);
}

const Value* File::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

// The value of `key`, or an error naming the key, the file and `expected`.
Result<const Value*> lookup(const File& f, std::string_view key) {
  const Value* v = f.find(key);
  if (v == nullptr) {
    return make_error(ErrorCode::kNotFound,
                      "key '" + std::string(key) + "' not found (" + f.path() + ")");
  }
  return v;
}

Error wrong_type(const File& f, std::string_view key, const Value& v, const char* expected) {
  return make_error(ErrorCode::kCorrupt, "key '" + std::string(key) + "' has type " +
                                             type_text(v) + ", expected " + expected + " (" +
                                             f.path() + ")");
}

Result<const Value*> lookup_array(const File& f, std::string_view key, const char* expected,
                                  bool (*elem_ok)(ValueType)) {
  R1_ASSIGN_OR_RETURN(const Value* v, lookup(f, key));
  if (v->type != ValueType::kArray || !elem_ok(v->elem_type)) {
    return wrong_type(f, key, *v, expected);
  }
  return v;
}

bool is_int_type(ValueType t) {
  Value v;
  v.type = t;
  return v.is_integer();
}

bool is_numeric_type(ValueType t) {
  Value v;
  v.type = t;
  return v.is_integer() || v.is_float();
}

// f(element) for each element of an array value.
template <class T, class F>
std::vector<T> map_elems(const Value& v, F f) {
  std::vector<T> out;
  out.reserve(v.elems.size());
  for (const Value& e : v.elems) out.push_back(f(e));
  return out;
}

}  // namespace

Result<int64_t> File::get_int(std::string_view key) const {
  R1_ASSIGN_OR_RETURN(const Value* v, lookup(*this, key));
  if (!v->is_integer()) return wrong_type(*this, key, *v, "an integer");
  std::optional<int64_t> i = v->as_int();
  if (!i) {
    return make_error(ErrorCode::kOutOfRange, "key '" + std::string(key) + "' value " +
                                                  std::to_string(v->u) + " does not fit int64 (" +
                                                  path_ + ")");
  }
  return *i;
}

Result<double> File::get_float(std::string_view key) const {
  R1_ASSIGN_OR_RETURN(const Value* v, lookup(*this, key));
  std::optional<double> d = v->as_double();
  if (!d) return wrong_type(*this, key, *v, "a number");
  return *d;
}

Result<bool> File::get_bool(std::string_view key) const {
  R1_ASSIGN_OR_RETURN(const Value* v, lookup(*this, key));
  if (v->type != ValueType::kBool) return wrong_type(*this, key, *v, "bool");
  return v->b;
}

Result<std::string_view> File::get_string(std::string_view key) const {
  R1_ASSIGN_OR_RETURN(const Value* v, lookup(*this, key));
  if (v->type != ValueType::kString) return wrong_type(*this, key, *v, "string");
  return v->str;
}

Result<std::vector<std::string_view>> File::get_string_array(std::string_view key) const {
  R1_ASSIGN_OR_RETURN(const Value* v,
                      lookup_array(*this, key, "array of string",
                                   [](ValueType t) { return t == ValueType::kString; }));
  return map_elems<std::string_view>(*v, [](const Value& e) { return e.str; });
}

Result<std::vector<float>> File::get_f32_array(std::string_view key) const {
  R1_ASSIGN_OR_RETURN(const Value* v,
                      lookup_array(*this, key, "array of numbers", is_numeric_type));
  return map_elems<float>(*v, [](const Value& e) { return static_cast<float>(*e.as_double()); });
}

Result<std::vector<int32_t>> File::get_i32_array(std::string_view key) const {
  R1_ASSIGN_OR_RETURN(const Value* v,
                      lookup_array(*this, key, "array of integers", is_int_type));
  std::vector<int32_t> out;
  out.reserve(v->elems.size());
  for (size_t i = 0; i < v->elems.size(); ++i) {
    std::optional<int64_t> x = v->elems[i].as_int();
    if (!x || *x < std::numeric_limits<int32_t>::min() ||
        *x > std::numeric_limits<int32_t>::max()) {
      return make_error(ErrorCode::kOutOfRange, "key '" + std::string(key) + "' element " +
                                                    std::to_string(i) + " does not fit i32 (" +
                                                    path_ + ")");
    }
    out.push_back(static_cast<int32_t>(*x));
  }
  return out;
}

std::optional<int64_t> File::find_int(std::string_view key) const {
  const Value* v = find(key);
  return v == nullptr ? std::nullopt : v->as_int();
}

std::optional<double> File::find_float(std::string_view key) const {
  const Value* v = find(key);
  return v == nullptr ? std::nullopt : v->as_double();
}

std::optional<std::string_view> File::find_string(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr || v->type != ValueType::kString) return std::nullopt;
  return v->str;
}

}  // namespace r1::gguf

// Result<T> and Error: the error type for untrusted input (files, requests,
// configs). Invariants use CHECK (check.h); exceptions never cross module
// boundaries.
//
// Thread contract: value types; no shared state.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/check.h"

namespace r1 {

enum class ErrorCode {
  kInvalidArgument,  // bad request, option or value
  kNotFound,         // missing file, key, tensor, model
  kCorrupt,          // malformed or truncated data
  kUnsupported,      // valid but not implemented (arch, dtype, version)
  kOutOfRange,       // a count, offset or size beyond its bound
  kResourceExhausted,  // memory, queue, context
  kIo,               // OS-level failure (open, mmap, read)
  kUnavailable,      // shutting down or draining: not now, not here
  kInternal,
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "corrupt: tensor 'x' ends past end of file (model.gguf)"
  std::string to_string() const;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// A value or an Error. Access to the wrong alternative is an invariant
// violation (CHECK), so callers test ok() first.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { CHECK(ok()) << error().to_string(); return std::get<0>(v_); }
  const T& value() const& { CHECK(ok()) << std::get<1>(v_).to_string(); return std::get<0>(v_); }
  T&& value() && { CHECK(ok()) << std::get<1>(v_).to_string(); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { CHECK(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status ok_status() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { CHECK(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace r1

// Propagate an error from an expression returning Result<T> or Status.
#define R1_CONCAT_INNER(a, b) a##b
#define R1_CONCAT(a, b) R1_CONCAT_INNER(a, b)
#define R1_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    auto r1_status_ = (expr);                     \
    if (!r1_status_.ok()) return r1_status_.error(); \
  } while (0)
#define R1_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.error();             \
  lhs = std::move(tmp).value()
#define R1_ASSIGN_OR_RETURN(lhs, expr) \
  R1_ASSIGN_OR_RETURN_IMPL(R1_CONCAT(r1_result_, __LINE__), lhs, expr)

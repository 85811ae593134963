// CHECK(cond) << "context": invariant assertions. A failed CHECK is a bug in
// r1serve, never a reaction to bad input (that gets Result<T>/Error). It
// prints file:line, the condition and the streamed context, then aborts.
//
// Thread contract: safe from any thread.
#pragma once

#include <sstream>

namespace r1::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* cond);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  std::ostringstream os_;
};

// Lets `CHECK(x) << ...` be a statement with no value in both branches.
struct Voidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace r1::internal

#define CHECK(cond)                                  \
  (cond) ? (void)0                                   \
         : ::r1::internal::Voidify() &               \
               ::r1::internal::CheckFailure(__FILE__, __LINE__, #cond)
#define CHECK_EQ(a, b) CHECK((a) == (b)) << (a) << " vs " << (b) << " "
#define CHECK_LT(a, b) CHECK((a) < (b)) << (a) << " vs " << (b) << " "
#define CHECK_LE(a, b) CHECK((a) <= (b)) << (a) << " vs " << (b) << " "
#define CHECK_GE(a, b) CHECK((a) >= (b)) << (a) << " vs " << (b) << " "
#ifdef NDEBUG
#define DCHECK(cond) \
  while (false) CHECK(cond)
#else
#define DCHECK(cond) CHECK(cond)
#endif

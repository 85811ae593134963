// In a file of its own so that no caller sees the replacement inlined
// (GCC's -Wmismatched-new-delete would take its free() for a mismatch).
#include "alloc_count.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<int64_t> g_news{0};
}  // namespace

void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace r1::model::test {

int64_t heap_allocations() { return g_news.load(std::memory_order_relaxed); }

}  // namespace r1::model::test

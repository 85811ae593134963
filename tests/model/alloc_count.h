// Counts heap allocations: alloc_count.cpp replaces the global operator new
// of the test binary that links it (and operator delete to match).
//
// Thread contract: any thread; the count covers all threads.
#pragma once

#include <cstdint>

namespace r1::model::test {

// operator new calls so far, on every thread.
int64_t heap_allocations();

}  // namespace r1::model::test

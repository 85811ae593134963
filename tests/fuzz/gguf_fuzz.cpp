// libFuzzer entry: File::parse over arbitrary bytes must return a File or an
// Error, never crash, hang, read out of bounds or allocate beyond a constant
// factor of the input. Seeds: tests/fuzz/corpus/gguf/.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf/gguf.h"
#include "gguf/inspect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = r1::gguf::File::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!f.ok()) {
    CHECK(!f.error().message.empty());
    return 0;
  }
  // Touch everything the parser promised is in bounds.
  const r1::gguf::File& file = **f;
  uint64_t sum = 0;
  for (const r1::gguf::TensorInfo& t : file.tensors()) {
    CHECK(t.data >= data && t.data + t.n_bytes <= data + size) << t.name;
    if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
  }
  for (const r1::gguf::KeyValue& kv : file.metadata()) {
    (void)file.get_string_array(kv.key);
    (void)file.get_i32_array(kv.key);
    (void)file.get_f32_array(kv.key);
    (void)file.get_int(kv.key);
  }
  sum += r1::gguf::describe(file, true).size();
  volatile uint64_t sink = sum;
  (void)sink;
  return 0;
}

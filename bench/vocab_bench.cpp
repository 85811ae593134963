// The qwen2 vocab load (151,936 tokens, 151,387 merges; the fixture in
// ../shared/fixtures/tokenizer): the GGUF open, the token string array and
// Tokenizer::from_gguf. These were wall/CPU-time asserts in gguf_test and
// tokenizer_test; here they are measured, not judged.
//   cmake --build <dir> --target vocab_bench && <dir>/bench/vocab_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace {

const std::string kQwen2Vocab = std::string(R1_FIXTURES_DIR) + "/tokenizer/ggml-vocab-qwen2.gguf";

// The opened fixture; null (and the benchmark skipped) when it is missing.
std::shared_ptr<const r1::gguf::File> open_vocab(benchmark::State& state) {
  auto file = r1::gguf::File::open(kQwen2Vocab);
  if (!file.ok()) {
    state.SkipWithError(file.error().to_string().c_str());
    return nullptr;
  }
  return *file;
}

void BM_GgufOpenQwen2Vocab(benchmark::State& state) {
  if (open_vocab(state) == nullptr) return;
  for (auto _ : state) benchmark::DoNotOptimize(r1::gguf::File::open(kQwen2Vocab));
}
BENCHMARK(BM_GgufOpenQwen2Vocab)->Unit(benchmark::kMillisecond);

// A copy of 150k string views (was gguf_test's "< 50 ms").
void BM_GgufTokenArray(benchmark::State& state) {
  const auto file = open_vocab(state);
  if (file == nullptr) return;
  for (auto _ : state) benchmark::DoNotOptimize(file->get_string_array("tokenizer.ggml.tokens"));
}
BENCHMARK(BM_GgufTokenArray)->Unit(benchmark::kMillisecond);

// The vocab and merges into the BPE tables (was tokenizer_test's "< 200 ms
// of CPU"; the CPU column is that time).
void BM_TokenizerFromGgufQwen2(benchmark::State& state) {
  const auto file = open_vocab(state);
  if (file == nullptr) return;
  for (auto _ : state) {
    auto tok = r1::tokenizer::Tokenizer::from_gguf(*file);
    if (!tok.ok()) {
      state.SkipWithError(tok.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(tok);
  }
}
BENCHMARK(BM_TokenizerFromGgufQwen2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// HTTP round trips on loopback against the real HttpServer over the
// FakeBackend (tests/server/test_server.h), one keep-alive connection: a
// GET /health, and the 429 a full backend answers to a chat request (was
// http_ops_test's "median < 10 ms").
//   cmake --build <dir> --target http_bench && <dir>/bench/http_bench
#include <benchmark/benchmark.h>

#include "test_server.h"

namespace {

using r1::server::test::Client;
using r1::server::test::TestServer;

// One request per iteration on one connection; skipped on an unexpected status.
void round_trips(benchmark::State& state, TestServer& ts, const char* method, const char* target,
                 const std::string& body, int want) {
  Client client(ts.port);
  for (auto _ : state) {
    const r1::server::test::ClientResponse r = client.request(method, target, body);
    if (r.status != want) {
      state.SkipWithError(("status " + std::to_string(r.status) + ": " + r.body).c_str());
      break;
    }
  }
}

void BM_HttpHealthKeepAlive(benchmark::State& state) {
  TestServer ts;
  round_trips(state, ts, "GET", "/health", "", 200);
}
BENCHMARK(BM_HttpHealthKeepAlive)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Http429KeepAlive(benchmark::State& state) {
  TestServer ts;
  ts.backend->set_full(true);
  round_trips(state, ts, "POST", "/v1/chat/completions", r1::server::test::kHello, 429);
}
BENCHMARK(BM_Http429KeepAlive)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

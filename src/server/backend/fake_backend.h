// A deterministic Backend for tests: every request streams the same script
// of pieces, one per tick of a single scheduler thread (like a batch
// decode step), with configurable delays, admission capacity and context.
//
// Thread contract: all methods are safe from any thread. Sinks are called
// from the scheduler thread only, never while an internal lock is held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/backend/backend.h"

namespace r1::server {

struct FakePiece {
  enum class Kind { kTag, kReasoning, kContent };
  std::string text;
  Kind kind = Kind::kContent;
};

// "<think>" "Let" " me" " think." "</think>" "\n\n" "The" " answer" " is" " 4."
std::vector<FakePiece> default_fake_script();

struct FakeBackendConfig {
  std::string model_id = "fake-r1";
  std::vector<FakePiece> script = default_fake_script();
  std::chrono::microseconds tick{1000};               // one piece per tick
  std::chrono::microseconds first_token_delay{0};     // after admission
  size_t max_active = 256;          // more live requests -> kResourceExhausted
  int64_t context_length = 4096;    // prompt (bytes / 4 + 1) beyond -> kOutOfRange
};

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(FakeBackendConfig config = {});
  ~FakeBackend() override;
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  std::string model_id() const override { return config_.model_id; }
  Readiness ready() const override;
  Result<RequestHandle> submit(const GenerationRequest& request,
                               std::shared_ptr<StreamSink> sink) override;
  void cancel(RequestHandle handle) override;
  BackendStats stats() const override;

  // Test controls and observations.
  void set_ready(bool ready, std::string reason);
  void set_full(bool full);  // every submit fails with kResourceExhausted
  int64_t submitted() const;
  int64_t cancelled() const;  // requests that ended with kCancelled
  // Waits until cancelled() >= n; false on timeout.
  bool wait_cancelled(int64_t n, std::chrono::milliseconds timeout) const;
  GenerationRequest last_request() const;

  // Prompt length as the fake counts it.
  static int64_t count_prompt_tokens(const GenerationRequest& request);

 private:
  struct Seq;
  struct Emit;
  void run();
  void step(std::vector<Emit>& out);
  void step_seq(Seq& seq, SteadyClock::time_point now, std::vector<Emit>& out);
  TokenEvent make_event(const Seq& seq, size_t index) const;

  const FakeBackendConfig config_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::unique_ptr<Seq>> active_;
  bool ready_ = true;
  std::string ready_reason_;
  bool full_ = false;
  bool stop_ = false;
  uint64_t next_id_ = 1;
  int64_t submitted_ = 0;
  int64_t cancelled_ = 0;
  GenerationRequest last_request_;
  std::thread thread_;
};

}  // namespace r1::server

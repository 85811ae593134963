// A scriptable fake worker for the proxy tests over raw POSIX sockets: one
// thread per connection, keep-alive. Streams a script of token pieces as
// OpenAI chat chunks carrying r1_token_ids (id = 100 + index) and honours
// resume_tokens; can die (close) or hang after N pieces, answer 5xx, or hold
// the stream after the first piece until released.
//
// Thread contract: configure before the first request; the accessors are
// safe from any thread.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace r1::gateway::test {

struct FakeUpstreamScript {
  std::vector<std::string> pieces = {"Hel", "lo", ", wor", "ld", "!"};
  int status = 200;          // non-200: JSON error with this status
  int busy_first = 0;        // the first N requests answer 429 (queue full)
  int break_after = -1;      // pieces sent before breaking (first stream only)
  bool hang = false;         // break by hanging instead of closing
  bool hold_after_first = false;  // wait for release() after the first piece
  int first_piece_delay_ms = 0;   // after the role chunk (queueing + prefill)
};

class FakeUpstream {
 public:
  explicit FakeUpstream(FakeUpstreamScript script);
  ~FakeUpstream();
  int port() const { return port_; }
  void release() { released_ = true; }
  int requests() const { return requests_.load(); }
  std::vector<std::string> bodies() const;

 private:
  void accept_loop();
  void serve(int fd);
  bool respond(int fd, const std::string& body);
  bool stream(int fd, size_t from);

  FakeUpstreamScript script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_ = false;
  std::atomic<bool> released_ = false;
  std::atomic<bool> broke_ = false;
  std::atomic<int> requests_ = 0;
  mutable std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace r1::gateway::test

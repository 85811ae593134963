// The proxy's wait queue: requests held while no replica can take them
// (none ready yet, or every one answered 429), in FIFO order with stream
// continuations and 429-refused requests ahead of new arrivals.
//
// Only the head tries again: when a request finishes (notify()), when the
// request ahead of it is dispatched or leaves, or every kHeadPoll (a replica
// becoming ready is seen by the next poll). A dispatched request leaves the
// queue before its answer comes back, so the queue drains as fast as the
// replicas accept; one refused again (429) re-enters at the front.
//
// Thread contract: the proxy's I/O thread only (Asio timers, no locks).
// Include from .cpp files only (Beast/Asio).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>

#include "gateway/proxy/proxy_internal.h"

namespace r1::gateway::proxy_detail {

class WaitQueue {
 public:
  static constexpr std::chrono::milliseconds kHeadPoll{100};

  // A place in the queue, from construction to destruction.
  class Waiter {
   public:
    // front: ahead of every waiter that was not `front` itself.
    Waiter(WaitQueue& queue, const net::any_io_executor& executor, bool front);
    ~Waiter();  // leaves; the next waiter is told when this was the head
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;

    // Until this waiter is the head and may try (woken, or kHeadPoll since
    // it last tried), or `deadline`: false at the deadline.
    Awaitable<bool> wait_turn(TimePoint deadline);

   private:
    friend class WaitQueue;
    void wake();

    WaitQueue& queue_;
    net::steady_timer timer_;
    bool front_ = false;
    bool woken_ = false;
  };

  explicit WaitQueue(ProxyMetrics& metrics) : metrics_(metrics) {}

  size_t size() const { return waiters_.size(); }
  bool empty() const { return waiters_.empty(); }
  // A request finished: capacity may be free, the head tries again.
  void notify();
  // stop(): waiters are destroyed with their sessions; nobody is woken.
  void close() { closed_ = true; }

 private:
  void changed() { metrics_.set_waiting(static_cast<int64_t>(waiters_.size())); }

  ProxyMetrics& metrics_;
  std::deque<Waiter*> waiters_;
  bool closed_ = false;
};

}  // namespace r1::gateway::proxy_detail

#include "gateway/proxy/proxy_queue.h"

#include <algorithm>

namespace r1::gateway::proxy_detail {

WaitQueue::Waiter::Waiter(WaitQueue& queue, const net::any_io_executor& executor, bool front)
    : queue_(queue), timer_(executor), front_(front) {
  auto& w = queue_.waiters_;
  if (front_) {
    w.insert(std::find_if(w.begin(), w.end(), [](const Waiter* x) { return !x->front_; }), this);
  } else {
    w.push_back(this);
  }
  queue_.changed();
}

WaitQueue::Waiter::~Waiter() {
  auto& w = queue_.waiters_;
  auto it = std::find(w.begin(), w.end(), this);
  if (it == w.end()) return;
  const bool was_head = it == w.begin();
  w.erase(it);
  queue_.changed();
  if (was_head && !w.empty() && !queue_.closed_) w.front()->wake();
}

void WaitQueue::Waiter::wake() {
  woken_ = true;
  timer_.cancel();
}

Awaitable<bool> WaitQueue::Waiter::wait_turn(TimePoint deadline) {
  for (;;) {
    const bool head = !queue_.waiters_.empty() && queue_.waiters_.front() == this;
    if (head && woken_) {
      woken_ = false;
      co_return true;
    }
    const TimePoint now = SteadyClock::now();
    if (now >= deadline) co_return false;
    // The head polls (a replica turning ready is not signalled); the others
    // sleep until they are woken as the new head, or their deadline.
    timer_.expires_at(head ? std::min(deadline, now + kHeadPoll) : deadline);
    beast::error_code ec;
    co_await timer_.async_wait(redirect(ec));
    if (queue_.closed_) co_return false;
    if (!ec && !queue_.waiters_.empty() && queue_.waiters_.front() == this) woken_ = true;  // poll
  }
}

void WaitQueue::notify() {
  if (!waiters_.empty() && !closed_) waiters_.front()->wake();
}

}  // namespace r1::gateway::proxy_detail

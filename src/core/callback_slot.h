// A callback set on one thread and called on another: set() replaces it
// under a lock; get() copies it under the lock, so the caller runs it with
// no lock held (the callback may call back into its owner, or clear itself).
//
// Thread contract: set() and get() are safe from any thread.
#pragma once

#include <functional>
#include <mutex>
#include <utility>

namespace r1 {

template <class... Args>
class CallbackSlot {
 public:
  using Fn = std::function<void(Args...)>;

  void set(Fn fn) {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = std::move(fn);
  }
  Fn get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fn_;
  }

 private:
  mutable std::mutex mu_;
  Fn fn_;
};

}  // namespace r1

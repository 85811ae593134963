// Loopback servers over http::Listener for the http tests:
//  - TestServer: each connection's first read is recorded as its request
//    and answered with a fixed reply (none: the connection is held open
//    unanswered);
//  - SessionServer: every connection served by http::spawn_session with
//    the test's limits and handlers.
//
// Thread contract: each server runs on its own I/O thread; requests() and
// the counters may be read from the test's thread.
#pragma once

#include <boost/asio/write.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http/listener.h"
#include "http/session.h"

namespace r1::http::test {

class TestServer {
 public:
  explicit TestServer(std::string reply, ListenerOptions options = {"test", "127.0.0.1", 0})
      : reply_(std::move(reply)) {
    Result<std::unique_ptr<Listener>> l = Listener::open(ioc_, options);
    EXPECT_TRUE(l.ok()) << l.error().message;
    listener_ = std::move(l).value();
    listener_->start([this](boost::asio::ip::tcp::socket s) { accept(std::move(s)); });
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestServer() {
    listener_->close();
    ioc_.stop();
    thread_.join();
  }

  Listener& listener() { return *listener_; }
  uint16_t port() const { return listener_->port(); }
  int accepted() const { return accepted_.load(); }
  bool nodelay() const { return nodelay_.load(); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  struct Conn {
    explicit Conn(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
    boost::asio::ip::tcp::socket socket;
    char buf[4096];
  };

  void accept(boost::asio::ip::tcp::socket s) {
    boost::asio::ip::tcp::no_delay opt;
    boost::system::error_code ec;
    s.get_option(opt, ec);
    nodelay_ = opt.value();
    ++accepted_;
    answer(std::make_shared<Conn>(std::move(s)));
  }

  // Reads the request (one read: they are small), answers, then waits for
  // the client to close, so that no unread byte turns the close into a reset.
  void answer(std::shared_ptr<Conn> c) {
    c->socket.async_read_some(boost::asio::buffer(c->buf), [this, c](boost::system::error_code ec, size_t n) {
      if (ec) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.emplace_back(c->buf, n);
      }
      if (reply_.empty()) return hold(c);
      boost::asio::async_write(c->socket, boost::asio::buffer(reply_), [this, c](boost::system::error_code ec2, size_t) {
        if (ec2) return;
        c->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec2);
        hold(c);
      });
    });
  }
  void hold(std::shared_ptr<Conn> c) {
    c->socket.async_read_some(boost::asio::buffer(c->buf), [c](boost::system::error_code, size_t) {});
  }

  const std::string reply_;
  boost::asio::io_context ioc_;
  std::unique_ptr<Listener> listener_;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> nodelay_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
};

class SessionServer {
 public:
  SessionServer(SessionLimits limits, SessionHandlers handlers)
      : limits_(std::move(limits)), handlers_(std::move(handlers)) {
    Result<std::unique_ptr<Listener>> l = Listener::open(ioc_, ListenerOptions{"test", "127.0.0.1", 0});
    EXPECT_TRUE(l.ok()) << l.error().message;
    listener_ = std::move(l).value();
    listener_->start([this](boost::asio::ip::tcp::socket s) {
      ++accepted_;
      spawn_session(std::move(s), limits_, handlers_);
    });
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~SessionServer() {
    listener_->close();
    ioc_.stop();
    thread_.join();
  }
  uint16_t port() const { return listener_->port(); }
  int accepted() const { return accepted_.load(); }

 private:
  const SessionLimits limits_;
  const SessionHandlers handlers_;
  boost::asio::io_context ioc_;
  std::unique_ptr<Listener> listener_;
  std::thread thread_;
  std::atomic<int> accepted_{0};
};

}  // namespace r1::http::test

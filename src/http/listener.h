// One TCP listener for the HTTP servers (the worker's HttpServer, the
// gateway's proxy and admin API): resolve the host ("localhost" is
// 127.0.0.1, otherwise a numeric address), open with reuse_address, bind,
// listen with the system's backlog, then an asynchronous accept loop that
// sets TCP_NODELAY on each accepted socket and hands it over. (Completion
// handlers, not a coroutine: Boost 1.74's Asio has no co_await under clang,
// and the fuzz build compiles r1_server, hence this, with clang.) An accept error (EMFILE, ENFILE, ENOBUFS...) would come back at once
// if retried at once: it is logged (the first and every 100th) and retried
// in 50 ms, while the connections already open go on.
//
// Errors name what and where: "<what>: bad host 'x': ...", "<what>: cannot
// listen on host:port: ..." (no "<what>: " when `what` is empty).
//
// Thread contract: open() and start() are called once, by the owner, before
// the io_context runs or from its threads; close() from any thread (it
// posts to the acceptor's strand); port() from any thread. `on_accept` runs
// on the acceptor's strand, one socket at a time. Destroy the Listener only
// once the io_context is stopped (or has no thread left running it).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"

namespace r1::http {

struct ListenerOptions {
  std::string what;  // names the listener in errors and logs: "proxy", "admin"; "" for none
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the kernel picks one (port() tells which)
  // Each accepted socket gets its own strand of the io_context (several I/O
  // threads); otherwise the io_context's executor (one I/O thread).
  bool strand_per_connection = false;
};

// "localhost" -> 127.0.0.1, else a numeric IPv4/IPv6 address.
Result<boost::asio::ip::address> listen_address(const std::string& host, const std::string& what);

class Listener {
 public:
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket)>;

  // Binds and listens; accepts nothing until start().
  static Result<std::unique_ptr<Listener>> open(boost::asio::io_context& ioc,
                                                const ListenerOptions& options);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  uint16_t port() const { return port_; }  // the bound port
  void start(OnAccept on_accept);          // starts the accept loop
  void close();                            // stops accepting (asynchronously)

 private:
  Listener(boost::asio::io_context& ioc, const ListenerOptions& options);
  Status listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void accept();
  void accept_later(const boost::system::error_code& ec);
  boost::asio::any_io_executor peer_executor();

  boost::asio::io_context& ioc_;
  const ListenerOptions options_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // after an accept error
  OnAccept on_accept_;
  int accept_errors_ = 0;
  uint16_t port_ = 0;
};

}  // namespace r1::http

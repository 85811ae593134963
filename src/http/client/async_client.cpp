#include "http/client/async_client.h"

#include <algorithm>
#include <limits>

namespace r1::http {

namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

// The step's timeout, capped by the connection's deadline.
void arm(ClientConn& conn, SteadyClock::duration timeout) {
  const TimePoint now = SteadyClock::now();
  conn.stream->expires_at(conn.deadline - now > timeout ? now + timeout : conn.deadline);
}

}  // namespace

Result<ClientTarget> numeric_target(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, "bad host " + host + ": " + ec.message());
  return ClientTarget{host + ":" + std::to_string(port), {tcp::endpoint(address, port)}};
}

std::unique_ptr<beast::tcp_stream> AsyncClient::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<beast::tcp_stream> stream;
  if (order_ == Order::kNewestFirst) {
    stream = std::move(it->second.back());
    it->second.pop_back();
  } else {
    stream = std::move(it->second.front());
    it->second.pop_front();
  }
  return stream;
}

size_t AsyncClient::idle(const std::string& key) const {
  auto it = idle_.find(key);
  return it == idle_.end() ? 0 : it->second.size();
}

Awaitable<beast::error_code> AsyncClient::connect(ClientConn& conn, const ClientTarget& target,
                                                  SteadyClock::duration timeout) {
  conn.stream = std::make_unique<beast::tcp_stream>(co_await net::this_coro::executor);
  arm(conn, timeout);
  beast::error_code ec;
  co_await conn.stream->async_connect(target.endpoints, redirect(ec));
  if (ec) co_return ec;
  ++stats_.connects;
  conn.stream->socket().set_option(tcp::no_delay(true), ec);
  co_return beast::error_code{};
}

Awaitable<beast::error_code> AsyncClient::exchange(ClientConn& conn, const ClientTarget& target,
                                                   const OutRequest& request, ClientTimeouts timeouts) {
  beast::error_code ec;
  conn.failed = ClientPhase::kNone;
  conn.retried = false;
  conn.stream = conn.fresh ? nullptr : take(target.key);
  conn.reused = conn.stream != nullptr;
  for (;;) {
    if (!conn.stream) {
      ec = co_await connect(conn, target, timeouts.connect);
      if (ec) {
        conn.failed = ClientPhase::kConnect;
        co_return ec;
      }
    }
    conn.buffer.clear();
    conn.parser = std::make_unique<ResponseParser>();
    conn.parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    arm(conn, timeouts.connect);
    conn.failed = ClientPhase::kSend;
    co_await bhttp::async_write(*conn.stream, request, redirect(ec));
    if (!ec) {
      arm(conn, timeouts.header);
      conn.failed = ClientPhase::kHeader;
      co_await bhttp::async_read_header(*conn.stream, conn.buffer, *conn.parser, redirect(ec));
    }
    if (!ec) conn.failed = ClientPhase::kNone;
    // Only a pooled connection that failed before any answer is stale.
    const bool stale = conn.reused && !conn.retried && ec && ec != beast::error::timeout &&
                       !conn.parser->got_some();
    if (!stale) co_return ec;
    conn.retried = true;
    ++stats_.stale_retries;
    conn.stream.reset();
  }
}

void AsyncClient::release(ClientConn& conn, const std::string& key, bool reusable) {
  const bool keep = reusable && max_idle_ > 0 && conn.stream && conn.parser &&
                    conn.parser->is_done() && conn.parser->keep_alive();
  if (keep) {
    auto& idle = idle_[key];
    if (idle.size() < max_idle_) {
      conn.stream->expires_never();
      idle.push_back(std::move(conn.stream));
    }
  }
  conn.stream.reset();
}

Awaitable<beast::error_code> read_some(ClientConn& conn, char* buf, size_t size, size_t* got,
                                       SteadyClock::duration timeout) {
  *got = 0;
  ResponseParser& p = *conn.parser;
  if (p.is_done()) co_return beast::error_code{};
  p.get().body().data = buf;
  p.get().body().size = size;
  arm(conn, timeout);
  beast::error_code ec;
  co_await bhttp::async_read_some(*conn.stream, conn.buffer, p, redirect(ec));
  if (ec == bhttp::error::need_buffer) ec = {};
  *got = size - p.get().body().size;
  co_return ec;
}

Awaitable<beast::error_code> read_rest(ClientConn& conn, std::string* out,
                                       SteadyClock::duration timeout, size_t max_bytes) {
  char buf[16384];
  while (!conn.parser->is_done()) {
    size_t got = 0;
    const beast::error_code ec = co_await read_some(conn, buf, sizeof(buf), &got, timeout);
    if (ec) co_return ec;
    out->append(buf, got);
    if (out->size() > max_bytes) co_return bhttp::error::body_limit;
  }
  co_return beast::error_code{};
}

}  // namespace r1::http

// The admin API's HTTP server (Beast, one I/O thread); handlers in admin_render.cpp.
#include "gateway/admin/admin.h"

#include "http/coro.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/listener.h"
#include "http/session.h"

namespace r1::gateway {
namespace {
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using r1::http::Awaitable;
using r1::http::sv;
constexpr auto kIoTimeout = std::chrono::seconds(30);
}  // namespace

struct AdminServer::Impl {
  AdminOptions options;
  AdminSources sources;
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::unique_ptr<r1::http::Listener> listener;
  r1::http::SessionLimits limits;
  r1::http::SessionHandlers handlers;
  std::thread thread;
  bool stopped = false;
};

namespace {

Awaitable<bool> answer(AdminServer::Impl* impl, r1::http::Connection& conn, r1::http::Request& req) {
  const AdminResponse r = handle_admin(impl->sources, impl->options, sv(req.method_string()), sv(req.target()),
                                       sv(req[bhttp::field::authorization]), req.body());
  auto res = r1::http::make_response(r.status, r.content_type, r.body, req.keep_alive());
  co_return co_await conn.write(res);
}

// Every read and write within kIoTimeout; refused requests get a JSON error.
void set_up_sessions(AdminServer::Impl* impl) {
  impl->limits.idle_timeout = impl->limits.read_timeout = impl->limits.write_timeout = kIoTimeout;
  impl->limits.header_limit = 8 << 10;
  impl->handlers.on_request = [impl](r1::http::Connection& conn, r1::http::Request& req) {
    return answer(impl, conn, req);
  };
  impl->handlers.on_bad_request = [](r1::http::Connection& conn, const r1::http::BadRequest& bad) -> Awaitable<void> {
    const nlohmann::json body = {{"error", {{"message", bad.message}, {"type", "invalid_request"}}}};
    auto res = r1::http::make_response(bad.status, "application/json", body.dump(), false);
    co_await conn.write(res);
  };
}

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::start(const AdminOptions& options,
                                                        AdminSources sources) {
  if (sources.router == nullptr) return make_error(ErrorCode::kInvalidArgument, "admin: no router");
  R1_ASSIGN_OR_RETURN(const net::ip::address address, r1::http::listen_address(options.host, "admin"));
  if (options.admin_key.empty() && !address.is_loopback()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "admin: listening on " + options.host + " needs an admin key (or a loopback host)");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->sources = std::move(sources);
  R1_ASSIGN_OR_RETURN(impl->listener,
                      r1::http::Listener::open(*impl->ioc, {"admin", options.host, static_cast<uint16_t>(options.port)}));
  Impl* raw = impl.get();
  set_up_sessions(raw);
  r1::http::serve_sessions(*impl->listener, raw->limits, raw->handlers);
  impl->thread = std::thread([raw] { raw->ioc->run(); });
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() { stop(); }
uint16_t AdminServer::port() const { return impl_->listener->port(); }

void AdminServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->listener.reset();
  impl_->ioc.reset();
}

}  // namespace r1::gateway

// The admin API's HTTP server (Beast, one I/O thread); handlers in admin_render.cpp.
#include "gateway/admin/admin.h"

#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "http/listener.h"

namespace r1::gateway {
namespace {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
inline std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }
inline auto redirect(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }
constexpr auto kIoTimeout = std::chrono::seconds(30);
}  // namespace

struct AdminServer::Impl {
  AdminOptions options;
  AdminSources sources;
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::unique_ptr<r1::http::Listener> listener;
  std::thread thread;
  bool stopped = false;
};

namespace {

net::awaitable<void> admin_session(AdminServer::Impl* impl, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    stream.expires_after(kIoTimeout);
    co_await http::async_read(stream, buffer, req, redirect(ec));
    if (ec) break;
    const AdminResponse r =
        handle_admin(impl->sources, impl->options, sv(req.method_string()), sv(req.target()),
                     sv(req[http::field::authorization]), req.body());
    http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
    res.set(http::field::content_type, r.content_type);
    res.keep_alive(req.keep_alive());
    res.body() = r.body;
    res.prepare_payload();
    stream.expires_after(kIoTimeout);
    co_await http::async_write(stream, res, redirect(ec));
    if (ec || !req.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
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
  impl->listener->start([raw](tcp::socket socket) {
    net::co_spawn(*raw->ioc, admin_session(raw, std::move(socket)), net::detached);
  });
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

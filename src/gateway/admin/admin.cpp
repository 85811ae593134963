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

#include "gateway/proxy/proxy_internal.h"

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
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;
  uint16_t port = 0;
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

net::awaitable<void> admin_accept(AdminServer::Impl* impl) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await impl->acceptor->async_accept(redirect(ec));
    if (ec == net::error::operation_aborted || !impl->acceptor->is_open()) co_return;
    if (ec) continue;
    net::co_spawn(*impl->ioc, admin_session(impl, std::move(socket)), net::detached);
  }
}

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::start(const AdminOptions& options,
                                                        AdminSources sources) {
  if (sources.router == nullptr) return make_error(ErrorCode::kInvalidArgument, "admin: no router");
  beast::error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, "admin: bad host '" + options.host + "'");
  if (options.admin_key.empty() && !address.is_loopback()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "admin: listening on " + options.host + " needs an admin key (or a loopback host)");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->sources = std::move(sources);
  impl->acceptor = std::make_unique<tcp::acceptor>(*impl->ioc);
  R1_RETURN_IF_ERROR(proxy_detail::listen_on(
      *impl->acceptor, tcp::endpoint(address, static_cast<uint16_t>(options.port)), "admin"));
  impl->port = impl->acceptor->local_endpoint().port();
  net::co_spawn(*impl->ioc, admin_accept(impl.get()), net::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc->run(); });
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() { stop(); }
uint16_t AdminServer::port() const { return impl_->port; }

void AdminServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->acceptor.reset();
  impl_->ioc.reset();
}

}  // namespace r1::gateway

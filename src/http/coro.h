// The one way r1_http and its users write asynchronous code: Asio's C++20
// coroutines (net::awaitable, co_spawn). Include this before any other Asio
// or Beast header in a file that uses coroutines:
//  - Boost 1.74's awaitable.hpp uses std::exchange without <utility>;
//  - under clang, Boost 1.74 looks for <experimental/coroutine>, which
//    libstdc++ lacks, so r1_http's CMakeLists defines
//    BOOST_ASIO_HAS_CO_AWAIT / BOOST_ASIO_HAS_STD_COROUTINE for clang (the
//    fuzz build), and the standard <coroutine> serves both compilers.
// And with GCC 12: no temporaries with destructors inside a co_await
// expression (`co_await f(std::string("x"))`, `co_await g({a, b})`): GCC
// destroys them twice. Name them first.
#pragma once

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>

#include <string_view>

namespace r1::http {

namespace net = boost::asio;

template <class T>
using Awaitable = net::awaitable<T>;

// co_await op(..., redirect(ec)): errors into ec instead of exceptions.
inline auto redirect(boost::beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

inline std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace r1::http

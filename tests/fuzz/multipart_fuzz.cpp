// libFuzzer entry: the multipart/form-data parser
// (src/voice/audio/multipart.h) over arbitrary bytes. The first byte n
// says how many of the next bytes are the Content-Type header; the rest is
// the body. A parse is a form or an error with a message, never a crash or
// hang; every part's data lies inside the body, within the part limit,
// with a name and no delimiter inside it. Seeds: tests/fuzz/corpus/multipart/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "voice/audio/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t n = std::min<size_t>(static_cast<uint8_t>(all[0]), all.size() - 1);
  const std::string_view type = all.substr(1, n);
  const std::string_view body = all.substr(1 + n);
  const r1::voice::MultipartLimits limits{.max_parts = 16, .max_header_bytes = 512};
  const r1::Result<r1::voice::MultipartForm> form = r1::voice::parse_multipart(type, body, limits);
  if (!form.ok()) {
    CHECK(!form.error().message.empty());
    return 0;
  }
  const r1::Result<std::string> boundary = r1::voice::multipart_boundary(type);
  CHECK(boundary.ok());
  const std::string delim = "\r\n--" + *boundary;
  CHECK(form->parts.size() <= limits.max_parts);
  for (const r1::voice::MultipartPart& p : form->parts) {
    CHECK(p.data.data() >= body.data() && p.data.data() + p.data.size() <= body.data() + body.size());
    CHECK(!p.has_filename || p.filename.size() <= body.size());
    CHECK(form->first(p.name) != nullptr);
    // A delimiter inside data is allowed only when it is not a real one
    // (followed by neither "--" nor padding and CRLF).
    for (size_t at = p.data.find(delim); at != std::string_view::npos; at = p.data.find(delim, at + 1)) {
      const std::string_view after = body.substr(static_cast<size_t>(p.data.data() - body.data()) + at + delim.size());
      CHECK(after.substr(0, 2) != "--");
      const size_t pad = after.find_first_not_of(" \t");
      CHECK(pad == std::string_view::npos || after.substr(pad, 2) != "\r\n");
    }
  }
  return 0;
}

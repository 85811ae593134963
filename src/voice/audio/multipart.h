// A multipart/form-data parser (RFC 7578 over RFC 2046) for uploads such
// as POST /v1/audio/transcriptions. Pure: no I/O.
//
// The boundary comes from the Content-Type header (quoted or not, 1..70
// characters of RFC 2046's bchars). Lines end in CRLF (bare LF is not a
// line break). The preamble before the first delimiter and the epilogue
// after the closing one are ignored. A "\r\n--boundary" inside a part that
// is followed by neither "--" nor optional spaces and CRLF is data, not a
// delimiter. A body without the closing delimiter is kCorrupt. Every part
// needs Content-Disposition: form-data with a name. Repeated names are all
// kept in order (OpenAI's timestamp_granularities[] repeats).
// Errors: kInvalidArgument for the Content-Type header, kCorrupt for the
// body, kOutOfRange for a limit.
//
// Lifetime: MultipartPart::data views the body passed to parse_multipart;
// the body must outlive the form. Names and headers are copies.
//
// Thread contract: pure function; a MultipartForm is a value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace r1::voice {

struct MultipartLimits {
  size_t max_parts = 64;
  size_t max_header_bytes = 8 * 1024;  // one part's header block
};

struct MultipartPart {
  std::string name;
  std::string filename;      // empty unless has_filename
  bool has_filename = false;
  std::string content_type;  // empty when the part has none (text/plain by default)
  std::string_view data;     // into the body
};

struct MultipartForm {
  std::vector<MultipartPart> parts;

  // The first part named `name`, or nullptr.
  const MultipartPart* first(std::string_view name) const;
  // Every part named `name`, in body order.
  std::vector<const MultipartPart*> all(std::string_view name) const;
  // The data of every part named `name`, in body order.
  std::vector<std::string_view> values(std::string_view name) const;
};

// The boundary of a multipart/form-data Content-Type header.
Result<std::string> multipart_boundary(std::string_view content_type_header);

Result<MultipartForm> parse_multipart(std::string_view content_type_header, std::string_view body,
                                      const MultipartLimits& limits = {});

}  // namespace r1::voice

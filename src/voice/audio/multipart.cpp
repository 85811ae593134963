// multipart/form-data parsing; see multipart.h for the rules.
#include "voice/audio/multipart.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace r1::voice {
namespace {

constexpr size_t kMaxBoundary = 70;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_bchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// One `key=value` parameter list entry; value quoted-string or token.
struct Param {
  std::string key;
  std::string value;
};

// Parses `; k=v; k="v"` after the main value. nullopt on bad syntax.
std::optional<std::vector<Param>> parse_params(std::string_view s) {
  std::vector<Param> out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ';' || s[i] == ' ' || s[i] == '\t') { ++i; continue; }
    const size_t eq = s.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    Param p{std::string(trim(s.substr(i, eq - i))), {}};
    i = eq + 1;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i < s.size() && s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        p.value.push_back(s[i]);
      }
      if (i >= s.size()) return std::nullopt;  // unterminated quote
      ++i;
    } else {
      const size_t end = std::min(s.find(';', i), s.size());
      p.value = std::string(trim(s.substr(i, end - i)));
      i = end;
    }
    if (p.key.empty()) return std::nullopt;
    out.push_back(std::move(p));
  }
  return out;
}

const Param* find_param(const std::vector<Param>& params, std::string_view key) {
  for (const Param& p : params) {
    if (iequals(p.key, key)) return &p;
  }
  return nullptr;
}

Error corrupt(std::string msg) { return make_error(ErrorCode::kCorrupt, "multipart body: " + std::move(msg)); }

// Applies one header line to part; unknown headers are ignored.
Status apply_header(std::string_view line, MultipartPart& part, bool& has_disposition) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return corrupt("malformed part header line");
  const std::string_view key = trim(line.substr(0, colon));
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(key, "Content-Type")) {
    part.content_type = std::string(value);
    return {};
  }
  if (!iequals(key, "Content-Disposition")) return {};
  const size_t semi = std::min(value.find(';'), value.size());
  if (!iequals(trim(value.substr(0, semi)), "form-data")) return corrupt("part disposition is not form-data");
  const auto params = parse_params(value.substr(semi));
  if (!params) return corrupt("malformed Content-Disposition parameters");
  const Param* name = find_param(*params, "name");
  if (name == nullptr) return corrupt("part has no name");
  part.name = name->value;
  if (const Param* file = find_param(*params, "filename")) {
    part.filename = file->value;
    part.has_filename = true;
  }
  has_disposition = true;
  return {};
}

// Parses the header block at body[at...]; returns the offset of the data.
Result<size_t> parse_headers(std::string_view body, size_t at, const MultipartLimits& limits,
                             MultipartPart& part) {
  if (body.substr(at, 2) == "\r\n") return corrupt("part has no headers");
  const size_t end = body.substr(at, limits.max_header_bytes + 4).find("\r\n\r\n");
  if (end == std::string_view::npos || end > limits.max_header_bytes) {
    if (body.size() - at <= limits.max_header_bytes) return corrupt("part headers do not end");
    return make_error(ErrorCode::kOutOfRange, "multipart part headers exceed " +
                                                  std::to_string(limits.max_header_bytes) + " bytes");
  }
  bool has_disposition = false;
  std::string_view block = body.substr(at, end + 2);  // every line with its CRLF
  while (!block.empty()) {
    const size_t eol = block.find("\r\n");
    R1_RETURN_IF_ERROR(apply_header(block.substr(0, eol), part, has_disposition));
    block.remove_prefix(eol + 2);
  }
  if (!has_disposition) return corrupt("part has no Content-Disposition: form-data header");
  return at + end + 4;
}

// After a delimiter at `at` (just past "--boundary"): 1 = next part starts
// at *next, 0 = closing delimiter, -1 = not a delimiter (data continues).
int after_delimiter(std::string_view body, size_t at, size_t* next) {
  if (body.substr(at, 2) == "--") return 0;
  while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
  if (body.substr(at, 2) != "\r\n") return -1;
  *next = at + 2;
  return 1;
}

}  // namespace

const MultipartPart* MultipartForm::first(std::string_view name) const {
  for (const MultipartPart& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<const MultipartPart*> MultipartForm::all(std::string_view name) const {
  std::vector<const MultipartPart*> out;
  for (const MultipartPart& p : parts) {
    if (p.name == name) out.push_back(&p);
  }
  return out;
}

std::vector<std::string_view> MultipartForm::values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const MultipartPart* p : all(name)) out.push_back(p->data);
  return out;
}

Result<std::string> multipart_boundary(std::string_view header) {
  const size_t semi = std::min(header.find(';'), header.size());
  if (!iequals(trim(header.substr(0, semi)), "multipart/form-data")) {
    return make_error(ErrorCode::kInvalidArgument, "Content-Type must be multipart/form-data");
  }
  const auto params = parse_params(header.substr(semi));
  if (!params) return make_error(ErrorCode::kInvalidArgument, "malformed Content-Type parameters");
  const Param* b = find_param(*params, "boundary");
  if (b == nullptr) return make_error(ErrorCode::kInvalidArgument, "multipart Content-Type has no boundary");
  const std::string& v = b->value;
  if (v.empty() || v.size() > kMaxBoundary || v.back() == ' ' || !std::all_of(v.begin(), v.end(), is_bchar)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "multipart boundary must be 1..70 characters of RFC 2046 bchars, not ending in a space");
  }
  return v;
}

namespace {

// The next real delimiter "\r\n--boundary" at or after `from`; a match
// followed by other text is data. kind: 1 = a part follows at next, 0 =
// closing delimiter. nullopt: none left.
struct Delimiter {
  size_t at;    // where "\r\n--boundary" starts
  int kind;
  size_t next;  // first byte of the next part (kind 1)
};

std::optional<Delimiter> find_delimiter(std::string_view body, std::string_view delim, size_t from) {
  for (size_t d = body.find(delim, from); d != std::string_view::npos; d = body.find(delim, d + 1)) {
    size_t next = 0;
    const int kind = after_delimiter(body, d + delim.size(), &next);
    if (kind >= 0) return Delimiter{d, kind, next};
  }
  return std::nullopt;
}

// The first delimiter: at the body's start or after the preamble's CRLF.
Result<Delimiter> first_delimiter(std::string_view body, std::string_view delim) {
  std::optional<Delimiter> d;
  size_t next = 0;
  const int kind = body.substr(0, delim.size() - 2) == delim.substr(2)
                       ? after_delimiter(body, delim.size() - 2, &next)
                       : -1;
  if (kind >= 0) {
    d = Delimiter{0, kind, next};
  } else {
    d = find_delimiter(body, delim, 0);
  }
  if (!d) return corrupt("no boundary delimiter found");
  return *d;
}

}  // namespace

Result<MultipartForm> parse_multipart(std::string_view content_type_header, std::string_view body,
                                      const MultipartLimits& limits) {
  R1_ASSIGN_OR_RETURN(const std::string boundary, multipart_boundary(content_type_header));
  const std::string delim = "\r\n--" + boundary;
  MultipartForm form;
  R1_ASSIGN_OR_RETURN(Delimiter prev, first_delimiter(body, delim));
  while (prev.kind == 1) {
    if (form.parts.size() >= limits.max_parts) {
      return make_error(ErrorCode::kOutOfRange, "multipart body has more than " +
                                                    std::to_string(limits.max_parts) + " parts");
    }
    MultipartPart part;
    R1_ASSIGN_OR_RETURN(const size_t data_at, parse_headers(body, prev.next, limits, part));
    const std::optional<Delimiter> d = find_delimiter(body, delim, data_at);
    if (!d) return corrupt("missing the closing boundary");
    part.data = body.substr(data_at, d->at - data_at);
    form.parts.push_back(std::move(part));
    prev = *d;
  }
  return form;
}

}  // namespace r1::voice

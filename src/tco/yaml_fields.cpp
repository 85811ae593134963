#include "tco/yaml_fields.h"

#include <cmath>
#include <cstdio>

namespace r1::tco {
namespace {

const char* yaml_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "nothing";
}

std::string compact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.12g", v);
  return buf;
}

}  // namespace

Error input_error(const std::string& key_path, const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, key_path + ": " + message);
}

std::string YamlFields::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Status YamlFields::check_keys(std::initializer_list<std::string_view> allowed) const {
  if (!node_.IsDefined() || node_.IsNull()) return Status();
  if (!node_.IsMap()) {
    return input_error(path_.empty() ? "<root>" : path_,
                       std::string("expected a mapping, got ") + yaml_kind(node_));
  }
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) return input_error(key_path("?"), "keys must be scalars");
    const std::string key = kv.first.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return input_error(key_path(key), "unknown key");
  }
  return Status();
}

bool YamlFields::has(std::string_view key) const {
  return node_.IsMap() && get(key).IsDefined();
}

Result<std::string> YamlFields::scalar(std::string_view key, const char* expected) const {
  YAML::Node child = get(key);
  if (!child.IsScalar()) {
    return input_error(key_path(key), std::string("expected ") + expected + ", got " + yaml_kind(child));
  }
  return child.Scalar();
}

Status YamlFields::read_number(std::string_view key, double& out, double min, double max) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "a number"));
  double v = 0;
  if (!YAML::convert<double>::decode(get(key), v) || !std::isfinite(v)) {
    return input_error(key_path(key), "expected a number, got '" + text + "'");
  }
  if (v < min || v > max) {
    return input_error(key_path(key), "must be in [" + compact(min) + ", " + compact(max) + "], got " + text);
  }
  out = v;
  return Status();
}

Status YamlFields::read_string(std::string_view key, std::string& out, size_t max_bytes) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "a string"));
  if (text.size() > max_bytes) {
    return input_error(key_path(key), "longer than " + std::to_string(max_bytes) + " bytes");
  }
  out = std::move(text);
  return Status();
}

Status YamlFields::read_months(std::string_view key, int& out, int max_months) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "a period like '36m' or '3y'"));
  R1_ASSIGN_OR_RETURN(out, parse_months(text, key_path(key), max_months));
  return Status();
}

Result<YamlFields> YamlFields::section(std::string_view key) const {
  YAML::Node child = has(key) ? get(key) : YAML::Node();
  if (child.IsDefined() && !child.IsNull() && !child.IsMap()) {
    return input_error(key_path(key), std::string("expected a mapping, got ") + yaml_kind(child));
  }
  return YamlFields(child, key_path(key));
}

Result<int> parse_months(std::string_view text, const std::string& key_path, int max_months) {
  const std::string t(text);
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  const std::string unit = t.substr(digits);
  if (digits == 0 || digits > 6 || (unit != "m" && unit != "y")) {
    return input_error(key_path, "expected a whole number of months or years like '36m' or '3y', got '" + t + "'");
  }
  const long n = std::stol(t.substr(0, digits)) * (unit == "y" ? 12 : 1);
  if (n < 1 || n > max_months) {
    return input_error(key_path, "must be 1 to " + std::to_string(max_months) + " months, got '" + t + "'");
  }
  return static_cast<int>(n);
}

}  // namespace r1::tco

#include "config/yaml_section.h"

#include <cmath>
#include <cstdio>

namespace r1::config {
namespace {

// 0.5 -> "0.5", 1e15 -> "1e+15".
std::string compact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.12g", v);
  return buf;
}

}  // namespace


Error config_error(const std::string& key_path, const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, key_path + ": " + message);
}

const char* yaml_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "nothing";
}

std::string YamlSection::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Status YamlSection::check_keys(std::initializer_list<std::string_view> allowed) const {
  if (node_.IsNull() || !node_.IsDefined()) return Status();
  if (!node_.IsMap()) {
    return config_error(path_.empty() ? "<root>" : path_,
                        std::string("expected a mapping, got ") + yaml_kind(node_));
  }
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) return config_error(key_path("?"), "keys must be scalars");
    const std::string key = kv.first.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return config_error(key_path(key), "unknown key");
  }
  return Status();
}

bool YamlSection::has(std::string_view key) const {
  if (!node_.IsMap()) return false;
  YAML::Node child = node_[std::string(key)];
  return child.IsDefined();
}

Result<std::string> YamlSection::scalar(std::string_view key, const char* expected) const {
  YAML::Node child = get(key);
  if (!child.IsScalar()) {
    return config_error(key_path(key), std::string("expected ") + expected + ", got " + yaml_kind(child));
  }
  return child.Scalar();
}

Status YamlSection::read_int(std::string_view key, int& out, int min, int max) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "an integer"));
  int v = 0;
  if (!YAML::convert<int>::decode(get(key), v)) {
    return config_error(key_path(key), "expected an integer, got '" + text + "'");
  }
  if (v < min) return config_error(key_path(key), "must be >= " + std::to_string(min));
  if (v > max) return config_error(key_path(key), "must be <= " + std::to_string(max));
  out = v;
  return Status();
}

Status YamlSection::read_double(std::string_view key, double& out, double min, double max) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "a number"));
  double v = 0;
  if (!YAML::convert<double>::decode(get(key), v) || !std::isfinite(v)) {
    return config_error(key_path(key), "expected a number, got '" + text + "'");
  }
  if (v < min || v > max) {
    return config_error(key_path(key), "must be in [" + compact(min) + ", " + compact(max) + "], got " + text);
  }
  out = v;
  return Status();
}

Status YamlSection::read_bool(std::string_view key, bool& out) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "a boolean"));
  bool v = false;
  if (!YAML::convert<bool>::decode(get(key), v)) {
    return config_error(key_path(key), "expected a boolean, got '" + text + "'");
  }
  out = v;
  return Status();
}

Status YamlSection::read_string(std::string_view key, std::string& out, bool non_empty,
                                size_t max_bytes) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "a string"));
  if (non_empty && text.empty()) return config_error(key_path(key), "must not be empty");
  if (text.size() > max_bytes) {
    return config_error(key_path(key), "longer than " + std::to_string(max_bytes) + " bytes");
  }
  out = std::move(text);
  return Status();
}

Status YamlSection::read_duration(std::string_view key, Duration& out, Duration min) const {
  if (!has(key)) return Status();
  R1_ASSIGN_OR_RETURN(std::string text, scalar(key, "a duration"));
  R1_ASSIGN_OR_RETURN(Duration d, parse_duration(text, key_path(key)));
  if (d < min) return config_error(key_path(key), "must be >= " + format_duration(min));
  out = d;
  return Status();
}

Status YamlSection::read_strings(std::string_view key, std::vector<std::string>& out) const {
  if (!has(key)) return Status();
  YAML::Node child = get(key);
  if (!child.IsSequence()) {
    return config_error(key_path(key), std::string("expected a list of strings, got ") + yaml_kind(child));
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < child.size(); ++i) {
    if (!child[i].IsScalar()) {
      return config_error(key_path(key) + "[" + std::to_string(i) + "]",
                          std::string("expected a string, got ") + yaml_kind(child[i]));
    }
    values.push_back(child[i].Scalar());
  }
  out = std::move(values);
  return Status();
}

Result<YamlSection> YamlSection::section(std::string_view key) const {
  YAML::Node child = has(key) ? get(key) : YAML::Node();
  if (child.IsDefined() && !child.IsNull() && !child.IsMap()) {
    return config_error(key_path(key), std::string("expected a mapping, got ") + yaml_kind(child));
  }
  return YamlSection(child, key_path(key));
}

Status parse_yaml(std::string_view text, const char* what,
                  const std::function<Status(const YamlSection&)>& read_root) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return read_root(YamlSection(root, ""));
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string("yaml: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string(what) + ": " + e.what());
  }
}

}  // namespace r1::config

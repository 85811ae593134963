// YamlSection: strict, non-throwing typed reads from one YAML mapping, with
// errors that name the full key path ("pools[1].replicas: ..."): the one
// reader of every YAML file r1serve takes (the gateway config, the cost
// inputs). parse_yaml() loads a document and runs a reader over its root,
// catching yaml-cpp's exceptions.
//
// Thread contract: a value over a borrowed node; one thread at a time.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "config/duration.h"

namespace r1::config {

class YamlSection {
 public:
  YamlSection(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  // "health" + "interval" -> "health.interval"; top level -> "interval".
  std::string key_path(std::string_view key) const;
  const std::string& path() const { return path_; }

  // The node is a mapping (or null, meaning empty) whose keys are all in
  // `allowed`; otherwise "<path>.<key>: unknown key".
  Status check_keys(std::initializer_list<std::string_view> allowed) const;

  bool has(std::string_view key) const;
  YAML::Node get(std::string_view key) const { return node_[std::string(key)]; }

  // Each leaves `out` unchanged when the key is absent.
  Status read_int(std::string_view key, int& out, int min, int max) const;
  Status read_double(std::string_view key, double& out, double min, double max) const;
  Status read_bool(std::string_view key, bool& out) const;
  // At most `max_bytes` bytes ("longer than N bytes").
  Status read_string(std::string_view key, std::string& out, bool non_empty,
                     size_t max_bytes = std::string::npos) const;
  Status read_duration(std::string_view key, Duration& out, Duration min) const;
  Status read_strings(std::string_view key, std::vector<std::string>& out) const;

  // A child mapping section (null node when absent).
  Result<YamlSection> section(std::string_view key) const;

 private:
  Result<std::string> scalar(std::string_view key, const char* expected) const;

  YAML::Node node_;
  std::string path_;
};

// Loads `text` and calls `read_root` on its root section. A YAML syntax error
// is kInvalidArgument "yaml: <what>"; any other exception from yaml-cpp,
// "<what>: <message>" (`what`: "config", "inputs").
Status parse_yaml(std::string_view text, const char* what,
                  const std::function<Status(const YamlSection&)>& read_root);

// kInvalidArgument "<key_path>: <message>".
Error config_error(const std::string& key_path, const std::string& message);
const char* yaml_kind(const YAML::Node& node);

}  // namespace r1::config

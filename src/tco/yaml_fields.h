// YamlFields: strict, non-throwing typed reads from one YAML mapping of the
// TCO inputs, with errors that name the full key path
// ("hardware.purchase: expected a number, got 'lots'"). Same style as the
// gateway's YamlSection (src/gateway/yaml_reader.h), kept separate so that
// r1_tco needs only r1_core and yaml-cpp. yaml-cpp exceptions are caught by
// the caller (parse_inputs).
//
// Thread contract: a value over a borrowed node; one thread at a time.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::tco {

class YamlFields {
 public:
  YamlFields(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  // "power" + "watts" -> "power.watts"; top level -> "watts".
  std::string key_path(std::string_view key) const;

  // The node is a mapping (or null: empty) whose keys are all in `allowed`;
  // otherwise "<path>.<key>: unknown key".
  Status check_keys(std::initializer_list<std::string_view> allowed) const;
  bool has(std::string_view key) const;

  // Each leaves `out` unchanged when the key is absent.
  Status read_number(std::string_view key, double& out, double min, double max) const;
  Status read_string(std::string_view key, std::string& out, size_t max_bytes) const;
  // A whole number of months written "36m" or "3y", in [1, max_months].
  Status read_months(std::string_view key, int& out, int max_months) const;

  // A child mapping (empty when absent); an error when it is not a mapping.
  Result<YamlFields> section(std::string_view key) const;

 private:
  YAML::Node get(std::string_view key) const { return node_[std::string(key)]; }
  Result<std::string> scalar(std::string_view key, const char* expected) const;

  YAML::Node node_;
  std::string path_;
};

// kInvalidArgument "<key_path>: <message>".
Error input_error(const std::string& key_path, const std::string& message);

// "36m" -> 36, "3y" -> 36; anything else (no unit, fractions, other units,
// out of [1, max_months]) is an error naming `key_path`.
Result<int> parse_months(std::string_view text, const std::string& key_path, int max_months);

}  // namespace r1::tco

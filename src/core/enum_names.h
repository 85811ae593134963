// The names of an enum's values, declared once as a table: the name of a
// value and the value of a name (configs, state files, CLI options) are
// both read from it, so the two directions cannot disagree.
//
//   constexpr EnumName<Color> kColors[] = {{Color::kRed, "red"}, {Color::kBlue, "blue"}};
//   enum_name(kColors, Color::kRed)     -> "red"
//   enum_from_name(kColors, "blue")     -> Color::kBlue
//   enum_from_name(kColors, "green")    -> std::nullopt
//
// Each table's test walks every enumerator (a missing one names `unknown`).
//
// Thread contract: constexpr functions over immutable tables.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace r1 {

template <typename E>
struct EnumName {
  E value;
  const char* name;
};

template <typename E, size_t N>
constexpr const char* enum_name(const EnumName<E> (&table)[N], E value, const char* unknown = "?") {
  for (const EnumName<E>& e : table) {
    if (e.value == value) return e.name;
  }
  return unknown;
}

template <typename E, size_t N>
constexpr std::optional<E> enum_from_name(const EnumName<E> (&table)[N], std::string_view name) {
  for (const EnumName<E>& e : table) {
    if (name == e.name) return e.value;
  }
  return std::nullopt;
}

// "a, b or c": the names a parser's error lists as expected.
template <typename E, size_t N>
std::string enum_names_list(const EnumName<E> (&table)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += table[i].name;
  }
  return out;
}

}  // namespace r1

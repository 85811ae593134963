// EnumName tables: both directions from one table, the fallback for a value
// the table lacks, and the list an error message shows.
#include "core/enum_names.h"

#include <gtest/gtest.h>

namespace r1 {
namespace {

enum class Color { kRed, kGreen, kBlue, kUnlisted };

constexpr EnumName<Color> kColors[] = {{Color::kRed, "red"}, {Color::kGreen, "green"}, {Color::kBlue, "blue"}};

TEST(EnumNames, BothDirectionsFromOneTable) {
  for (const auto& [value, name] : kColors) {
    EXPECT_STREQ(enum_name(kColors, value), name);
    ASSERT_TRUE(enum_from_name(kColors, name).has_value()) << name;
    EXPECT_EQ(*enum_from_name(kColors, name), value);
  }
  static_assert(enum_from_name(kColors, "blue") == Color::kBlue);  // usable at compile time
  static_assert(std::string_view(enum_name(kColors, Color::kGreen)) == "green");
}

TEST(EnumNames, UnknownValuesAndNames) {
  EXPECT_STREQ(enum_name(kColors, Color::kUnlisted), "?");
  EXPECT_STREQ(enum_name(kColors, Color::kUnlisted, "none"), "none");
  EXPECT_FALSE(enum_from_name(kColors, "Red").has_value());  // exact, case-sensitive
  EXPECT_FALSE(enum_from_name(kColors, "").has_value());
  EXPECT_FALSE(enum_from_name(kColors, "red ").has_value());
}

TEST(EnumNames, ListForErrors) {
  EXPECT_EQ(enum_names_list(kColors), "red, green or blue");
  constexpr EnumName<Color> kOne[] = {{Color::kRed, "red"}};
  EXPECT_EQ(enum_names_list(kOne), "red");
  constexpr EnumName<Color> kTwo[] = {{Color::kRed, "red"}, {Color::kBlue, "blue"}};
  EXPECT_EQ(enum_names_list(kTwo), "red or blue");
}

}  // namespace
}  // namespace r1

#include <gtest/gtest.h>

#include "gateway/config/replica_id.h"

namespace r1::gateway {
namespace {

TEST(ReplicaId, RoundTripsAndSplitsAtTheLastSlash) {
  for (const ReplicaId& id : {ReplicaId{"default", 0}, ReplicaId{"v2", 17}, ReplicaId{"a/b", 3},
                              ReplicaId{"canary-1.5b", 999999}}) {
    const std::optional<ReplicaId> back = ReplicaId::parse(id.to_string());
    ASSERT_TRUE(back.has_value()) << id.to_string();
    EXPECT_EQ(*back, id);
  }
  EXPECT_EQ(ReplicaId({"v1", 4}).to_string(), "v1/4");
}

TEST(ReplicaId, RejectsWhatIsNotPoolSlashIndex) {
  for (const char* bad : {"", "/", "v1", "v1/", "/3", "v1/x", "v1/-1", "v1/+1", "v1/1x", "v1/ 1",
                          "v1/1234567", "v1/99999999999999999999"}) {
    EXPECT_FALSE(ReplicaId::parse(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace r1::gateway

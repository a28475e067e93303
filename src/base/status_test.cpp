#include "base/status.h"

#include <gtest/gtest.h>

namespace qwl {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return InvalidArgumentError("expected a positive number, got {}", x);
  return x;
}

Result<int> doubled(int x) {
  QWL_ASSIGN_OR_RETURN(int v, parse_positive(x));
  return v * 2;
}

Status check_all(int a, int b) {
  QWL_RETURN_IF_ERROR(parse_positive(a).status());
  QWL_RETURN_IF_ERROR(parse_positive(b).status().with_context("second"));
  return Status::Ok();
}

TEST(Status, OkAndError) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = CorruptError("{}: bad magic", "m.gguf");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.to_string(), "Corrupt: m.gguf: bad magic");
  EXPECT_EQ(s.with_context("loading").message(), "loading: m.gguf: bad magic");
}

TEST(Result, ValueAndErrorPropagate) {
  EXPECT_EQ(doubled(4).value(), 8);
  Result<int> r = doubled(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(check_all(1, 2).ok());
  EXPECT_EQ(check_all(1, -2).message(), "second: expected a positive number, got -2");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = parse_positive(0);
  EXPECT_DEATH((void)r.value(), "value\\(\\) of an error Result");
}

}  // namespace
}  // namespace qwl

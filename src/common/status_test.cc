#include "common/status.h"

#include <gtest/gtest.h>

namespace supportpipe {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd", "/x");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, ResultCarriesValueOrStatusWithField) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "/x");
  EXPECT_EQ(r.status().ToString(), "InvalidArgument: /x: odd");
}

}  // namespace
}  // namespace supportpipe

#include "warehouse/identity.h"

#include <gtest/gtest.h>

namespace supportpipe::warehouse {
namespace {

TEST(IdentityTest, EmailsMatchWhateverTheirCaseAndSpaces) {
  EXPECT_EQ(*NormalizeEmail(" Ana@Example.COM "), "ana@example.com");
  EXPECT_FALSE(NormalizeEmail("ana"));
  EXPECT_FALSE(NormalizeEmail("@example.com"));
  EXPECT_FALSE(NormalizeEmail("ana@"));
  EXPECT_FALSE(NormalizeEmail("a@b@c"));
}

TEST(IdentityTest, PhonesBecomeE164) {
  EXPECT_EQ(*NormalizePhone("+47 912 34 567", ""), "+4791234567");
  EXPECT_EQ(*NormalizePhone("0047 (912) 34-567", ""), "+4791234567");
  EXPECT_EQ(*NormalizePhone("912 34 567", "47"), "+4791234567");
  EXPECT_EQ(*NormalizePhone("030 1234567", "49"), "+49301234567");  // trunk 0 dropped
  EXPECT_FALSE(NormalizePhone("912 34 567", ""));                   // national, no default
  EXPECT_FALSE(NormalizePhone("+47 912", ""));                      // too short
  EXPECT_FALSE(NormalizePhone("+47 912 34 567 ext 2", ""));
  EXPECT_FALSE(NormalizePhone("+4 7+1", ""));
}

}  // namespace
}  // namespace supportpipe::warehouse

#include "orthanc/downloaded_object.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

TEST(DownloadedObjectTest, SmallObjectsStayInMemory) {
  DownloadedObject object(10);
  ASSERT_TRUE(object.Append("hello").ok());
  ASSERT_TRUE(object.Append("world").ok());
  auto bytes = object.Finish();
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "helloworld");
  EXPECT_FALSE(object.spilled());
}

TEST(DownloadedObjectTest, LargeObjectsSpillToATemporaryFile) {
  DownloadedObject object(10);
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string chunk = std::to_string(i) + ";";
    expected += chunk;
    ASSERT_TRUE(object.Append(chunk).ok());
  }
  EXPECT_TRUE(object.spilled());
  auto bytes = object.Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  EXPECT_EQ(*bytes, expected);
}

TEST(DownloadedObjectTest, EmptyObject) {
  DownloadedObject object(0);
  ASSERT_TRUE(object.Append("").ok());
  auto bytes = object.Finish();
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->empty());
}

}  // namespace
}  // namespace pacsport

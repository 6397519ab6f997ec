#include "storage/local_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "core/digest.h"

namespace pacsport {
namespace {
namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("store-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(LocalStoreTest, PutThenReadReturnsSameBytes) {
  auto store = LocalStore::Open(root_).ValueOrThrow();
  const std::string bytes("DICM\0binary\xff", 12);
  const std::string key = Sha256Hex(bytes);
  ASSERT_TRUE(store->Put(key, bytes).ok());
  EXPECT_TRUE(store->Contains(key));
  EXPECT_TRUE(fs::exists(root_ / key.substr(0, 2) / key.substr(2, 2) / key));
  auto read = store->Read({"local", key});
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, bytes);
  EXPECT_TRUE(fs::is_empty(root_ / "tmp"));
}

TEST_F(LocalStoreTest, PutIsIdempotentAndRemoveDeletes) {
  auto store = LocalStore::Open(root_).ValueOrThrow();
  const std::string key = Sha256Hex("x");
  ASSERT_TRUE(store->Put(key, "x").ok());
  ASSERT_TRUE(store->Put(key, "x").ok());
  ASSERT_TRUE(store->Remove(key).ok());
  EXPECT_FALSE(store->Contains(key));
  auto read = store->Read({"local", key});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code(), ErrorCode::kNotFound);
}

TEST_F(LocalStoreTest, RejectsKeysThatAreNotDigests) {
  auto store = LocalStore::Open(root_).ValueOrThrow();
  for (const std::string& key : std::vector<std::string>{"../../etc/passwd", "", std::string(64, 'A'),
                                                        std::string(63, 'a')}) {
    EXPECT_EQ(store->Put(key, "x").error().code(), ErrorCode::kInvalidInput) << key;
    EXPECT_EQ(store->Read({"local", key}).error().code(), ErrorCode::kInvalidInput) << key;
  }
}

TEST_F(LocalStoreTest, FailedWriteLeavesNothingBehind) {
  auto store = LocalStore::Open(root_).ValueOrThrow();
  const std::string key = Sha256Hex("y");
  // Make the final directory a file, so that the store cannot create it.
  fs::create_directories(root_ / key.substr(0, 2));
  { std::ofstream blocker(root_ / key.substr(0, 2) / key.substr(2, 2)); }
  const Status status = store->Put(key, "y");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(store->Contains(key));
  EXPECT_TRUE(fs::is_empty(root_ / "tmp"));
}

TEST_F(LocalStoreTest, PutChunksWritesAsTheyComeAndKeepsNothingOnAProducerError) {
  auto store = LocalStore::Open(root_).ValueOrThrow();
  const std::string key = Sha256Hex("abc");
  ASSERT_TRUE(store
                  ->PutChunks(key,
                              [](const LocalStore::ChunkConsumer& consume) {
                                for (const char* chunk : {"a", "b", "c"}) {
                                  if (Status s = consume(chunk); !s.ok()) return s;
                                }
                                return Status::Ok();
                              })
                  .ok());
  EXPECT_EQ(store->Read({"local", key}).ValueOrThrow(), "abc");

  const std::string other = Sha256Hex("xy");
  const Status failed = store->PutChunks(other, [](const LocalStore::ChunkConsumer& consume) {
    (void)consume("x");
    return Status(Unavailable("the source went away"));
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message(), "the source went away");
  EXPECT_FALSE(store->Contains(other));
  EXPECT_TRUE(fs::is_empty(root_ / "tmp"));
}

TEST_F(LocalStoreTest, OpenClearsStaleTemporaryFiles) {
  fs::create_directories(root_ / "tmp");
  { std::ofstream stale(root_ / "tmp" / "123-0-0.part"); stale << "half"; }
  auto store = LocalStore::Open(root_).ValueOrThrow();
  EXPECT_TRUE(fs::is_empty(root_ / "tmp"));
}

}  // namespace
}  // namespace pacsport

#include "zip/test_payloads.h"
#include "zip/prepared_entry.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <thread>
#include <vector>

#include "core/error.h"

namespace pacsport::zip {
namespace {

using ziptest::RandomBytes;
using ziptest::Text;

// CRC-32 by zlib, independent of the libdeflate implementation under test.
uint32_t ZlibCrc(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::string RawInflate(std::string_view payload, size_t size) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
  std::string out(size + 1, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(PrepareTest, DeflatesCompressibleData) {
  const std::string data = Text(100000, 1);
  const PreparedEntry e = Prepare("a/b.txt", data, 6);
  EXPECT_EQ(e.name, "a/b.txt");
  EXPECT_EQ(e.method, Method::kDeflate);
  EXPECT_EQ(e.uncompressed_size, data.size());
  EXPECT_EQ(e.crc32, ZlibCrc(data));
  EXPECT_LT(e.payload.size(), data.size() / 2);
  EXPECT_EQ(RawInflate(e.payload, data.size()), data);
}

TEST(PrepareTest, StoresIncompressibleData) {
  const std::string data = RandomBytes(50000, 2);
  const PreparedEntry e = Prepare("noise.bin", data, 9);
  EXPECT_EQ(e.method, Method::kStore);
  EXPECT_EQ(e.payload, data);
  EXPECT_EQ(e.crc32, ZlibCrc(data));
}

TEST(PrepareTest, LevelZeroStores) {
  const std::string data = Text(10000, 3);
  const PreparedEntry e = Prepare("t.txt", data, 0);
  EXPECT_EQ(e.method, Method::kStore);
  EXPECT_EQ(e.payload, data);
}

TEST(PrepareTest, EmptyAndTinyInputsAreStored) {
  const PreparedEntry empty = Prepare("empty", "", 9);
  EXPECT_EQ(empty.method, Method::kStore);
  EXPECT_EQ(empty.crc32, 0u);
  EXPECT_EQ(empty.uncompressed_size, 0u);
  EXPECT_TRUE(empty.payload.empty());
  const PreparedEntry tiny = Prepare("tiny", "x", 9);
  EXPECT_EQ(tiny.method, Method::kStore);
  EXPECT_EQ(tiny.payload, "x");
}

TEST(PrepareTest, RefusesLevelsOutsideZeroToNine) {
  EXPECT_THROW(Prepare("x", "data", 10), ErrorException);
  EXPECT_THROW(Prepare("x", "data", -1), ErrorException);
}

TEST(PrepareTest, GivesTheSameResultsOnParallelThreads) {
  std::vector<std::string> inputs;
  for (unsigned i = 0; i < 40; ++i)
    inputs.push_back(i % 3 == 0 ? RandomBytes(20000, i) : Text(30000 + i, i));
  std::vector<PreparedEntry> serial;
  for (const std::string& in : inputs) serial.push_back(Prepare("x", in, 6));
  std::vector<PreparedEntry> parallel(inputs.size());
  {
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = t; i < inputs.size(); i += 4) parallel[i] = Prepare("x", inputs[i], 6);
      });
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(parallel[i].method, serial[i].method) << i;
    EXPECT_EQ(parallel[i].crc32, serial[i].crc32) << i;
    EXPECT_TRUE(parallel[i].payload == serial[i].payload) << i;
  }
}

}  // namespace
}  // namespace pacsport::zip

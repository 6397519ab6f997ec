#include "delivery/s3_request.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace pacsport::delivery {
namespace {

TEST(S3RequestTest, UriEncodingKeepsOnlyUnreservedBytes) {
  EXPECT_EQ(AwsUriEncode("a-Z_0.9~", false), "a-Z_0.9~");
  EXPECT_EQ(AwsUriEncode("a b/c+d=é", false), "a%20b%2Fc%2Bd%3D%C3%A9");
  EXPECT_EQ(AwsUriEncode("backups/job 1/x.zip", true), "backups/job%201/x.zip");
}

TEST(S3RequestTest, QueryIsEncodedThenSortedAndValuelessNamesKeepTheirEquals) {
  EXPECT_EQ(CanonicalQuery({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQuery({{"uploadId", "a/b+c"}, {"partNumber", "2"}}),
            "partNumber=2&uploadId=a%2Fb%2Bc");
  EXPECT_EQ(CanonicalQuery({{"prefix", "x y"}, {"max-keys", "0"}, {"list-type", "2"}}),
            "list-type=2&max-keys=0&prefix=x%20y");
}

TEST(S3RequestTest, PathAndVirtualAddressing) {
  S3Bucket path{"http://127.0.0.1:9000", "exports", S3Addressing::kPath};
  EXPECT_EQ(path.BucketUrl("list-type=2"), "http://127.0.0.1:9000/exports?list-type=2");
  EXPECT_EQ(path.ObjectUrl("a/b c.zip", "uploads="),
            "http://127.0.0.1:9000/exports/a/b%20c.zip?uploads=");
  S3Bucket virtual_host{"https://s3.eu-west-1.amazonaws.com", "exports", S3Addressing::kVirtual};
  EXPECT_EQ(virtual_host.BucketUrl(), "https://exports.s3.eu-west-1.amazonaws.com/");
  EXPECT_EQ(virtual_host.ObjectUrl("p/x.zip"),
            "https://exports.s3.eu-west-1.amazonaws.com/p/x.zip");
}

TEST(S3RequestTest, EndpointIsSchemeHostAndPortOnly) {
  EXPECT_EQ(ParseS3Endpoint("http://127.0.0.1:9000/").value(), "http://127.0.0.1:9000");
  EXPECT_EQ(ParseS3Endpoint("https://minio.example.org").value(), "https://minio.example.org");
  EXPECT_FALSE(ParseS3Endpoint("ftp://host").ok());
  EXPECT_FALSE(ParseS3Endpoint("https://").ok());
  EXPECT_FALSE(ParseS3Endpoint("https://host/path").ok());
  EXPECT_FALSE(ParseS3Endpoint("https://user:pw@host").ok());
  EXPECT_FALSE(ParseS3Endpoint("https://host?x=1").ok());
}

TEST(S3RequestTest, BucketNameRules) {
  EXPECT_EQ(S3BucketNameProblem("pacs-exports.2026"), std::nullopt);
  EXPECT_TRUE(S3BucketNameProblem("ab").has_value());
  EXPECT_TRUE(S3BucketNameProblem(std::string(64, 'a')).has_value());
  EXPECT_TRUE(S3BucketNameProblem("Exports").has_value());
  EXPECT_TRUE(S3BucketNameProblem("-exports").has_value());
  EXPECT_TRUE(S3BucketNameProblem("exports.").has_value());
  EXPECT_TRUE(S3BucketNameProblem("ex..ports").has_value());
  EXPECT_TRUE(S3BucketNameProblem("ex_ports").has_value());
  EXPECT_TRUE(S3BucketNameProblem("192.168.1.1").has_value());
}

TEST(S3RequestTest, DigestsOfStringAndFileRangeAgree) {
  const BodyDigests abc = DigestOf("abc");
  EXPECT_EQ(abc.sha256_hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(abc.md5_hex, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(abc.md5_base64, "kAFQmDzST7DWlj99KOF/cg==");

  const auto path = std::filesystem::temp_directory_path() / "s3_request_test_digest.bin";
  std::string data(3 * (1 << 20) + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 % 251);
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const auto range = DigestOf(FileRange{fd, 5, data.size() - 10});
  ::close(fd);
  std::filesystem::remove(path);
  ASSERT_TRUE(range.ok());
  const BodyDigests expected = DigestOf(std::string_view(data).substr(5, data.size() - 10));
  EXPECT_EQ(range->sha256_hex, expected.sha256_hex);
  EXPECT_EQ(range->md5_base64, expected.md5_base64);
}

TEST(S3RequestTest, DigestOfAnUnreadableRangeFails) {
  const auto path = std::filesystem::temp_directory_path() / "s3_request_test_short.bin";
  std::ofstream(path) << "short";
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const auto digests = DigestOf(FileRange{fd, 0, 100});
  ::close(fd);
  std::filesystem::remove(path);
  ASSERT_FALSE(digests.ok());
  EXPECT_EQ(digests.error().code(), ErrorCode::kInternal);
}

TEST(S3RequestTest, CompletionListsPartsInOrderWithEscapedETags) {
  EXPECT_EQ(CompleteMultipartXml({"\"a1\"", "\"b2\""}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;a1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;b2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(S3RequestTest, ReadsElementsOfS3Answers) {
  const std::string created =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElE&amp;x</UploadId></InitiateMultipartUploadResult>";
  EXPECT_EQ(XmlElementText(created, "UploadId"), "VXBsb2FkIElE&x");
  EXPECT_EQ(XmlElementText(created, "Missing"), std::nullopt);
  const std::string completed =
      "<CompleteMultipartUploadResult><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
      "</CompleteMultipartUploadResult>";
  EXPECT_EQ(XmlElementText(completed, "ETag"), "\"3858f62230ac3c915f300c664312c11f-9\"");
  EXPECT_EQ(XmlElementText("<Code>unterminated", "Code"), std::nullopt);
}

TEST(S3RequestTest, FailuresMapStatusAndNameTheS3Code) {
  HttpAnswer missing{404,
                     "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
                     "exist</Message></Error>",
                     {}};
  const Error bucket = S3Failure("S3 PutObject in bucket b", missing);
  EXPECT_EQ(bucket.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(bucket.message(),
            "S3 PutObject in bucket b: HTTP 404 NoSuchBucket: The specified bucket does not exist");
  EXPECT_EQ(S3Failure("x", {403, "<Error><Code>SignatureDoesNotMatch</Code></Error>", {}}).code(),
            ErrorCode::kForbidden);
  EXPECT_EQ(S3Failure("x", {401, "", {}}).code(), ErrorCode::kForbidden);
  EXPECT_EQ(S3Failure("x", {503, "<Error><Code>SlowDown</Code></Error>", {}}).code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(S3Failure("x", {429, "", {}}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(S3Failure("x", {400, "", {}}).message(), "x: HTTP 400");
}

}  // namespace
}  // namespace pacsport::delivery

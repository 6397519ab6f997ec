// The multipart/related body STOW-RS sends: its exact layout, its boundary (never in a
// part), and Python's email parser (an independent MIME reader) splitting it back
// into the very parts.
#include "delivery/multipart_related.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace pacsport::delivery {
namespace {

std::string Joined(const MultipartRelated& body) {
  std::string joined;
  for (const std::string_view piece : body.Pieces()) joined += piece;
  return joined;
}

TEST(MultipartRelated, EachPartHasItsTypeBetweenDelimitersAndTheBodyCloses) {
  const std::string first = "DICM first\r\n";
  const std::string second(300, '\0');
  const MultipartRelated body("application/dicom", {first, second});
  const std::string& b = body.boundary();
  EXPECT_EQ(Joined(body), "--" + b + "\r\nContent-Type: application/dicom\r\n\r\n" + first +
                              "\r\n--" + b + "\r\nContent-Type: application/dicom\r\n\r\n" +
                              second + "\r\n--" + b + "--\r\n");
  EXPECT_EQ(body.size(), Joined(body).size());
  EXPECT_EQ(body.ContentType(), "multipart/related; type=\"application/dicom\"; boundary=" + b);
}

TEST(MultipartRelated, TheBoundaryIsRandomShortEnoughAndOfRfc2046sAlphabet) {
  const std::string a = MultipartRelated::RandomBoundary();
  EXPECT_NE(a, MultipartRelated::RandomBoundary());
  EXPECT_LE(a.size(), 70u);
  EXPECT_GE(a.size(), 40u);
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"),
            std::string::npos);
}

TEST(MultipartRelated, ABoundaryFoundInAPartIsNeverChosen) {
  const std::string part = "preamble --pacsport-taken\r\n and more";
  int drawn = 0;
  const std::string chosen = MultipartRelated::ChooseBoundary(
      {"clean", part}, [&] { return ++drawn < 3 ? "pacsport-taken" : "pacsport-free"; });
  EXPECT_EQ(chosen, "pacsport-free");
  EXPECT_EQ(drawn, 3);
}

// Python's email package (not this code) splits the body by its Content-Type.
TEST(MultipartRelated, PythonsMimeParserReadsBackTheVeryParts) {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>(i * 7 % 256);
  binary += "\r\n--not-the-boundary\r\n";
  const std::vector<std::string> parts = {binary, "x", std::string(70000, '-')};
  const MultipartRelated body("application/dicom", {parts[0], parts[1], parts[2]});
  const auto dir = std::filesystem::temp_directory_path() / ("multipart-" + body.boundary());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "body", std::ios::binary) << Joined(body);
  const std::string script =
      "import email.parser, email.policy, sys, os\n"
      "d = sys.argv[1]\n"
      "raw = b'Content-Type: ' + sys.argv[2].encode() + b'\\r\\n\\r\\n' + open(d + '/body', "
      "'rb').read()\n"
      "m = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)\n"
      "assert m.get_content_type() == 'multipart/related', m.get_content_type()\n"
      "for i, p in enumerate(m.iter_parts()):\n"
      "    assert p.get_content_type() == 'application/dicom'\n"
      "    open(d + '/part%d' % i, 'wb').write(p.get_payload(decode=True))\n"
      "print(len(list(m.iter_parts())))\n";
  std::ofstream(dir / "split.py") << script;
  const std::string command = "/usr/bin/python3 " + (dir / "split.py").string() + " " +
                              dir.string() + " '" + body.ContentType() + "'";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char count[16] = {};
  ASSERT_NE(fgets(count, sizeof count, pipe), nullptr);
  ASSERT_EQ(pclose(pipe), 0);
  EXPECT_EQ(std::string(count), "3\n");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::ifstream in(dir / ("part" + std::to_string(i)), std::ios::binary);
    const std::string read((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(read, parts[i]) << "part " << i;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pacsport::delivery

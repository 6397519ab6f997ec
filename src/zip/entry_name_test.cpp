#include "zip/entry_name.h"

#include <gtest/gtest.h>

#include <string>

namespace pacsport::zip {
namespace {

TEST(CheckEntryNameTest, AcceptsRelativeUtf8Paths) {
  for (const std::string name :
       {"a.txt", "patients/P1/studies/1.2.3/1.dcm", "Müller_患者/1.dcm", "1..dcm", ".hidden",
        "a b/c-d_e.json", "emoji_\xF0\x9F\x98\x80.txt"}) {
    EXPECT_TRUE(CheckEntryName(name).ok()) << name;
  }
  EXPECT_TRUE(CheckEntryName(std::string(0xFFFF, 'a')).ok());
}

TEST(CheckEntryNameTest, RefusesUnsafeNames) {
  const std::string bad[] = {
      "",                         // empty
      "/etc/passwd",              // absolute
      "C:/Windows/x",             // drive prefix
      "c:x",                      // drive-relative
      "..",                       // parent
      "../x",                     //
      "a/../../x",                //
      "a/..",                     //
      "./a",                      // current folder
      "a//b",                     // empty component
      "dir/",                     // folder entry
      "a\\b",                     // backslash
      "..\\x",                    //
      std::string("a\0b", 3),     // NUL
      "a\nb",                     // control character
      "a\x7F",                    // DEL
      "\xFF\xFE",                 // not UTF-8
      "\xC0\xAF",                 // overlong '/'
      "\xE0\x80\xAF",             // overlong '/'
      "\xED\xA0\x80",             // surrogate
      "\xF4\x90\x80\x80",         // beyond U+10FFFF
      "caf\xC3",                  // truncated sequence
      std::string(0x10000, 'a'),  // longer than the 16-bit length field
      "patients/CON/1.dcm",       // Windows device names
      "lpt1.txt",                 //
      "a/nul .dcm",               //
      "dots./1.dcm",              // Windows drops trailing dots...
      "space /1.dcm",             // ...and spaces
      "...",                      //
  };
  for (const std::string& name : bad) {
    const Status s = CheckEntryName(name);
    ASSERT_FALSE(s.ok()) << testing::PrintToString(name);
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidInput);
    if (name.size() > 3) {
      EXPECT_EQ(s.error().message().find(name), std::string::npos) << "echoes the name";
    }
  }
}

TEST(IsPortableComponentTest, RefusesWindowsDeviceNamesInAnyCaseAndWithExtensions) {
  for (const std::string name :
       {"CON", "con", "Prn", "aux", "NUL", "nul.txt", "CON.dcm", "con.tar.gz", "NUL .txt", "COM1",
        "com9", "COM0", "LPT1", "LPT1.txt", "lpt9.png", "COM\xC2\xB9", "lpt\xC2\xB3.x", "CONIN$",
        "conout$.log"}) {
    EXPECT_FALSE(IsPortableComponent(name)) << name;
  }
  for (const std::string name :
       {"CONS", "ICON", "_CON", "COM10", "LPT", "COM", "COMA", "con_2", "NULL", "AUX1", "a.CON",
        "PRN-1.dcm", "1.dcm", "1.2.840.10008", "COM\xC2\xB4"}) {
    EXPECT_TRUE(IsPortableComponent(name)) << name;
  }
}

TEST(IsPortableComponentTest, RefusesTrailingDotsAndSpaces) {
  for (const std::string name : {".", "..", "...", "a.", "a ", "a. ", " "}) {
    EXPECT_FALSE(IsPortableComponent(name)) << "[" << name << "]";
  }
  EXPECT_TRUE(IsPortableComponent(".hidden"));
  EXPECT_TRUE(IsPortableComponent(" a"));
}

TEST(IsPlainAsciiTest, DetectsNonAsciiBytes) {
  EXPECT_TRUE(IsPlainAscii("patients/P1/1.dcm"));
  EXPECT_FALSE(IsPlainAscii("Müller/1.dcm"));
  EXPECT_FALSE(IsPlainAscii("\x80"));
}

}  // namespace
}  // namespace pacsport::zip

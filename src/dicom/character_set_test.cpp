#include "dicom/character_set.h"

#include <gtest/gtest.h>

#include "dicom/instance_parser.h"
#include "dicom/test_objects.h"

namespace pacsport::dicom {
namespace {

TEST(CharacterSetTest, ReadsMisspeltTermsAsTheEvidentOne) {
  for (const char* spelling : {"ISO-IR 100", "ISO_IR100", "iso_ir 100", "  ISO_IR  100 ",
                               "ISO IR 100", "ISO 8859-1", "iso-8859-1", "ISO8859-1", "Latin1"}) {
    EXPECT_EQ(NormalizeSpecificCharacterSet(spelling), "ISO_IR 100") << spelling;
  }
  EXPECT_EQ(NormalizeSpecificCharacterSet("utf-8"), "ISO_IR 192");
  EXPECT_EQ(NormalizeSpecificCharacterSet("ISO_IR_192"), "ISO_IR 192");
  EXPECT_EQ(NormalizeSpecificCharacterSet("gb18030"), "GB18030");
  EXPECT_EQ(NormalizeSpecificCharacterSet("ISO-2022-IR-6\\iso 2022 ir 100"),
            "ISO 2022 IR 6\\ISO 2022 IR 100");
}

TEST(CharacterSetTest, KeepsDefinedAndUnknownTerms) {
  EXPECT_EQ(NormalizeSpecificCharacterSet("ISO_IR 100"), "ISO_IR 100");
  EXPECT_EQ(NormalizeSpecificCharacterSet("\\ISO 2022 IR 87"), "\\ISO 2022 IR 87");
  EXPECT_EQ(NormalizeSpecificCharacterSet(""), "");
  EXPECT_EQ(NormalizeSpecificCharacterSet(" KLINGON "), "KLINGON");
  EXPECT_EQ(NormalizeSpecificCharacterSet("ISO_IR 1000"), "ISO_IR 1000");
}

// Names of objects whose Specific Character Set is misspelt decode as meant, not
// as U+FFFD.
TEST(CharacterSetTest, ParsedNamesDecodeUnderAMisspeltCharacterSet) {
  struct Case {
    const char* character_set;
    std::string stored;
    const char* expected;
  };
  for (const Case& c :
       {Case{"ISO-IR 100",
             "M\xFC"
             "ller^J\xFCrgen",
             "Müller^Jürgen"},
        Case{"ISO_IR100",
             "M\xFC"
             "ller",
             "Müller"},
        Case{"iso_ir 100",
             "M\xFC"
             "ller",
             "Müller"},
        Case{"ISO 8859-1",
             "M\xFC"
             "ller",
             "Müller"},
        Case{"ISO-IR 144", "\xB8\xD2\xD0\xDD", "Иван"}, Case{"UTF-8", "Müller", "Müller"}}) {
    SCOPED_TRACE(c.character_set);
    const std::string dataset = testing::Element(0x0008, 0x0005, "CS", c.character_set) +
                                testing::Element(0x0008, 0x0018, "UI", "1.2.3.4.5.6.3") +
                                testing::Element(0x0010, 0x0010, "PN", c.stored) +
                                testing::Element(0x0010, 0x0020, "LO", c.stored) +
                                testing::Element(0x0020, 0x000D, "UI", "1.2.3.4.5.6.1") +
                                testing::Element(0x0020, 0x000E, "UI", "1.2.3.4.5.6.2");
    const Result<InstanceMetadata> parsed = ParseInstance(testing::Part10File(dataset));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(parsed->patient_name, c.expected);
    EXPECT_EQ(parsed->patient_id, std::string(c.expected));
  }
}

}  // namespace
}  // namespace pacsport::dicom

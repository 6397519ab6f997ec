#include "core/xml_text.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

TEST(XmlEscape, MarkupWhiteSpaceAndInvalidText) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(XmlEscape("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
  EXPECT_EQ(XmlEscape("Müller^Zoë 山田"), "Müller^Zoë 山田");
  EXPECT_EQ(XmlEscape(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");  // NUL: not an XML char
  EXPECT_EQ(XmlEscape("\x1B"), "\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("\xC3"), "\xEF\xBF\xBD");                                  // truncated
  EXPECT_EQ(XmlEscape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(XmlEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBF"), "\xEF\xBF\xBD");  // U+FFFF: not an XML char
  EXPECT_EQ(XmlEscape(""), "");
}

}  // namespace
}  // namespace pacsport

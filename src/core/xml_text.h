// Text and attribute values of XML written by hand (the DICOM audit messages, the S3
// multipart completion): markup characters and the white space that attribute
// normalisation would change become references; what XML 1.0 cannot carry (control
// characters, ill-formed UTF-8) becomes U+FFFD, so the document always parses.
#pragma once

#include <string>
#include <string_view>

namespace pacsport {

std::string XmlEscape(std::string_view text);

}  // namespace pacsport

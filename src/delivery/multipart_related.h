// MultipartRelated: a multipart/related body (RFC 2387, RFC 2046 section 5.1) whose
// parts all have one media type, as DICOMweb STOW-RS sends instances (PS3.18 section
// 10.5: type="application/dicom", one Part 10 file per part).
//
// The body is "--B CRLF Content-Type: TYPE CRLF CRLF part CRLF" for each part, then
// "--B--" CRLF. Its boundary B is random, and is checked absent from every part (a
// part holding "--B" could end early at the receiver), another being drawn if it is
// not. The parts are borrowed, never copied: they must outlive the pieces. Immutable,
// so thread-safe once made.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pacsport::delivery {

class MultipartRelated {
 public:
  // At least one part. `type` is the parts' media type, e.g. "application/dicom".
  MultipartRelated(std::string type, std::vector<std::string_view> parts);

  // The first of `candidates()` found in no part (RFC 2046: at most 70 characters of
  // its alphabet; the default candidates are 40 random letters and digits, so a
  // second draw is all but never needed).
  static std::string ChooseBoundary(const std::vector<std::string_view>& parts,
                                    const std::function<std::string()>& candidates);
  static std::string RandomBoundary();

  const std::string& boundary() const { return boundary_; }
  // The request's Content-Type value: multipart/related; type="TYPE"; boundary=B.
  std::string ContentType() const;
  // The body, as consecutive pieces: delimiters (owned here) around the parts.
  std::vector<std::string_view> Pieces() const;
  std::uint64_t size() const;

 private:
  std::string type_;
  std::vector<std::string_view> parts_;
  std::string boundary_;
  std::string part_head_;  // "--B CRLF Content-Type: TYPE CRLF CRLF"
  std::string part_tail_;  // CRLF ending a part
  std::string close_;      // "--B--" CRLF
};

}  // namespace pacsport::delivery

#include "delivery/multipart_related.h"

#include <algorithm>
#include <random>

namespace pacsport::delivery {

MultipartRelated::MultipartRelated(std::string type, std::vector<std::string_view> parts)
    : type_(std::move(type)),
      parts_(std::move(parts)),
      boundary_(ChooseBoundary(parts_, RandomBoundary)),
      part_head_("--" + boundary_ + "\r\nContent-Type: " + type_ + "\r\n\r\n"),
      part_tail_("\r\n"),
      close_("--" + boundary_ + "--\r\n") {}

std::string MultipartRelated::ChooseBoundary(const std::vector<std::string_view>& parts,
                                             const std::function<std::string()>& candidates) {
  for (;;) {
    std::string boundary = candidates();
    if (std::none_of(parts.begin(), parts.end(), [&](std::string_view part) {
          return part.find(boundary) != std::string_view::npos;
        })) {
      return boundary;
    }
  }
}

std::string MultipartRelated::RandomBoundary() {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string boundary = "pacsport-";
  for (int i = 0; i < 40; ++i) boundary += kAlphabet[pick(random)];
  return boundary;
}

std::string MultipartRelated::ContentType() const {
  return "multipart/related; type=\"" + type_ + "\"; boundary=" + boundary_;
}

std::vector<std::string_view> MultipartRelated::Pieces() const {
  std::vector<std::string_view> pieces;
  pieces.reserve(parts_.size() * 3 + 1);
  for (const std::string_view part : parts_) {
    pieces.push_back(part_head_);
    pieces.push_back(part);
    pieces.push_back(part_tail_);
  }
  pieces.push_back(close_);
  return pieces;
}

std::uint64_t MultipartRelated::size() const {
  std::uint64_t size = close_.size();
  for (const std::string_view part : parts_) {
    size += part_head_.size() + part.size() + part_tail_.size();
  }
  return size;
}

}  // namespace pacsport::delivery

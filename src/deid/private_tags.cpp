#include "deid/private_tags.h"

#include <algorithm>
#include <iterator>

namespace pacsport::deid {
namespace {

struct SafePrivate {
  std::string_view creator;
  std::uint16_t group;
  std::uint8_t offset;  // the element's low byte within its block
  std::string_view meaning;
};

constexpr SafePrivate kSafe[] = {
    {"SIEMENS MR HEADER", 0x0019, 0x0C, "diffusion b-value"},
    {"SIEMENS MR HEADER", 0x0019, 0x0D, "diffusion directionality"},
    {"SIEMENS MR HEADER", 0x0019, 0x0E, "diffusion gradient direction"},
    {"GEMS_PARM_01", 0x0043, 0x39, "diffusion b-value (slop_int_6..9)"},
};

}  // namespace

bool IsSafePrivate(std::string_view creator, std::uint16_t group, std::uint16_t element) {
  return std::any_of(std::begin(kSafe), std::end(kSafe), [&](const SafePrivate& safe) {
    return safe.creator == creator && safe.group == group && (element & 0xFF) == safe.offset;
  });
}

bool IsSafeCreator(std::string_view creator, std::uint16_t group) {
  return std::any_of(std::begin(kSafe), std::end(kSafe), [&](const SafePrivate& safe) {
    return safe.creator == creator && safe.group == group;
  });
}

}  // namespace pacsport::deid

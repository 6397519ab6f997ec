#include "core/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace pacsport {
namespace {

std::string ToHex(const unsigned char* bytes, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (unsigned int i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return hex;
}

std::string DigestHex(const EVP_MD* md, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &size, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return ToHex(out, size);
}

}  // namespace

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  if (state_->ctx == nullptr || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 init failed");
  }
}

Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(state_->ctx, data, size);
}

std::string Sha256::FinishHex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx, out, &size);
  return ToHex(out, size);
}

std::string Sha256Hex(std::string_view bytes) { return DigestHex(EVP_sha256(), bytes); }
std::string Sha1Hex(std::string_view bytes) { return DigestHex(EVP_sha1(), bytes); }

std::string OrthancInstanceId(std::string_view patient_id, std::string_view study_uid,
                              std::string_view series_uid, std::string_view sop_uid) {
  std::string joined;
  joined.append(patient_id).append("|").append(study_uid).append("|");
  joined.append(series_uid).append("|").append(sop_uid);
  const std::string hex = Sha1Hex(joined);
  std::string id;
  for (size_t group = 0; group < 5; ++group) {
    if (group > 0) id += '-';
    id.append(hex, group * 8, 8);
  }
  return id;
}

}  // namespace pacsport

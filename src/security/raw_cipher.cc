#include "security/raw_cipher.h"

#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/crypto.h"

namespace supportpipe::security {
namespace {

constexpr size_t kIdBytes = 8;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16

Result<std::array<unsigned char, 32>> ReadKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read the key file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string hex = ss.str();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
    hex.pop_back();
  }
  std::array<unsigned char, 32> key{};
  size_t len = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != 32) {
    sodium_memzero(hex.data(), hex.size());
    return InvalidArgument(
        "must hold a 256-bit key as 64 hex digits (make one with: openssl rand -hex 32)", path);
  }
  sodium_memzero(hex.data(), hex.size());
  return key;
}

}  // namespace

Result<std::unique_ptr<RawCipher>> RawCipher::Load(const std::string& current_file,
                                                   const std::vector<std::string>& previous_files) {
  if (sodium_init() < 0) return Internal("libsodium could not initialise");
  std::unique_ptr<RawCipher> c(new RawCipher());
  std::vector<std::string> files = {current_file};
  files.insert(files.end(), previous_files.begin(), previous_files.end());
  for (const std::string& f : files) {
    ASSIGN_OR_RETURN(auto bytes, ReadKey(f));
    const std::string digest =
        Sha256("supportpipe raw key id:" +
               std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    c->keys_.push_back({digest.substr(0, kIdBytes), bytes});
  }
  return c;
}

std::string RawCipher::current_key_id() const { return HexEncode(keys_[0].id); }

std::string RawCipher::Seal(std::string_view plaintext, std::string_view context) const {
  const Key& k = keys_[0];
  std::string out(log::kSealedMagic);
  out += k.id;
  const size_t header = out.size();
  out.resize(header + kNonceBytes + plaintext.size() + kTagBytes);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + header);
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(context.data()), context.size(),
      nullptr, nonce, k.bytes.data());
  out.resize(header + kNonceBytes + written);
  return out;
}

Result<std::string> RawCipher::Open(std::string_view stored, std::string_view context) const {
  const size_t header = log::kSealedMagic.size() + kIdBytes;
  if (!log::LooksSealed(stored) || stored.size() < header + kNonceBytes + kTagBytes) {
    return DataLoss("the sealed payload is truncated");
  }
  const std::string_view id = stored.substr(log::kSealedMagic.size(), kIdBytes);
  const Key* key = nullptr;
  for (const Key& k : keys_) {
    if (k.id == id) key = &k;
  }
  if (!key) {
    return InvalidArgument("it is sealed with key " + HexEncode(id) +
                           ", which is not configured: add its file to [privacy] "
                           "previous_key_files");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(stored.data() + header);
  const std::string_view ct = stored.substr(header + kNonceBytes);
  std::string out(ct.size() - kTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
          reinterpret_cast<const unsigned char*>(ct.data()), ct.size(),
          reinterpret_cast<const unsigned char*>(context.data()), context.size(), nonce,
          key->bytes.data()) != 0) {
    return DataLoss("it does not decrypt: altered, or moved from another record");
  }
  out.resize(len);
  return out;
}

}  // namespace supportpipe::security

#include "common/auth/token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/atomic_file.h"
#include "common/auth/curve_keys.h"
#include "common/digest/sha256.h"

namespace jobctl::auth {
namespace {

constexpr std::string_view kPrefix = "jct1_";
constexpr size_t kHexKeyChars = 2 * kKeyBytes;

std::string ToHex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> FromHex(std::string_view hex) {
  std::string raw;
  raw.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("token: not hexadecimal");
    raw.push_back(static_cast<char>(hi * 16 + lo));
  }
  return raw;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view TokenKindName(TokenKind kind) {
  return kind == TokenKind::kAgent ? "agent" : "user";
}

Result<TokenKind> ParseTokenKind(std::string_view name) {
  if (name == "agent") return TokenKind::kAgent;
  if (name == "user") return TokenKind::kUser;
  return InvalidArgumentError("token kind: expected agent or user, got '" + std::string(name) +
                              "'");
}

std::string Token::Encode() const {
  auto server = Z85DecodeKey(server_public, "controller key");
  auto client = Z85DecodeKey(client_secret, "client key");
  if (!server.ok() || !client.ok()) return "";
  return std::string(kPrefix) + std::string(TokenKindName(kind)) + "_" + ToHex(*server) +
         ToHex(*client);
}

Result<Token> ParseToken(std::string_view text) {
  text = Trim(text);
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return InvalidArgumentError("not a jobctl token (it should start with '" +
                                std::string(kPrefix) + "'; make one with `jobctl token create`)");
  }
  text.remove_prefix(kPrefix.size());
  size_t sep = text.find('_');
  if (sep == std::string_view::npos) return InvalidArgumentError("token: no kind (agent or user)");
  JOBCTL_ASSIGN_OR_RETURN(TokenKind kind, ParseTokenKind(text.substr(0, sep)));
  std::string_view keys = text.substr(sep + 1);
  if (keys.size() != 2 * kHexKeyChars) {
    return InvalidArgumentError("token: expected " + std::to_string(2 * kHexKeyChars) +
                                " hex digits after the kind, got " + std::to_string(keys.size()) +
                                " (was it cut when copied?)");
  }
  JOBCTL_ASSIGN_OR_RETURN(std::string server, FromHex(keys.substr(0, kHexKeyChars)));
  JOBCTL_ASSIGN_OR_RETURN(std::string client, FromHex(keys.substr(kHexKeyChars)));
  return Token{kind, Z85EncodeKey(server), Z85EncodeKey(client)};
}

std::string TokenId(std::string_view client_public_z85) {
  auto raw = Z85DecodeKey(client_public_z85, "client key");
  return digest::Sha256Hex(raw.ok() ? std::string_view(*raw) : client_public_z85).substr(0, 12);
}

Result<Token> ReadTokenFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return NotFoundError("token file " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    return PermissionDeniedError("token file " + path +
                                 " is readable by other users; run `chmod 600 " + path + "`");
  }
  std::ifstream in(path);
  if (!in) return NotFoundError("token file " + path + ": cannot open");
  std::string line;
  while (std::getline(in, line)) {
    if (Trim(line).empty()) continue;
    auto token = ParseToken(line);
    if (!token.ok()) return token.status().WithContext("token file " + path);
    return token;
  }
  return InvalidArgumentError("token file " + path + " is empty");
}

Status WriteTokenFile(const std::string& path, const Token& token) {
  return WriteFileAtomically(path, token.Encode() + "\n", 0600);
}

}  // namespace jobctl::auth

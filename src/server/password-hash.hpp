// Admin password hashes: PBKDF2-HMAC-SHA256 strings for the config file, and their checks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace callbox::server {

// Passwords longer than this are refused before any hashing (a password, not a document).
constexpr std::size_t kMaxPasswordBytes = 256;
// Iterations of new hashes: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
constexpr unsigned kPasswordIterations = 600000;

// "$pbkdf2-sha256$<iterations>$<salt, base64>$<key, base64>" with a random 16-byte salt.
// `password` has at most kMaxPasswordBytes.
std::string hash_password(std::string_view password, unsigned iterations = kPasswordIterations);
// Whether `password` is the one `encoded` was made from, with the iterations `encoded` names.
// False for a password over kMaxPasswordBytes, without hashing it.
bool verify_password(std::string_view password, std::string_view encoded);

// callboxd --hash-password: reads a password from standard input (prompting on a terminal) and
// prints the config line with its hash; the exit status.
int print_password_hash_from_stdin();

} // namespace callbox::server

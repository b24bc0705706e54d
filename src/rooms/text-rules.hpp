// The protocol's limits on room names, nicknames and message text (counted in code points).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace callbox::rooms {

inline constexpr long kRoomMaxChars = 32;
inline constexpr long kNickMaxChars = 24;
inline constexpr long kTextMaxChars = 2000;

// Each returns the trimmed text when it obeys the rule, nothing otherwise.
std::optional<std::string> valid_room_name(std::string_view raw);
std::optional<std::string> valid_nick(std::string_view raw);
std::optional<std::string> valid_text(std::string_view raw);

// The key under which nicknames are compared (case-insensitive, canonical form).
std::string nick_key(std::string_view nick);

// Trims Unicode white space at both ends of valid UTF-8.
std::string_view trim(std::string_view text);

} // namespace callbox::rooms

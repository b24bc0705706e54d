// Room name, nickname and text rules: trimming, code-point counts, allowed characters.
#include "rooms/text-rules.hpp"

#include <glib.h>

namespace callbox::rooms
{

namespace
{

bool valid_utf8(std::string_view text)
{
    return g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr);
}

long code_points(std::string_view text)
{
    return g_utf8_strlen(text.data(), static_cast<gssize>(text.size()));
}

bool room_char(gunichar c)
{
    return g_unichar_isalpha(c) || g_unichar_ismark(c) || g_unichar_isdigit(c) || c == ' ' ||
           c == '-' || c == '_';
}

template <typename Allowed>
std::optional<std::string> check(std::string_view raw, long max_chars, Allowed allowed)
{
    if (!valid_utf8(raw))
        return std::nullopt;
    std::string_view text = trim(raw);
    long n = code_points(text);
    if (n < 1 || n > max_chars)
        return std::nullopt;
    const char *end = text.data() + text.size();
    for (const char *p = text.data(); p < end; p = g_utf8_next_char(p))
        if (!allowed(g_utf8_get_char(p)))
            return std::nullopt;
    return std::string(text);
}

} // namespace

std::string_view trim(std::string_view text)
{
    const char *begin = text.data();
    const char *end = begin + text.size();
    while (begin < end && g_unichar_isspace(g_utf8_get_char(begin)))
        begin = g_utf8_next_char(begin);
    while (end > begin) {
        const char *prev = g_utf8_find_prev_char(begin, end);
        if (!prev || !g_unichar_isspace(g_utf8_get_char(prev)))
            break;
        end = prev;
    }
    return std::string_view(begin, static_cast<std::size_t>(end - begin));
}

std::optional<std::string> valid_room_name(std::string_view raw)
{
    return check(raw, kRoomMaxChars, room_char);
}

std::optional<std::string> valid_nick(std::string_view raw)
{
    return check(raw, kNickMaxChars, [](gunichar c) { return !g_unichar_iscntrl(c); });
}

std::optional<std::string> valid_text(std::string_view raw)
{
    return check(raw, kTextMaxChars, [](gunichar) { return true; });
}

std::string nick_key(std::string_view nick)
{
    g_autofree char *folded = g_utf8_casefold(nick.data(), static_cast<gssize>(nick.size()));
    g_autofree char *normal = g_utf8_normalize(folded, -1, G_NORMALIZE_ALL_COMPOSE);
    return normal ? normal : folded;
}

} // namespace callbox::rooms

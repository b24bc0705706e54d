// Room name, nickname and text rules: trimming, code-point counts, allowed characters.
#include "rooms/text-rules.hpp"

#include <glib.h>

namespace callbox::rooms {

namespace {

// Walks valid UTF-8 that may hold NUL (a JSON "\u0000"); false on an invalid sequence.
template <typename Visit> bool each_code_point(std::string_view text, Visit visit)
{
    const char *p = text.data();
    const char *end = p + text.size();
    while (p < end) {
        gunichar c = *p ? g_utf8_get_char_validated(p, end - p) : 0;
        if (c == static_cast<gunichar>(-1) || c == static_cast<gunichar>(-2))
            return false;
        visit(c);
        p = *p ? g_utf8_next_char(p) : p + 1;
    }
    return true;
}

bool room_char(gunichar c)
{
    return g_unichar_isalpha(c) || g_unichar_ismark(c) || g_unichar_isdigit(c) || c == ' ' ||
           c == '-' || c == '_';
}

template <typename Allowed>
std::optional<std::string> check(std::string_view raw, long max_chars, Allowed allowed)
{
    long n = 0;
    bool ok = true;
    std::string_view text = trim(raw);
    if (!each_code_point(text, [&](gunichar c) { ++n, ok = ok && allowed(c); }) || !ok || n < 1 ||
        n > max_chars)
        return std::nullopt;
    return std::string(text);
}

} // namespace

std::string_view trim(std::string_view text)
{
    const char *begin = text.data();
    const char *end = begin + text.size();
    while (begin < end && *begin && g_unichar_isspace(g_utf8_get_char(begin)))
        begin = g_utf8_next_char(begin);
    while (end > begin) {
        const char *prev = g_utf8_find_prev_char(begin, end);
        if (!prev || !*prev || !g_unichar_isspace(g_utf8_get_char(prev)))
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

// JSON reader: recursive descent over the grammar of RFC 8259, UTF-8 checked, surrogates paired.
#include "protocol/json-reader.hpp"

#include <glib.h>

#include <charconv>

namespace callbox::protocol {

const JsonValue *JsonValue::get(std::string_view key) const
{
    for (auto it = members.rbegin(); it != members.rend(); ++it)
        if (it->first == key)
            return &it->second;
    return nullptr;
}

namespace {

class Reader
{
public:
    Reader(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

    std::optional<JsonValue> document(std::string &error)
    {
        JsonValue v;
        skip_space();
        bool ok = value(v, 0);
        skip_space();
        if (ok && pos_ != text_.size())
            ok = fail("unexpected text after the value");
        if (!ok) {
            error = error_ + " at byte " + std::to_string(pos_);
            return std::nullopt;
        }
        return v;
    }

private:
    bool fail(const char *why)
    {
        if (error_.empty())
            error_ = why;
        return false;
    }

    void skip_space()
    {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    bool literal(std::string_view word)
    {
        if (text_.substr(pos_, word.size()) != word)
            return fail("unexpected character");
        pos_ += word.size();
        return true;
    }

    bool value(JsonValue &v, int depth)
    {
        if (pos_ >= text_.size())
            return fail("unexpected end of the text");
        const std::size_t start = pos_;
        bool ok;
        switch (text_[pos_]) {
        case '{':
            ok = object(v, depth + 1);
            break;
        case '[':
            ok = array(v, depth + 1);
            break;
        case '"':
            v.type = JsonValue::Type::String;
            ok = string(v.string);
            break;
        case 't':
            v.type = JsonValue::Type::Bool;
            v.boolean = true;
            ok = literal("true");
            break;
        case 'f':
            v.type = JsonValue::Type::Bool;
            ok = literal("false");
            break;
        case 'n':
            ok = literal("null");
            break;
        default:
            ok = number(v);
        }
        v.source = text_.substr(start, pos_ - start);
        return ok;
    }

    // Takes `c` if it comes next.
    bool eat(char c)
    {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    // An object or array: the brackets and commas; `element` reads one member or item.
    template <typename Element>
    bool container(JsonValue &v, int depth, JsonValue::Type type, char close, Element element)
    {
        if (depth > max_depth_)
            return fail("nested too deeply");
        v.type = type;
        ++pos_;
        skip_space();
        if (eat(close))
            return true;
        for (;;) {
            skip_space();
            if (!element())
                return false;
            skip_space();
            if (eat(','))
                continue;
            if (eat(close))
                return true;
            return fail(close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }

    bool object(JsonValue &v, int depth)
    {
        return container(v, depth, JsonValue::Type::Object, '}', [&] {
            if (pos_ >= text_.size() || text_[pos_] != '"')
                return fail("expected a member name in double quotes");
            std::string key;
            if (!string(key))
                return false;
            skip_space();
            if (!eat(':'))
                return fail("expected ':'");
            skip_space();
            JsonValue member;
            if (!value(member, depth))
                return false;
            v.members.emplace_back(std::move(key), std::move(member));
            return true;
        });
    }

    bool array(JsonValue &v, int depth)
    {
        return container(v, depth, JsonValue::Type::Array, ']', [&] {
            JsonValue item;
            if (!value(item, depth))
                return false;
            v.items.push_back(std::move(item));
            return true;
        });
    }

    bool hex4(unsigned &out)
    {
        if (pos_ + 4 > text_.size())
            return fail("short \\u escape");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            int d = g_ascii_xdigit_value(text_[pos_++]);
            if (d < 0)
                return fail("bad \\u escape");
            out = out * 16 + static_cast<unsigned>(d);
        }
        return true;
    }

    bool string(std::string &out)
    {
        ++pos_; // the opening quote
        for (;;) {
            if (pos_ >= text_.size())
                return fail("unterminated string");
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return fail("control character in a string");
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            if (++pos_ >= text_.size())
                return fail("unterminated string");
            switch (text_[pos_++]) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned cp;
                if (!hex4(cp))
                    return false;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return fail("lone low surrogate");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned low;
                    if (text_.substr(pos_, 2) != "\\u")
                        return fail("lone high surrogate");
                    pos_ += 2;
                    if (!hex4(low))
                        return false;
                    if (low < 0xdc00 || low > 0xdfff)
                        return fail("lone high surrogate");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                }
                char buf[6];
                out.append(buf, static_cast<std::size_t>(g_unichar_to_utf8(cp, buf)));
                break;
            }
            default:
                return fail("bad escape");
            }
        }
    }

    bool number(JsonValue &v)
    {
        const std::size_t start = pos_;
        auto digits = [this] {
            std::size_t n = 0;
            while (pos_ < text_.size() && g_ascii_isdigit(text_[pos_]))
                ++pos_, ++n;
            return n;
        };
        if (pos_ < text_.size() && text_[pos_] == '-')
            ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '0')
            ++pos_;
        else if (digits() == 0)
            return fail("unexpected character");
        bool integral = true;
        if (pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            integral = false;
            if (digits() == 0)
                return fail("digits expected after '.'");
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            integral = false;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
                ++pos_;
            if (digits() == 0)
                return fail("digits expected in the exponent");
        }
        v.type = JsonValue::Type::Number;
        const std::string token(text_.substr(start, pos_ - start));
        v.number = g_ascii_strtod(token.c_str(), nullptr);
        if (integral) {
            auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v.integer);
            v.is_integer = ec == std::errc() && end == token.data() + token.size();
        }
        return true;
    }

    std::string_view text_;
    int max_depth_;
    std::size_t pos_ = 0;
    std::string error_;
};

} // namespace

std::optional<JsonValue> read_json(std::string_view text, std::string &error, int max_depth)
{
    if (!g_utf8_validate_len(text.data(), text.size(), nullptr)) {
        error = "the text is not valid UTF-8";
        return std::nullopt;
    }
    return Reader(text, max_depth).document(error);
}

} // namespace callbox::protocol

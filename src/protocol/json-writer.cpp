// JsonWriter: strings escaped per RFC 8259, numbers and literals written as they are.
#include "protocol/json-writer.hpp"

#include <charconv>
#include <cmath>

namespace callbox::protocol {

void JsonWriter::separate()
{
    if (need_comma_)
        out_ += ',';
}

JsonWriter &JsonWriter::begin_object()
{
    separate();
    out_ += '{';
    need_comma_ = false;
    return *this;
}

JsonWriter &JsonWriter::end_object()
{
    out_ += '}';
    need_comma_ = true;
    return *this;
}

JsonWriter &JsonWriter::begin_array()
{
    separate();
    out_ += '[';
    need_comma_ = false;
    return *this;
}

JsonWriter &JsonWriter::end_array()
{
    out_ += ']';
    need_comma_ = true;
    return *this;
}

JsonWriter &JsonWriter::key(std::string_view name)
{
    separate();
    append_string(name);
    out_ += ':';
    need_comma_ = false;
    return *this;
}

JsonWriter &JsonWriter::value(std::string_view text)
{
    separate();
    append_string(text);
    need_comma_ = true;
    return *this;
}

JsonWriter &JsonWriter::value(std::int64_t number)
{
    separate();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
    out_.append(buf, end);
    need_comma_ = true;
    return *this;
}

JsonWriter &JsonWriter::value(std::uint64_t number)
{
    separate();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
    out_.append(buf, end);
    need_comma_ = true;
    return *this;
}

JsonWriter &JsonWriter::value(double number)
{
    separate();
    char buf[64];
    if (std::isfinite(number)) {
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number, std::chars_format::fixed, 2);
        out_.append(buf, end);
    } else {
        out_ += "null";
    }
    need_comma_ = true;
    return *this;
}

JsonWriter &JsonWriter::value(bool flag)
{
    separate();
    out_ += flag ? "true" : "false";
    need_comma_ = true;
    return *this;
}

JsonWriter &JsonWriter::raw(std::string_view json)
{
    separate();
    out_ += json;
    need_comma_ = true;
    return *this;
}

void JsonWriter::append_string(std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    out_ += '"';
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out_ += "\\\"";
            break;
        case '\\':
            out_ += "\\\\";
            break;
        case '\n':
            out_ += "\\n";
            break;
        case '\r':
            out_ += "\\r";
            break;
        case '\t':
            out_ += "\\t";
            break;
        default:
            if (c < 0x20) {
                out_ += "\\u00";
                out_ += hex[c >> 4];
                out_ += hex[c & 0xf];
            } else {
                out_ += ch;
            }
        }
    }
    out_ += '"';
}

} // namespace callbox::protocol

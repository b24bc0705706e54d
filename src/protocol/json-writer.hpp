// A small streaming JSON writer for the server's outgoing messages (encode once, send to many).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace callbox::protocol {

class JsonWriter
{
public:
    JsonWriter &begin_object();
    JsonWriter &end_object();
    JsonWriter &begin_array();
    JsonWriter &end_array();
    JsonWriter &key(std::string_view name);
    JsonWriter &value(std::string_view text);
    JsonWriter &value(const char *text) { return value(std::string_view(text)); }
    JsonWriter &value(std::int64_t number);
    JsonWriter &value(std::uint64_t number);
    JsonWriter &value(int number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter &value(bool flag);
    JsonWriter &value(double number); // two decimals; NaN and infinities as null
    // Inserts already-serialised JSON (a relayed signalling payload, a stored message).
    JsonWriter &raw(std::string_view json);

    template <typename T> JsonWriter &member(std::string_view name, T v)
    {
        return key(name).value(v);
    }

    std::string take() { return std::move(out_); }

private:
    void separate();
    void append_string(std::string_view text);

    std::string out_;
    bool need_comma_ = false;
};

} // namespace callbox::protocol

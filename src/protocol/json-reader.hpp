// A strict RFC 8259 JSON reader for client frames: NUL-safe strings, a depth limit, and the
// source text of every value (so signalling payloads are relayed byte for byte).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callbox::protocol {

struct JsonValue {
    enum class Type { Null, Bool, Number, String, Array, Object };

    // Defaulted below the class: an implicit one would have clang (C++20, libstdc++ 12) need
    // std::pair<std::string, JsonValue> complete while JsonValue is still being defined.
    JsonValue();

    Type type = Type::Null;
    bool boolean = false;
    bool is_integer = false; // a Number written without fraction or exponent that fits int64
    std::int64_t integer = 0;
    double number = 0;
    std::string string;
    std::vector<JsonValue> items;
    std::vector<std::pair<std::string, JsonValue>> members;
    std::string_view source; // the value as written in the frame

    // The member `key` of an object (the last one, when a key repeats), or nullptr.
    const JsonValue *get(std::string_view key) const;
    bool is(Type t) const { return type == t; }
};

inline JsonValue::JsonValue() = default;

// Parses one JSON text; nothing, with `error` saying where and why, when it is not valid.
std::optional<JsonValue> read_json(std::string_view text, std::string &error, int max_depth = 64);

} // namespace callbox::protocol

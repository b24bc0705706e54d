// libFuzzer harness for the strict JSON reader and MessageParser: bytes in, invariants checked.
//
// For any input: no crash or undefined behaviour (built with ASan and UBSan). When read_json()
// accepts it: the input is valid UTF-8, the root's source is the whole input less the JSON
// whitespace around it (no trailing garbage), every value's source reads back to the same value,
// and writing the value with JsonWriter and reading it again gives the same value and the same
// text. MessageParser answers bad-json exactly when read_json() refuses the text, and whatever it
// accepts is a typed message of the type the frame names. Built and run by run-fuzz.sh.
#include "fuzz-check.hpp"
#include "protocol/json-reader.hpp"
#include "protocol/json-writer.hpp"
#include "protocol/parser.hpp"

#include <glib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using namespace callbox::protocol;
using callbox::fuzz::check;
using Type = JsonValue::Type;

namespace {

// Same type and same content; numbers compare by their text, which is what the daemon relays.
bool same(const JsonValue &a, const JsonValue &b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case Type::Null:
        return true;
    case Type::Bool:
        return a.boolean == b.boolean;
    case Type::Number:
        return a.source == b.source && a.is_integer == b.is_integer &&
               (!a.is_integer || a.integer == b.integer);
    case Type::String:
        return a.string == b.string;
    case Type::Array:
        if (a.items.size() != b.items.size())
            return false;
        for (std::size_t i = 0; i < a.items.size(); ++i)
            if (!same(a.items[i], b.items[i]))
                return false;
        return true;
    case Type::Object:
        if (a.members.size() != b.members.size())
            return false;
        for (std::size_t i = 0; i < a.members.size(); ++i)
            if (a.members[i].first != b.members[i].first ||
                !same(a.members[i].second, b.members[i].second))
                return false;
        return true;
    }
    return false;
}

void write(JsonWriter &w, const JsonValue &v)
{
    switch (v.type) {
    case Type::Null:
        w.raw("null");
        break;
    case Type::Bool:
        w.value(v.boolean);
        break;
    case Type::Number:
        w.raw(v.source);
        break;
    case Type::String:
        w.value(std::string_view(v.string));
        break;
    case Type::Array:
        w.begin_array();
        for (const auto &item : v.items)
            write(w, item);
        w.end_array();
        break;
    case Type::Object:
        w.begin_object();
        for (const auto &[name, member] : v.members) {
            w.key(name);
            write(w, member);
        }
        w.end_object();
        break;
    }
}

std::string serialise(const JsonValue &v)
{
    JsonWriter w;
    write(w, v);
    return w.take();
}

// Every value's source lies inside the input and reads back, alone, to the same value.
void check_sources(const JsonValue &v, std::string_view text)
{
    check(v.source.data() >= text.data() &&
              v.source.data() + v.source.size() <= text.data() + text.size(),
          "a value's source lies outside the input", text);
    std::string error;
    auto again = read_json(v.source, error);
    check(again.has_value(), "a value's source does not read alone", text);
    check(same(v, *again), "a value's source reads to another value", text);
    for (const auto &item : v.items)
        check_sources(item, text);
    for (const auto &member : v.members)
        check_sources(member.second, text);
}

void check_reader(std::string_view text, const std::optional<JsonValue> &root,
                  const std::string &error)
{
    if (!root) {
        check(!error.empty(), "a refusal without a reason", text);
        return;
    }
    check(g_utf8_validate_len(text.data(), static_cast<gssize>(text.size()), nullptr),
          "accepted text that is not valid UTF-8", text);
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    check(first != std::string_view::npos, "accepted blank text", text);
    check(root->source.data() == text.data() + first && root->source.size() == last - first + 1,
          "the root's source is not the whole text less its whitespace", text);
    check_sources(*root, text);

    const std::string written = serialise(*root);
    std::string error2;
    auto reread = read_json(written, error2);
    check(reread.has_value(), "JsonWriter's output of an accepted value is refused", written);
    check(same(*root, *reread), "written and read again, the value changed", written);
    check(serialise(*reread) == written, "writing is not stable", written);
}

void check_parser(std::string_view text, const std::optional<JsonValue> &root)
{
    ParseResult result = MessageParser().parse(text);
    if (!result.ok()) {
        check((result.error().code == ErrorCode::BadJson) == !root,
              "bad-json does not match the reader's verdict", text);
        check(!result.error().message.empty(), "an error without a message", text);
        check(!error_code_name(result.error().code).empty(), "an error code without a name", text);
        return;
    }
    check(root.has_value(), "a message from text the reader refuses", text);
    check(root->is(Type::Object), "a message from JSON that is not an object", text);
    const JsonValue *type = root->get("type");
    check(type && type->is(Type::String) && type->string == type_name(result.message()),
          "the message's type is not the frame's 'type'", text);
    if (const auto *signal = std::get_if<Signal>(&result.message())) {
        std::string error;
        auto data = read_json(signal->data_json, error);
        check(data && data->is(Type::Object), "a signal's data does not read as an object", text);
        check(same(*data, *root->get("data")), "a signal's data is not the frame's", text);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    std::string error;
    const auto root = read_json(text, error);
    check_reader(text, root, error);
    check_parser(text, root);
    return 0;
}

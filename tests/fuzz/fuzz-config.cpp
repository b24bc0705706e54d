// libFuzzer harness for the config parser (config::load_text, which load() uses): text in,
// invariants checked.
//
// For any text: no crash or undefined behaviour (built with ASan and UBSan). A refusal names the
// file, says why and points at a line of the text (or 0: the whole file); it is the first error
// in the file: the lines before it load (or fail only as a whole file, in validate()). An accepted
// config passes validate(), changes only keys whose group and name the text spells, and reading
// the same text again, into a fresh config or over the one it gave, gives the same config.
// Built and run by run-fuzz.sh.
#include "config/config.hpp"
#include "fuzz-check.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace callbox::config;
using callbox::fuzz::check;

namespace {

const std::string file_name = "fuzz.conf";

// The keys whose values differ ("[group] name"), whether or not SIGHUP applies them.
std::vector<std::string> differences(const Config &a, const Config &b)
{
    Config copy = a;
    ReloadResult r = apply_live(copy, b);
    r.applied.insert(r.applied.end(), r.need_restart.begin(), r.need_restart.end());
    return r.applied;
}

// How many lines load_text() reads: a last line needs no '\n'.
std::size_t line_count(std::string_view text)
{
    const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

void check_refusal(std::string_view text, const ConfigError &error)
{
    check(error.file == file_name, "an error that names another file", text);
    check(!error.message.empty(), "an error without a message", text);
    check(error.line >= 0 && static_cast<std::size_t>(error.line) <= line_count(text),
          "an error on a line the text does not have", text);
    if (error.line <= 1)
        return;
    // The lines before the one named, alone, hold no error of their own line.
    std::size_t end = 0;
    for (int line = 1; line < error.line; ++line)
        end = text.find('\n', end) + 1;
    Config before = defaults();
    auto earlier = load_text(file_name, text.substr(0, end), before);
    check(!earlier || earlier->line == 0, "the error reported is not the first in the text", text);
}

void check_accepted(std::string_view text, const Config &loaded)
{
    check(!validate(loaded), "an accepted config fails validate()", text);
    for (const std::string &name : differences(defaults(), loaded)) {
        // name is "[group] key"
        const std::size_t close = name.find(']');
        const std::string group = name.substr(1, close - 1);
        const std::string key = name.substr(close + 2);
        check(text.find(group) != std::string_view::npos &&
                  text.find(key) != std::string_view::npos,
              "a key the text does not name changed", text);
    }
    Config again = loaded;
    auto error = load_text(file_name, text, again);
    check(!error, "the text is refused over the config it gave", text);
    check(differences(loaded, again).empty(), "reading the text twice gives another config", text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    Config config = defaults();
    auto error = load_text(file_name, text, config);

    Config second = defaults();
    auto second_error = load_text(file_name, text, second);
    check(error.has_value() == second_error.has_value() &&
              (!error || error->to_string() == second_error->to_string()),
          "two reads of one text give different verdicts", text);
    if (error)
        check_refusal(text, *error);
    else
        check_accepted(text, config);
    return 0;
}

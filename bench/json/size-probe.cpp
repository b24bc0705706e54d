// bench/json/size-probe.cpp: the least code that parses a frame with one reader, to weigh its
// machine code.
//
// bench/json/run.sh compiles it once per reader (-DPROBE_JSON_GLIB, -DPROBE_SIMDJSON,
// -DPROBE_NLOHMANN) and reports the size of the object file's code next to the in-tree reader's.
#include <cstddef>

#if defined(PROBE_JSON_GLIB)
#include <json-glib/json-glib.h>
bool probe_parse(const char *data, std::size_t size)
{
    JsonParser *parser = json_parser_new();
    bool ok = json_parser_load_from_data(parser, data, static_cast<gssize>(size), nullptr);
    g_object_unref(parser);
    return ok;
}
#elif defined(PROBE_SIMDJSON)
#include <simdjson.h>
bool probe_parse(const char *data, std::size_t size)
{
    static simdjson::dom::parser parser;
    simdjson::padded_string padded(data, size);
    return parser.parse(padded).error() == simdjson::SUCCESS;
}
#elif defined(PROBE_NLOHMANN)
#include <nlohmann/json.hpp>
bool probe_parse(const char *data, std::size_t size)
{
    return !nlohmann::json::parse(data, data + size, nullptr, false, false).is_discarded();
}
#else
#error "define one of PROBE_JSON_GLIB, PROBE_SIMDJSON, PROBE_NLOHMANN"
#endif

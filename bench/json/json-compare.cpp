// bench/json/json-compare.cpp: measures JSON readers for client frames (strictness table, parse
// speed).
//
// Built by bench/json/run.sh against whatever is installed: the in-tree reader always,
// json-glib with -DHAVE_JSON_GLIB, simdjson with -DHAVE_SIMDJSON, nlohmann/json with
// -DHAVE_NLOHMANN. Prints Markdown tables. Not part of the build or the test suite.
#include "protocol/json-reader.hpp"
#include "protocol/json-writer.hpp"
#include "protocol/parser.hpp"

#ifdef HAVE_JSON_GLIB
#include <json-glib/json-glib.h>
#endif
#ifdef HAVE_SIMDJSON
#include <simdjson.h>
#endif
#ifdef HAVE_NLOHMANN
#include <nlohmann/json.hpp>
#endif

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using callbox::protocol::JsonWriter;

// One reader under test: `accepts` says whether the text is one valid JSON document;
// `work` parses it into the library's document type and returns something of it.
struct Backend {
    std::string name;
    std::function<bool(std::string_view)> accepts;
    std::function<std::size_t(std::string_view)> work;
};

volatile std::size_t g_sink; // keeps the parse results alive for the optimiser

std::vector<Backend> backends()
{
    std::vector<Backend> out;
#ifdef HAVE_JSON_GLIB
    {
        static JsonParser *parser = nullptr;
        auto load = [](std::string_view text) {
            if (!parser)
                parser = json_parser_new();
            GError *error = nullptr;
            bool ok = json_parser_load_from_data(parser, text.data(),
                                                 static_cast<gssize>(text.size()), &error);
            g_clear_error(&error);
            return ok;
        };
        out.push_back({"json-glib " JSON_VERSION_S, load, [load](std::string_view text) {
                           if (!load(text))
                               return std::size_t{0};
                           JsonNode *root = json_parser_get_root(parser);
                           return root ? static_cast<std::size_t>(json_node_get_node_type(root)) + 1
                                       : std::size_t{1};
                       }});
    }
#endif
#ifdef HAVE_SIMDJSON
    {
        // Set up as the daemon would: frames up to 64 KB, nesting up to 64 levels.
        static simdjson::dom::parser parser;
        if (parser.allocate(65536, 64) != simdjson::SUCCESS)
            std::abort();
        // simdjson reads SIMDJSON_PADDING bytes past the end: a frame has to be copied once.
        auto parse = [](std::string_view text) {
            simdjson::padded_string padded(text.data(), text.size());
            auto doc = parser.parse(padded);
            return doc.error() == simdjson::SUCCESS
                       ? static_cast<std::size_t>(doc.value_unsafe().type()) + 1
                       : std::size_t{0};
        };
        out.push_back(
            {std::string("simdjson ") + SIMDJSON_STRINGIFY(SIMDJSON_VERSION) + " (max depth 64)",
             [parse](std::string_view text) { return parse(text) != 0; }, parse});
    }
#endif
#ifdef HAVE_NLOHMANN
    {
        auto parse = [](std::string_view text) {
            auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                             /*allow_exceptions=*/false,
                                             /*ignore_comments=*/false);
            return doc.is_discarded() ? std::size_t{0} : doc.size() + 1;
        };
        out.push_back({"nlohmann/json " + std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                           std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                           std::to_string(NLOHMANN_JSON_VERSION_PATCH),
                       [parse](std::string_view text) { return parse(text) != 0; }, parse});
    }
#endif
    auto in_tree = [](std::string_view text) {
        std::string error;
        auto v = callbox::protocol::read_json(text, error);
        return v ? v->members.size() + v->items.size() + 1 : std::size_t{0};
    };
    out.push_back(
        {"in-tree reader", [in_tree](std::string_view t) { return in_tree(t) != 0; }, in_tree});
    return out;
}

// --- strictness -----------------------------------------------------------------------------

enum class Want { Accept, Reject, Either };

// What the protocol (docs/protocol.md) wants of a frame's JSON, and what RFC 8259 says.
struct Case {
    std::string name;
    std::string text;
    Want protocol;   // bad-json or not, per docs/protocol.md; Either where it says nothing
    const char *rfc; // "valid", "invalid", or why RFC 8259 leaves it open
};

std::string nested(int depth)
{
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
}

std::vector<Case> corpus()
{
    using namespace std::string_literals;
    const char *valid = "valid";
    const char *invalid = "invalid";
    return {
        {"a join message", R"({"type":"join","room":"kitchen","nick":"alice"})", Want::Accept,
         valid},
        {"whitespace around and inside", " \t\r\n{ \"a\" : [ 1 , true ] }\n", Want::Accept, valid},
        {"numbers -0, 1.5e-3, 1E+2", R"([-0,1.5e-3,1E+2])", Want::Accept, valid},
        {"surrogate pair \\ud83d\\ude00", R"({"a":"\ud83d\ude00 \u00e9"})", Want::Accept, valid},
        {"NUL as \\u0000 in a string", R"({"a":"x\u0000y"})", Want::Accept, valid},
        {"raw DEL (0x7f) and U+2028", "{\"a\":\"\x7f\xe2\x80\xa8\"}", Want::Accept, valid},
        {"duplicate keys", R"({"a":1,"a":2})", Want::Accept, "valid (names SHOULD be unique)"},
        {"top-level scalar 42", "42", Want::Accept, "valid (protocol: bad-message)"},
        {"huge integer 2^70", "1180591620717411303424", Want::Either,
         "valid (range is the reader's)"},
        {"1e999 (out of double range)", "[1e999]", Want::Either, "valid (range is the reader's)"},
        {"nesting 64 deep", nested(64), Want::Accept, valid},
        {"nesting 65 deep", nested(65), Want::Reject, "valid (limit is the reader's)"},
        {"nesting 10,000 deep", nested(10000), Want::Reject, "valid (limit is the reader's)"},
        {"nesting 32,768 deep (a full 64 KB frame)", nested(32768), Want::Reject,
         "valid (limit is the reader's)"},
        {"UTF-8 BOM before the value", "\xef\xbb\xbf{}", Want::Reject, "MAY be ignored"},
        {"empty text", "", Want::Reject, invalid},
        {"whitespace only", "  \n", Want::Reject, invalid},
        {"// comment", "// c\n{}", Want::Reject, invalid},
        {"/* comment */", "/* c */{}", Want::Reject, invalid},
        {"single-quoted strings", "{'a':'b'}", Want::Reject, invalid},
        {"unquoted key", "{a:1}", Want::Reject, invalid},
        {"trailing comma in an array", "[1,2,]", Want::Reject, invalid},
        {"trailing comma in an object", R"({"a":1,})", Want::Reject, invalid},
        {"two documents {}{}", "{}{}", Want::Reject, invalid},
        {"two documents {} {}", "{} {}", Want::Reject, invalid},
        {"two numbers 1 2", "1 2", Want::Reject, invalid},
        {"JS assignment var a = {}", "var a = {}", Want::Reject, invalid},
        {"leading zero 01", "[01]", Want::Reject, invalid},
        {"leading zero -01", "[-01]", Want::Reject, invalid},
        {"leading +", "[+1]", Want::Reject, invalid},
        {"bare .5 and 1.", "[.5,1.]", Want::Reject, invalid},
        {"hex 0x10", "[0x10]", Want::Reject, invalid},
        {"NaN", "[NaN]", Want::Reject, invalid},
        {"Infinity", "[Infinity]", Want::Reject, invalid},
        {"lone high surrogate \\ud800", R"(["\ud800"])", Want::Reject,
         "invalid (RFC: unpredictable)"},
        {"lone low surrogate \\udc00", R"(["\udc00"])", Want::Reject,
         "invalid (RFC: unpredictable)"},
        {"high surrogate + \\u0041", R"(["\ud800\u0041"])", Want::Reject,
         "invalid (RFC: unpredictable)"},
        {"invalid UTF-8 byte 0xff", "[\"\xff\"]", Want::Reject, invalid},
        {"overlong UTF-8 0xc0 0xaf", "[\"\xc0\xaf\"]", Want::Reject, invalid},
        {"UTF-8-encoded surrogate", "[\"\xed\xa0\x80\"]", Want::Reject, invalid},
        {"UTF-8 past U+10FFFF", "[\"\xf4\x90\x80\x80\"]", Want::Reject, invalid},
        {"truncated UTF-8 sequence", "[\"\xe2\x82\"]", Want::Reject, invalid},
        {"raw tab in a string", "[\"a\tb\"]", Want::Reject, invalid},
        {"raw newline in a string", "[\"a\nb\"]", Want::Reject, invalid},
        {"raw NUL byte in a string", "[\"a\0b\"]"s, Want::Reject, invalid},
        {"NUL byte, then text, after the value", "{}\0{"s, Want::Reject, invalid},
        {"bad escape \\x41", R"(["\x41"])", Want::Reject, invalid},
        {"escaped single quote \\'", R"(["\'"])", Want::Reject, invalid},
        {"short \\u escape", R"(["\u12"])", Want::Reject, invalid},
        {"missing comma [1 2]", "[1 2]", Want::Reject, invalid},
        {"truncated literal tru", "[tru]", Want::Reject, invalid},
        {"capitalised True", "[True]", Want::Reject, invalid},
        {"unterminated string", R"({"a":"b)", Want::Reject, invalid},
        {"unclosed object", R"({"a":1)", Want::Reject, invalid},
    };
}

// Runs `accepts` in a child process, so that a crash or a hang is reported, not suffered.
const char *verdict(const Backend &b, const std::string &text)
{
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        _exit(b.accepts(text) ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 0 ? "accept" : "reject";
    return WTERMSIG(status) == SIGALRM ? "hang" : "crash";
}

void strictness(const std::vector<Backend> &bs)
{
    std::printf("## Strictness: %zu inputs (accept/reject; **bold** = not what the protocol "
                "wants)\n\n| input | RFC 8259 | protocol |",
                corpus().size());
    for (const auto &b : bs)
        std::printf(" %s |", b.name.c_str());
    std::printf("\n|---|---|---|");
    for (std::size_t i = 0; i < bs.size(); ++i)
        std::printf("---|");
    std::printf("\n");
    std::vector<int> wrong(bs.size());
    for (const auto &c : corpus()) {
        const char *want = c.protocol == Want::Accept   ? "accept"
                           : c.protocol == Want::Reject ? "reject"
                                                        : "either";
        std::printf("| %s | %s | %s |", c.name.c_str(), c.rfc, want);
        for (std::size_t i = 0; i < bs.size(); ++i) {
            const char *got = verdict(bs[i], c.text);
            const bool ok = std::strcmp(got, want) == 0 ||
                            (c.protocol == Want::Either && std::strcmp(got, "accept") == 0) ||
                            (c.protocol == Want::Either && std::strcmp(got, "reject") == 0);
            wrong[i] += !ok;
            std::printf(ok ? " %s |" : " **%s** |", got);
        }
        std::printf("\n");
    }
    std::printf("| **differs from the protocol** | | |");
    for (int w : wrong)
        std::printf(" **%d** |", w);
    std::printf("\n\n");
}

// --- speed ----------------------------------------------------------------------------------

// A browser's offer with audio and video, as Chromium writes it: about 4 KB.
std::string sample_sdp()
{
    std::string s = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                    "a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS stream\r\n";
    const char *media[] = {"audio", "video"};
    for (int m = 0; m < 2; ++m) {
        s += std::string("m=") + media[m] +
             (m == 0 ? " 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
                     : " 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125\r\n");
        s += "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:EsAw\r\n"
             "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=ice-options:trickle\r\n"
             "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:"
             "C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\na=setup:actpass\r\n";
        s += std::string("a=mid:") + std::to_string(m) + "\r\n";
        s += "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
             "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
             "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-"
             "extensions-01\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
             "a=sendrecv\r\na=msid:stream track\r\na=rtcp-mux\r\n";
        const int payloads = m == 0 ? 8 : 12;
        for (int p = 0; p < payloads; ++p) {
            const int pt = 96 + p;
            s += "a=rtpmap:" + std::to_string(pt) +
                 (m == 0 ? " opus/48000/2\r\n" : " VP8/90000\r\n");
            s += "a=rtcp-fb:" + std::to_string(pt) + " transport-cc\r\n";
            s += "a=fmtp:" + std::to_string(pt) +
                 (m == 0 ? " minptime=10;useinbandfec=1\r\n"
                         : " level-asymmetry-allowed=1;packetization-mode=1\r\n");
        }
        s += "a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6\r\na=ssrc:3735928559 msid:stream track\r\n";
    }
    return s;
}

struct Message {
    const char *name;
    std::string text;
};

std::vector<Message> messages()
{
    std::vector<Message> out;
    out.push_back({"join", JsonWriter()
                               .begin_object()
                               .member("type", "join")
                               .member("room", "kitchen")
                               .member("nick", "alice")
                               .member("code", "1234")
                               .end_object()
                               .take()});
    out.push_back({"chat", JsonWriter()
                               .begin_object()
                               .member("type", "chat")
                               .member("text", "Dinner is ready in ten minutes \xf0\x9f\x8d\x9d "
                                               "- can someone set the table? \"now\" please")
                               .end_object()
                               .take()});
    out.push_back(
        {"signal (ice)",
         R"({"type":"signal","to":"p3","data":{"ice":{"candidate":"candidate:842163049 1 udp )"
         R"(1677729535 192.0.2.3 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0 ufrag )"
         R"(EsAw network-cost 999","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"EsAw"}}})"});
    JsonWriter w;
    w.begin_object().member("type", "signal").member("to", "p2").key("data").begin_object();
    w.key("sdp").begin_object().member("type", "offer").member("sdp", sample_sdp()).end_object();
    w.end_object().end_object();
    out.push_back({"signal (sdp offer)", w.take()});
    return out;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void speed(std::vector<Backend> bs, int runs)
{
    // The in-tree reader as the daemon uses it: JSON, then the typed message.
    bs.push_back({"in-tree + MessageParser", nullptr, [](std::string_view text) {
                      return callbox::protocol::MessageParser().parse(text).ok() ? std::size_t{2}
                                                                                 : std::size_t{0};
                  }});
    const auto msgs = messages();
    using clock = std::chrono::steady_clock;
    // iterations[b][m]: enough for about 20 ms a run; samples[b][m]: ns/message of each run.
    std::vector<std::vector<long>> iterations(bs.size(), std::vector<long>(msgs.size()));
    std::vector<std::vector<std::vector<double>>> samples(
        bs.size(), std::vector<std::vector<double>>(msgs.size()));
    for (std::size_t b = 0; b < bs.size(); ++b)
        for (std::size_t m = 0; m < msgs.size(); ++m) {
            if (bs[b].work(msgs[m].text) == 0) {
                std::fprintf(stderr, "%s rejects the %s message\n", bs[b].name.c_str(),
                             msgs[m].name);
                std::exit(1);
            }
            long n = 1;
            for (;;) {
                auto t0 = clock::now();
                for (long i = 0; i < n; ++i)
                    g_sink = g_sink + bs[b].work(msgs[m].text);
                if (clock::now() - t0 > std::chrono::milliseconds(20))
                    break;
                n *= 2;
            }
            iterations[b][m] = n;
        }
    // Runs interleave the readers, so that a busy moment of the machine hits all of them.
    for (int r = 0; r < runs; ++r)
        for (std::size_t b = 0; b < bs.size(); ++b)
            for (std::size_t m = 0; m < msgs.size(); ++m) {
                const long n = iterations[b][m];
                auto t0 = clock::now();
                for (long i = 0; i < n; ++i)
                    g_sink = g_sink + bs[b].work(msgs[m].text);
                std::chrono::duration<double, std::nano> ns = clock::now() - t0;
                samples[b][m].push_back(ns.count() / static_cast<double>(n));
            }

    std::printf("## Speed: ns per message (MB/s), median of %d runs of about 20 ms each\n\n"
                "| reader |",
                runs);
    for (const auto &m : msgs)
        std::printf(" %s, %zu B |", m.name, m.text.size());
    std::printf("\n|---|");
    for (std::size_t m = 0; m < msgs.size(); ++m)
        std::printf("---|");
    std::printf("\n");
    for (std::size_t b = 0; b < bs.size(); ++b) {
        std::printf("| %s |", bs[b].name.c_str());
        for (std::size_t m = 0; m < msgs.size(); ++m) {
            const double ns = median(samples[b][m]);
            std::printf(" %.0f (%.0f) |", ns, static_cast<double>(msgs[m].text.size()) / ns * 1e3);
        }
        std::printf("\n");
    }
    std::printf("\n");
}

} // namespace

int main(int argc, char **argv)
{
    int runs = 9;
    bool only_strictness = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--strictness") == 0)
            only_strictness = true;
        else {
            std::fprintf(stderr, "usage: %s [--runs N] [--strictness]\n", argv[0]);
            return 2;
        }
    }
    const auto bs = backends();
#ifdef HAVE_SIMDJSON
    std::printf("simdjson kernel: %s\n\n", simdjson::get_active_implementation()->name().c_str());
#endif
    strictness(bs);
    if (!only_strictness)
        speed(bs, runs);
    return 0;
}

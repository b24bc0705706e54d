// libFuzzer harness for WHEP's SDP text work (media/whep-sdp.cpp): a trickle PATCH's body in,
// invariants checked.
//
// For any text: no crash or undefined behaviour (built with ASan and UBSan), the same result
// twice; every candidate read is an "a=candidate:" line of the text without its "a=", carrying
// the a=mid of its section (or none before the first); the text read as an answer gets each
// candidate as one line and an a=end-of-candidates line more. Built and run by
// run-fuzz.sh.
#include "fuzz-check.hpp"
#include "media/whep.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace callbox::media;
using callbox::fuzz::check;

namespace {

std::size_t count(std::string_view text, std::string_view what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    std::string error, again;
    const auto first = read_sdpfrag(input, error);
    const auto second = read_sdpfrag(input, again);
    check(first.has_value() == second.has_value() && error == again, "not the same twice", input);
    if (!first) {
        check(!error.empty(), "a refusal without a reason", input);
        return 0;
    }
    std::vector<std::string> candidates;
    for (const auto &c : *first) {
        check(c.candidate.starts_with("candidate:"), "a candidate that is not one", input);
        check(input.find("a=" + c.candidate) != std::string_view::npos,
              "a candidate the text does not have", input);
        check(!c.mid || input.find("a=mid:" + *c.mid) != std::string_view::npos,
              "a mid the text does not have", input);
        check(!c.mline_index, "an m-line index a fragment cannot give", input);
        candidates.push_back(c.candidate);
    }
    const std::string answer = answer_with_candidates(input, candidates);
    check(answer.size() >= input.size(), "the answer lost text", input);
    check(count(answer, "a=end-of-candidates\r\n") > count(input, "a=end-of-candidates\r\n"),
          "no a=end-of-candidates added", input);
    for (const std::string &c : candidates)
        check(answer.find("a=" + c + "\r\n") != std::string::npos, "a candidate left out", input);
    return 0;
}

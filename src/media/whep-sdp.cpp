// WHEP's SDP text work: the device's candidates written into its answer, and a trickle
// PATCH's fragment read (pure: fuzzed by tests/fuzz/fuzz-whep-sdp.cpp).
#include "media/whep.hpp"

namespace callbox::media {

std::string answer_with_candidates(std::string_view answer,
                                   const std::vector<std::string> &candidates)
{
    std::string lines;
    for (const std::string &c : candidates)
        lines += "a=" + c + "\r\n";
    lines += "a=end-of-candidates\r\n";
    const auto first = answer.find("\r\nm=");
    const auto second = first == std::string_view::npos ? first : answer.find("\r\nm=", first + 2);
    std::string out(answer);
    if (second == std::string_view::npos) {
        if (!out.empty() && !out.ends_with("\r\n"))
            out += "\r\n";
        return out + lines;
    }
    return out.insert(second + 2, lines);
}

std::optional<std::vector<protocol::IceCandidate>> read_sdpfrag(std::string_view fragment,
                                                                std::string &error)
{
    std::vector<protocol::IceCandidate> out;
    std::optional<std::string> mid;
    while (!fragment.empty()) {
        const auto end = fragment.find('\n');
        std::string_view line = fragment.substr(0, end);
        fragment.remove_prefix(end == std::string_view::npos ? fragment.size() : end + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (line.empty())
            continue;
        if (line.size() < 2 || line[1] != '=') {
            error = "an SDP fragment has lines of the form x=…";
            return std::nullopt;
        }
        if (line.starts_with("m="))
            mid.reset();
        else if (line.starts_with("a=mid:"))
            mid = std::string(line.substr(6));
        else if (line.starts_with("a=candidate:"))
            out.push_back({std::string(line.substr(2)), mid, std::nullopt});
    }
    return out;
}

} // namespace callbox::media

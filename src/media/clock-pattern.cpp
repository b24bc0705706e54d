// Clock pattern drawing and reading: block k at x ∈ [k·B, (k+1)·B), B = W / 80, luma 235/16.
#include "media/clock-pattern.hpp"

#include <array>
#include <cstring>

namespace callbox::media {

namespace {

constexpr int kBlocks = 74;
constexpr std::uint8_t kWhite = 235;
constexpr std::uint8_t kBlack = 16;

std::array<bool, kBlocks> encode_bits(const ClockStamp &s)
{
    std::array<std::uint8_t, 8> bytes{};
    for (int i = 0; i < 6; ++i)
        bytes[i] = static_cast<std::uint8_t>(s.time_ms >> (8 * (5 - i)));
    bytes[6] = static_cast<std::uint8_t>(s.counter >> 8);
    bytes[7] = static_cast<std::uint8_t>(s.counter);
    std::uint8_t check = 0;
    for (auto b : bytes)
        check ^= b;

    std::array<bool, kBlocks> bits{};
    bits[0] = true;
    bits[1] = false;
    for (int i = 0; i < 48; ++i)
        bits[2 + i] = (s.time_ms >> (47 - i)) & 1;
    for (int i = 0; i < 16; ++i)
        bits[50 + i] = (s.counter >> (15 - i)) & 1;
    for (int i = 0; i < 8; ++i)
        bits[66 + i] = (check >> (7 - i)) & 1;
    return bits;
}

} // namespace

void draw_clock_pattern(const I420View &f, const ClockStamp &stamp)
{
    if (f.width < 592)
        return;
    const int b = f.width / 80;
    if (f.height < b)
        return;
    auto bits = encode_bits(stamp);
    for (int row = 0; row < b; ++row) {
        std::uint8_t *line = f.y + row * f.y_stride;
        for (int k = 0; k < kBlocks; ++k)
            std::memset(line + k * b, bits[k] ? kWhite : kBlack, static_cast<std::size_t>(b));
    }
    const int chroma_rows = b / 2;
    const auto chroma_width = static_cast<std::size_t>(kBlocks * b / 2);
    for (int row = 0; row < chroma_rows; ++row) {
        std::memset(f.u + row * f.u_stride, 128, chroma_width);
        std::memset(f.v + row * f.v_stride, 128, chroma_width);
    }
}

std::optional<ClockStamp> read_clock_pattern(const I420View &f)
{
    if (f.width < 592)
        return std::nullopt;
    const int b = f.width / 80;
    auto mean = [&](int k) {
        // Average over the central half of the block.
        int sum = 0, n = 0;
        for (int row = b / 4; row < b - b / 4; ++row)
            for (int x = k * b + b / 4; x < (k + 1) * b - b / 4; ++x, ++n)
                sum += f.y[row * f.y_stride + x];
        return n ? sum / n : 0;
    };
    int white = mean(0), black = mean(1);
    if (white < black + 60)
        return std::nullopt;
    const int threshold = (white + black) / 2;
    std::array<bool, kBlocks> bits{};
    for (int k = 0; k < kBlocks; ++k)
        bits[k] = mean(k) > threshold;
    ClockStamp s{0, 0};
    for (int i = 0; i < 48; ++i)
        s.time_ms = (s.time_ms << 1) | bits[2 + i];
    for (int i = 0; i < 16; ++i)
        s.counter = static_cast<std::uint16_t>((s.counter << 1) | bits[50 + i]);
    if (encode_bits(s) != bits)
        return std::nullopt; // the check byte does not match
    return s;
}

} // namespace callbox::media

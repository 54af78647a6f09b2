#include "core/text.hpp"

#include <algorithm>
#include <cctype>

namespace core {

std::string upper(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return std::string(text);
}

std::string last_line(std::string_view text) {
    const std::string t = trim(text);
    const auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : trim(std::string_view(t).substr(nl + 1));
}

namespace {

// The length of the control character at text[i] (C0 and DEL: 1; C1 in UTF-8: 2), or 0.
std::size_t control_at(std::string_view text, std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return 1;
    if (c == 0xc2 && i + 1 < text.size()) {
        const auto next = static_cast<unsigned char>(text[i + 1]);
        if (next >= 0x80 && next <= 0x9f) return 2;
    }
    return 0;
}

}  // namespace

bool has_control_characters(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        // The cheap test first: tables ask it of thousands of cells.
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 || c == 0x7f || c == 0xc2) && control_at(text, i)) return true;
    }
    return false;
}

std::string printable(std::string_view text) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const std::size_t n = control_at(text, i);
        if (n == 0) {
            out += text[i];
            continue;
        }
        const auto c = static_cast<unsigned char>(text[i + n - 1]);
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c == '\r')
            out += "\\r";
        else {
            out += "\\x";
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        }
        i += n - 1;
    }
    return out;
}

std::string quoted_input(std::string_view text) {
    constexpr std::size_t k_shown = 40;
    if (text.size() <= k_shown) return "'" + printable(text) + "'";
    std::size_t cut = k_shown;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80)
        --cut;  // not inside a UTF-8 character
    return "'" + printable(text.substr(0, cut)) + "...' (" + std::to_string(text.size()) +
           " characters)";
}

namespace {

// Levenshtein distance, with a swap of two neighbours counted as one edit.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    // Near: at most two edits, and fewer than a third of the word (so "ls" is not "rm").
    const std::size_t limit = std::min<std::size_t>(2, std::max<std::size_t>(1, word.size() / 3));
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(lower(word), lower(c));
        if (d < best_distance) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

std::string shell_quote(std::string_view word) {
    static constexpr std::string_view safe =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%";
    if (!word.empty() && word.find_first_not_of(safe) == std::string_view::npos)
        return std::string(word);
    std::string out = "'";
    for (const char c : word)
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    return out + "'";
}

}  // namespace core

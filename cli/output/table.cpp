#include "cli/output/table.hpp"

#include <algorithm>

namespace cli {

std::size_t text_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

void Table::print(std::ostream& out, bool color) const {
    std::vector<std::size_t> width(m_headers.size(), 0);
    for (std::size_t i = 0; i < m_headers.size(); ++i)
        width[i] = text_width(m_headers[i]);
    for (const auto& row : m_rows)
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
            width[i] = std::max(width[i], text_width(row[i].text));
    auto line = [&](auto&& cell_at, std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i) {
            const Cell c = cell_at(i);
            const bool last = i + 1 == n;
            s += paint(c.text, c.color, color);
            if (!last) s += std::string(width[i] - text_width(c.text) + 2, ' ');
        }
        while (!s.empty() && s.back() == ' ')
            s.pop_back();  // an empty last column pads nothing
        out << s << '\n';
    };
    line([&](std::size_t i) { return Cell(m_headers[i], Color::Bold); }, m_headers.size());
    for (const auto& row : m_rows)
        line([&](std::size_t i) { return i < row.size() ? row[i] : Cell(""); }, m_headers.size());
}

void Fields::print(std::ostream& out, bool color) const {
    std::size_t width = 0;
    for (const auto& [k, v] : m_rows)
        width = std::max(width, text_width(k));
    for (const auto& [k, v] : m_rows)
        out << paint(k, Color::Bold, color) << std::string(width - text_width(k) + 2, ' ')
            << paint(v.text, v.color, color) << '\n';
}

}  // namespace cli

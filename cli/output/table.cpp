#include "cli/output/table.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace cli {

std::size_t text_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

void Row::add(std::string_view text, Color color) {
    // Names, labels and providers' words reach the terminal here: never as control sequences.
    std::string escaped;
    if (core::has_control_characters(text)) {
        escaped = core::printable(text);
        text = escaped;
    }
    if (m_size == m_cells.size())
        m_cells.emplace_back(text, color);
    else {
        m_cells[m_size].text.assign(text);
        m_cells[m_size].color = color;
    }
    ++m_size;
}

void print_table(std::ostream& out, const std::vector<std::string>& headers, std::size_t rows,
                 const FillRow& fill, bool color) {
    const std::size_t n = headers.size();
    std::vector<std::size_t> width(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        width[i] = text_width(headers[i]);
    // Every cell once, in one flat array: formatting a cell costs more than keeping it.
    std::vector<Cell> cells;
    cells.reserve(rows * n);
    Row row;
    for (std::size_t r = 0; r < rows; ++r) {
        row.clear();
        fill(r, row);
        for (std::size_t i = 0; i < n; ++i) {
            cells.push_back(i < row.size() ? row[i] : Cell(""));
            width[i] = std::max(width[i], text_width(cells.back().text));
        }
    }
    std::size_t line_length = 0;
    for (const auto w : width)
        line_length += w + 2;
    // One buffer and one write: a thousand rows through operator<< cost more than the query.
    std::string text;
    text.reserve((rows + 1) * (line_length + (color ? n * 9 : 0)));
    auto cell = [&](const std::string& t, Color c, std::size_t i) {
        if (color && c != Color::None)
            text += paint(t, c, true);
        else
            text += t;
        if (i + 1 < n) text.append(width[i] - text_width(t) + 2, ' ');
    };
    auto end_line = [&] {
        while (!text.empty() && text.back() == ' ')
            text.pop_back();  // an empty last column pads nothing
        text += '\n';
    };
    for (std::size_t i = 0; i < n; ++i)
        cell(headers[i], Color::Bold, i);
    end_line();
    for (std::size_t k = 0; k < cells.size(); ++k) {
        cell(cells[k].text, cells[k].color, k % n);
        if (k % n == n - 1) end_line();
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

void Fields::print(std::ostream& out, bool color) const {
    std::size_t width = 0;
    for (const auto& [k, v] : m_rows)
        width = std::max(width, text_width(k));
    for (const auto& [k, v] : m_rows)
        out << paint(k, Color::Bold, color) << std::string(width - text_width(k) + 2, ' ')
            << paint(core::printable(v.text), v.color, color) << '\n';
}

}  // namespace cli

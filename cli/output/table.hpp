#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/output/style.hpp"

namespace cli {

struct Cell {
    std::string text;
    Color color = Color::None;
    Cell(std::string t, Color c = Color::None) : text(std::move(t)), color(c) {}
    Cell(const char* t, Color c = Color::None) : text(t), color(c) {}
    Cell(std::string_view t, Color c = Color::None) : text(t), color(c) {}
};

// The cells of one table row, filled by the caller. One Row is reused for every row, so its
// strings keep their buffers.
class Row {
  public:
    void add(std::string_view text, Color color = Color::None);
    void clear() { m_size = 0; }
    std::size_t size() const { return m_size; }
    const Cell& operator[](std::size_t i) const { return m_cells[i]; }

  private:
    std::vector<Cell> m_cells;
    std::size_t m_size = 0;
};

// Columns padded to the widest cell, two spaces apart; colour does not count towards width.
// `fill(r, row)` adds the cells of row r.
using FillRow = std::function<void(std::size_t r, Row& row)>;
void print_table(std::ostream& out, const std::vector<std::string>& headers, std::size_t rows,
                 const FillRow& fill, bool color);

// Two-column "Key   value" blocks, as in `cluster info`.
class Fields {
  public:
    void add(std::string key, Cell value) { m_rows.emplace_back(std::move(key), std::move(value)); }
    void print(std::ostream& out, bool color) const;

  private:
    std::vector<std::pair<std::string, Cell>> m_rows;
};

// Display width of UTF-8 text (one column per code point: no wide characters are printed).
std::size_t text_width(const std::string& s);

}  // namespace cli

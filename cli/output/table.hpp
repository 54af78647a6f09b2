#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cli/output/style.hpp"

namespace cli {

struct Cell {
    std::string text;
    Color color = Color::None;
    Cell(std::string t, Color c = Color::None) : text(std::move(t)), color(c) {}
    Cell(const char* t, Color c = Color::None) : text(t), color(c) {}
};

// Columns padded to the widest cell, two spaces apart; colour does not count towards width.
class Table {
  public:
    explicit Table(std::vector<std::string> headers) : m_headers(std::move(headers)) {}
    void add(std::vector<Cell> row) { m_rows.push_back(std::move(row)); }
    bool empty() const { return m_rows.empty(); }
    void print(std::ostream& out, bool color) const;

  private:
    std::vector<std::string> m_headers;
    std::vector<std::vector<Cell>> m_rows;
};

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

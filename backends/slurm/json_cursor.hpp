#pragma once

// A forward-only reader of one JSON text held in memory, for replies too large to build as a
// document: it visits members and elements in order, decodes only the values asked for, and
// checks the syntax of everything it skips. Nothing is allocated except the strings read.
//
//   JsonCursor c(text);
//   if (c.enter_object())
//       for (std::string_view key; c.member(key);)
//           if (key == "jobs") ... else c.skip();
//   bool good = c.finish();

#include <cstdint>
#include <string>
#include <string_view>

namespace backends::slurm {

class JsonCursor {
  public:
    explicit JsonCursor(std::string_view text);

    // What the next value is: one of { [ " - 0-9 t f n, or 0 at the end of the text.
    char peek();

    // '{' or '[' consumed: true. Another value: false, and nothing consumed.
    bool enter_object();
    bool enter_array();
    // The next member's key (its value follows), or false once the object's '}' is consumed
    // (or on an error). The key is valid until the next call.
    bool member(std::string_view& key);
    // Whether another element follows; false once the array's ']' is consumed (or on an error).
    bool element();

    // A value of that type read: true. Another type: false, and the value is skipped.
    bool string(std::string& out);
    bool integer(std::int64_t& out);  // a fraction or exponent is truncated
    // Any value, checked and passed over; the second form gives its text.
    void skip();
    std::string_view skip_raw();

    // Whether the text was one well-formed value with nothing but whitespace after it.
    bool finish();
    bool ok() const { return m_ok; }

  private:
    void ws();
    bool fail();
    bool next_item(char close);
    // Past the closing quote; `raw` is the text between the quotes, `escaped` whether it has a
    // backslash.
    bool scan_string(std::string_view& raw, bool& escaped);
    bool scan_number(std::string_view& raw);
    bool scan_literal(std::string_view word);
    void skip_value(int depth);
    static bool decode(std::string_view raw, std::string& out);

    const char* m_at;
    const char* m_end;
    bool m_first = false;  // just inside a '{' or '[': no ',' before the next member
    bool m_ok = true;
    std::string m_key;  // a key that had escapes, decoded
};

}  // namespace backends::slurm

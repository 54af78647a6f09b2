#include "backends/slurm/json_cursor.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace backends::slurm {

namespace {

// Bytes that end the fast run through a string: the quote, a backslash, a control character.
constexpr std::array<bool, 256> k_string_stop = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c)
        t[c] = true;
    t['"'] = t['\\'] = true;
    return t;
}();

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Four hex digits at `p` (the caller checked there are four), or -1.
long hex4(const char* p) {
    long v = 0;
    for (int i = 0; i < 4; ++i) {
        const int h = hex_value(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

void put_utf8(unsigned long cp, std::string& out) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Deep enough for any API document; a deeper one is refused rather than overflowing the stack.
constexpr int k_max_depth = 256;

}  // namespace

JsonCursor::JsonCursor(std::string_view text)
    : m_at(text.data()), m_end(text.data() + text.size()) {}

bool JsonCursor::fail() {
    m_ok = false;
    m_at = m_end;
    return false;
}

void JsonCursor::ws() {
    while (m_at < m_end && (*m_at == ' ' || *m_at == '\n' || *m_at == '\t' || *m_at == '\r'))
        ++m_at;
}

char JsonCursor::peek() {
    ws();
    return m_at < m_end ? *m_at : '\0';
}

bool JsonCursor::enter_object() {
    if (peek() != '{') return false;
    ++m_at;
    m_first = true;
    return true;
}

bool JsonCursor::enter_array() {
    if (peek() != '[') return false;
    ++m_at;
    m_first = true;
    return true;
}

// Past the ',' before the next item of an object or array: true; past its `close`: false.
bool JsonCursor::next_item(char close) {
    if (!m_ok) return false;
    ws();
    if (m_at == m_end) return fail();
    if (*m_at == close) {
        ++m_at;
        m_first = false;
        return false;
    }
    if (!m_first) {
        if (*m_at != ',') return fail();
        ++m_at;
        ws();
    }
    m_first = false;
    return true;
}

bool JsonCursor::member(std::string_view& key) {
    if (!next_item('}')) return false;
    if (m_at == m_end || *m_at != '"') return fail();
    std::string_view raw;
    bool escaped = false;
    if (!scan_string(raw, escaped)) return false;
    if (escaped) {
        m_key.clear();
        if (!decode(raw, m_key)) return fail();
        raw = m_key;
    }
    ws();
    if (m_at == m_end || *m_at != ':') return fail();
    ++m_at;
    key = raw;
    return true;
}

bool JsonCursor::element() {
    return next_item(']');
}

bool JsonCursor::string(std::string& out) {
    if (peek() != '"') {
        skip();
        return false;
    }
    std::string_view raw;
    bool escaped = false;
    if (!scan_string(raw, escaped)) return false;
    if (!escaped) {
        out.assign(raw);
        return true;
    }
    out.clear();
    return decode(raw, out) || fail();
}

bool JsonCursor::integer(std::int64_t& out) {
    const char c = peek();
    if (c != '-' && !is_digit(c)) {
        skip();
        return false;
    }
    std::string_view raw;
    if (!scan_number(raw)) return false;
    const char* end = raw.data() + raw.size();
    const auto [stop, error] = std::from_chars(raw.data(), end, out);
    if (error == std::errc() && stop == end) return true;
    // A fraction, an exponent, or too large for 64 bits: read as a double, then cut.
    double d = 0;
    std::from_chars(raw.data(), end, d);
    constexpr double k_limit = 9.2e18;
    out = static_cast<std::int64_t>(std::clamp(std::trunc(d), -k_limit, k_limit));
    return true;
}

void JsonCursor::skip() {
    skip_value(0);
}

std::string_view JsonCursor::skip_raw() {
    ws();
    const char* start = m_at;
    skip_value(0);
    return m_ok ? std::string_view(start, static_cast<std::size_t>(m_at - start))
                : std::string_view();
}

bool JsonCursor::finish() {
    ws();
    return m_ok && m_at == m_end;
}

void JsonCursor::skip_value(int depth) {
    if (depth > k_max_depth) {
        fail();
        return;
    }
    std::string_view raw;
    bool escaped = false;
    switch (peek()) {
        case '{':
            ++m_at;
            m_first = true;
            for (std::string_view key; member(key);)
                skip_value(depth + 1);
            return;
        case '[':
            ++m_at;
            m_first = true;
            while (element())
                skip_value(depth + 1);
            return;
        case '"':
            scan_string(raw, escaped);
            return;
        case 't':
            scan_literal("true");
            return;
        case 'f':
            scan_literal("false");
            return;
        case 'n':
            scan_literal("null");
            return;
        default:
            scan_number(raw);
            return;
    }
}

bool JsonCursor::scan_string(std::string_view& raw, bool& escaped) {
    const char* p = m_at + 1;  // past the opening quote
    const char* start = p;
    while (true) {
        while (p < m_end && !k_string_stop[static_cast<unsigned char>(*p)])
            ++p;
        if (p == m_end || static_cast<unsigned char>(*p) < 0x20) return fail();
        if (*p == '"') break;
        // A backslash: the escape is checked here, decoded only if the value is read.
        escaped = true;
        if (m_end - p < 2) return fail();
        switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p += 2;
                break;
            case 'u':
                if (m_end - p < 6 || hex4(p + 2) < 0) return fail();
                p += 6;
                break;
            default:
                return fail();
        }
    }
    raw = std::string_view(start, static_cast<std::size_t>(p - start));
    m_at = p + 1;
    return true;
}

bool JsonCursor::scan_number(std::string_view& raw) {
    const char* p = m_at;
    if (p < m_end && *p == '-') ++p;
    if (p == m_end || !is_digit(*p)) return fail();
    if (*p == '0') {
        ++p;
    } else {
        while (p < m_end && is_digit(*p))
            ++p;
    }
    if (p < m_end && *p == '.') {
        ++p;
        if (p == m_end || !is_digit(*p)) return fail();
        while (p < m_end && is_digit(*p))
            ++p;
    }
    if (p < m_end && (*p == 'e' || *p == 'E')) {
        ++p;
        if (p < m_end && (*p == '+' || *p == '-')) ++p;
        if (p == m_end || !is_digit(*p)) return fail();
        while (p < m_end && is_digit(*p))
            ++p;
    }
    raw = std::string_view(m_at, static_cast<std::size_t>(p - m_at));
    m_at = p;
    return true;
}

bool JsonCursor::scan_literal(std::string_view word) {
    if (static_cast<std::size_t>(m_end - m_at) < word.size() ||
        std::string_view(m_at, word.size()) != word)
        return fail();
    m_at += word.size();
    return true;
}

bool JsonCursor::decode(std::string_view raw, std::string& out) {
    out.reserve(raw.size());
    const char* p = raw.data();
    const char* end = p + raw.size();
    while (p < end) {
        if (*p != '\\') {
            out += *p++;
            continue;
        }
        // scan_string checked the escape's form.
        const char e = p[1];
        p += 2;
        switch (e) {
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned long cp = static_cast<unsigned long>(hex4(p));
                p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a second half alone
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    // The first half of a pair: the second must follow.
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return false;
                    const long low = hex4(p + 2);
                    if (low < 0xDC00 || low > 0xDFFF) return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) +
                         (static_cast<unsigned long>(low) - 0xDC00);
                    p += 6;
                }
                put_utf8(cp, out);
                break;
            }
            default:
                out += e;
                break;  // " \ /
        }
    }
    return true;
}

}  // namespace backends::slurm

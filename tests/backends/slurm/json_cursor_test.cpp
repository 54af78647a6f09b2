// The JSON cursor that reads large replies, with nlohmann's parser as the oracle: whatever one
// accepts the other accepts, and reads the same.
#include "backends/slurm/json_cursor.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "backends/slurm/slurm_json.hpp"

using json = nlohmann::json;
using backends::slurm::JsonCursor;

namespace {

// Any value read through the cursor's own calls (numbers through their text, as the cursor
// reads only integers); nullopt when the cursor found the text malformed.
json read_value(JsonCursor& c) {
    switch (c.peek()) {
        case '{': {
            REQUIRE(c.enter_object());
            json out = json::object();
            for (std::string_view key; c.member(key);) {
                std::string name(key);  // the view lasts only until the value is read
                out[name] = read_value(c);
            }
            return out;
        }
        case '[': {
            REQUIRE(c.enter_array());
            json out = json::array();
            while (c.element())
                out.push_back(read_value(c));
            return out;
        }
        case '"': {
            std::string s;
            c.string(s);
            return s;
        }
        default: {
            const auto raw = c.skip_raw();
            return raw.empty() ? json() : json::parse(raw, nullptr, false);
        }
    }
}

std::optional<json> read_all(std::string_view text) {
    JsonCursor c(text);
    json v = read_value(c);
    if (!c.finish()) return std::nullopt;
    return v;
}

std::optional<json> oracle(std::string_view text) {
    json v = json::parse(text, nullptr, false);
    if (v.is_discarded()) return std::nullopt;
    return v;
}

// A random document of a few levels: the shapes and strings an API sends, and some it should not.
json random_value(std::mt19937& rng, int depth) {
    const int kind = std::uniform_int_distribution<int>(0, depth > 3 ? 4 : 6)(rng);
    switch (kind) {
        case 0:
            return nullptr;
        case 1:
            return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
        case 2:
            return std::uniform_int_distribution<std::int64_t>(-1'000'000'000'000,
                                                               1'000'000'000'000)(rng);
        case 3:
            return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
        case 4: {
            static const char* const pieces[] = {"a",    "é", "\"",  "\\", "/",      "\n", "\t",
                                                 "\x01", "😀", "job", " ",  "\u2028", "{",  "]"};
            std::string s;
            const int n = std::uniform_int_distribution<int>(0, 6)(rng);
            for (int i = 0; i < n; ++i)
                s += pieces[std::uniform_int_distribution<int>(0, 13)(rng)];
            return s;
        }
        case 5: {
            json a = json::array();
            const int n = std::uniform_int_distribution<int>(0, 4)(rng);
            for (int i = 0; i < n; ++i)
                a.push_back(random_value(rng, depth + 1));
            return a;
        }
        default: {
            json o = json::object();
            const int n = std::uniform_int_distribution<int>(0, 4)(rng);
            for (int i = 0; i < n; ++i)
                o["k" + std::to_string(i) + (i % 2 ? "\"q" : "")] = random_value(rng, depth + 1);
            return o;
        }
    }
}

bool valid_utf8(const std::string& text) {
    try {
        (void)json(text).dump();  // nlohmann refuses to write a string that is not UTF-8
        return true;
    } catch (const json::exception&) {
        return false;
    }
}

std::string sample_text(const std::string& name) {
    std::ifstream in(std::string(GRID_SOURCE_DIR) + "/tests/data/slurm/" + name);
    REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("json cursor: reads what nlohmann reads, escapes and all", "[json]") {
    const char* const texts[] = {
        R"({})",
        R"([])",
        R"( { "a" : [ 1 , -2 , 3.5e2 , true , false , null ] , "b" : { } } )",
        R"({"s":"tab\there \"quoted\" back\\slash \/ \b\f\n\r \u00e9 \u20AC \ud83d\ude00"})",
        R"({"k\"ey":1,"k\u0065y":2})",
        R"("just a string")",
        R"(-0)",
        R"([[[[[]]]]])",
        "{\"a\":\n\t[1,\r\n2]}",
    };
    for (const char* text : texts) {
        INFO(text);
        const auto mine = read_all(text);
        REQUIRE(mine);
        CHECK(*mine == *oracle(text));
    }
}

TEST_CASE("json cursor: refuses what nlohmann refuses", "[json]") {
    const char* const texts[] = {
        "",
        "{",
        "}",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "[1 2]",
        "01",
        "1.",
        "1e",
        "-",
        "+1",
        "tru",
        "nul",
        "\"open",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"a\x01b\"",
        "[1]]",
        "{} {}",
        "[\"a\"",
        "{\"a\":}",
        "[.5]",
        "\"\\ud800\\u0041\"",
    };
    for (const char* text : texts) {
        INFO(text);
        CHECK_FALSE(oracle(text));
        CHECK_FALSE(read_all(text));
    }
    // Deeper than any API document nests: refused, not a stack overflow.
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    JsonCursor c(deep);
    c.skip();
    CHECK_FALSE(c.finish());
}

TEST_CASE("json cursor: agrees with nlohmann on random documents and damaged ones", "[json]") {
    std::mt19937 rng(20261123);
    int damaged_valid = 0;
    for (int round = 0; round < 3000; ++round) {
        const json doc = random_value(rng, 0);
        const int indent = std::uniform_int_distribution<int>(-1, 2)(rng);
        std::string text = doc.dump(indent, '\t');
        INFO(text);
        const auto mine = read_all(text);
        REQUIRE(mine);
        CHECK(*mine == doc);
        // One byte cut, doubled or replaced by a JSON punctuation mark: both readers judge alike.
        if (text.empty()) continue;
        const auto at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
        static const char marks[] = "{}[],:\"\\ 0a-";
        switch (round % 3) {
            case 0:
                text.erase(at, 1);
                break;
            case 1:
                text.insert(at, 1, text[at]);
                break;
            default:
                text[at] = marks[std::uniform_int_distribution<int>(0, 11)(rng)];
                break;
        }
        // A cut inside a multi-byte character makes text that is not UTF-8, which nlohmann
        // checks and the cursor, reading ASCII-keyed API replies, does not.
        if (!valid_utf8(text)) continue;
        INFO("damaged: " << text);
        const auto expected = oracle(text);
        const auto got = read_all(text);
        CHECK(got.has_value() == expected.has_value());
        if (got && expected) {
            CHECK(*got == *expected);
            ++damaged_valid;
        }
    }
    CHECK(damaged_valid > 0);  // some damage leaves valid JSON: both must read it alike
}

TEST_CASE("json cursor: integers, and values of another type passed over", "[json]") {
    JsonCursor c(R"({"a":42,"b":-7,"c":1.9e1,"d":"x","e":[1],"f":99999999999999999999,"g":5})");
    REQUIRE(c.enter_object());
    std::string_view key;
    std::int64_t v = 0;
    REQUIRE(c.member(key));
    CHECK(key == "a");
    CHECK(c.integer(v));
    CHECK(v == 42);
    REQUIRE(c.member(key));
    CHECK(c.integer(v));
    CHECK(v == -7);
    REQUIRE(c.member(key));
    CHECK(c.integer(v));
    CHECK(v == 19);  // cut, as nlohmann's get<std::int64_t> does
    REQUIRE(c.member(key));
    CHECK_FALSE(c.integer(v));  // a string: passed over
    REQUIRE(c.member(key));
    std::string s;
    CHECK_FALSE(c.string(s));  // an array: passed over
    REQUIRE(c.member(key));
    CHECK(c.integer(v));
    CHECK(v > 9'000'000'000'000'000'000);  // too large for 64 bits: the largest near it
    REQUIRE(c.member(key));
    CHECK(key == "g");
    CHECK(c.integer(v));
    CHECK(v == 5);
    CHECK_FALSE(c.member(key));
    CHECK(c.finish());
}

TEST_CASE("slurm: a GET /jobs reply read by the cursor gives the jobs the document gives",
          "[json]") {
    for (const char* name : {"rest_job_pending.json", "rest_job_2node.json"}) {
        INFO(name);
        const std::string text = sample_text(name);
        const json doc = json::parse(text);
        // Twice the sample's jobs, one of them with a name that needs escapes.
        json twice = doc;
        json other = doc["jobs"][0];
        other["job_id"] = 777;
        other["name"] = "tab\there \"q\" \u00e9";
        twice["jobs"].push_back(other);
        for (const std::string& reply : {text, twice.dump(), twice.dump(2)}) {
            const auto got = backends::slurm::parse_jobs_reply(reply);
            CHECK(got.valid);
            const json parsed = json::parse(reply);
            REQUIRE(got.jobs.size() == parsed["jobs"].size());
            for (std::size_t i = 0; i < got.jobs.size(); ++i) {
                const core::Job want = backends::slurm::parse_job(parsed["jobs"][i]);
                const core::Job& j = got.jobs[i];
                CHECK(j.id == want.id);
                CHECK(j.name == want.name);
                CHECK(j.user == want.user);
                CHECK(j.partition == want.partition);
                CHECK(j.state == want.state);
                CHECK(j.reason == want.reason);
                CHECK(j.nodes == want.nodes);
                CHECK(j.gpus == want.gpus);
                CHECK(j.node_list == want.node_list);
                CHECK(j.submit_time == want.submit_time);
                CHECK(j.start_time == want.start_time);
                CHECK(j.end_time == want.end_time);
                CHECK(j.time_limit == want.time_limit);
                CHECK(j.priority == want.priority);
                CHECK(j.exit_code == want.exit_code);
                CHECK(j.command == want.command);
                CHECK(j.work_dir == want.work_dir);
                CHECK(j.stdout_path == want.stdout_path);
            }
        }
        // Every cut of the reply short of its end is refused, never read as fewer jobs.
        for (std::size_t cut = 0; cut + 1 < text.size(); cut += 97) {
            const auto got =
                backends::slurm::parse_jobs_reply(std::string_view(text).substr(0, cut));
            CHECK_FALSE(got.valid);
        }
    }
}

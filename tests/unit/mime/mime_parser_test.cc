// MIME structure: tree shape, IMAP paths, byte offsets, Content-* fields,
// and repair of malformed structure.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/mime/mime_parser.h"
#include "tests/unit/mime/test_util.h"

namespace seal::mime {
namespace {

using testing::Crlf;
using testing::HasWarning;

// `raw` must outlive the result (ParsedMime holds a view of it).
ParsedMime MustParse(const std::string& raw, const MimeLimits& l = {}) {
  Result<ParsedMime> r = ParseMime(raw, l);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// The bytes of a whole part (header fields + blank line + body).
std::string_view Whole(const ParsedMime& m, const PartView& p) {
  return m.raw.substr(p.header_begin, p.body_end - p.header_begin);
}

const char kNested[] =
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "preamble\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "\n"
    "plain\n"
    "--inner\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>html</p>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: application/pdf; name=\"r.pdf\"\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0=\n"
    "--outer--\n"
    "epilogue\n";

TEST_CASE("ParseMime builds the tree of a nested message", "[mime][parser]") {
  const bool crlf = GENERATE(false, true);
  const std::string raw = crlf ? Crlf(kNested) : std::string(kNested);
  const std::string nl = crlf ? "\r\n" : "\n";
  const ParsedMime m = MustParse(raw);
  CHECK(m.warnings.empty());
  REQUIRE(m.parts.size() == 5);

  struct Want {
    const char* path;
    const char* mime_type;
    size_t depth;
    size_t parent;
    std::vector<size_t> children;
  };
  const std::vector<Want> want = {
      {"", "multipart/mixed", 0, kNoParent, {1, 4}},
      {"1", "multipart/alternative", 1, 0, {2, 3}},
      {"1.1", "text/plain", 2, 1, {}},
      {"1.2", "text/html", 2, 1, {}},
      {"2", "application/pdf", 1, 0, {}},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("part index " << i);
    const PartView& p = m.parts[i];
    CHECK(p.index == i);
    CHECK(p.path == want[i].path);
    CHECK(p.MimeType() == want[i].mime_type);
    CHECK(p.depth == want[i].depth);
    CHECK(p.parent == want[i].parent);
    CHECK(p.children == want[i].children);
  }
  CHECK(m.BodyBytes(m.parts[2]) == "plain");
  CHECK(m.BodyBytes(m.parts[3]) == "<p>html</p>");
  CHECK(m.BodyBytes(m.parts[4]) == "JVBERi0=");
  CHECK(m.HeaderBytes(m.parts[2]) ==
        "Content-Type: text/plain; charset=UTF-8" + nl);
  CHECK(Whole(m, m.parts[3]) ==
        "Content-Type: text/html" + nl + nl + "<p>html</p>");
  // Containers span their preamble, parts and epilogue.
  CHECK(m.BodyBytes(m.parts[1]) ==
        "--inner" + nl + "Content-Type: text/plain; charset=UTF-8" + nl + nl +
            "plain" + nl + "--inner" + nl + "Content-Type: text/html" + nl +
            nl + "<p>html</p>" + nl + "--inner--");
  CHECK(m.parts[0].body_end == raw.size());
  CHECK(m.parts[0].header_begin == 0);
  CHECK(m.BodyBytes(m.parts[0]).substr(0, 8) == "preamble");
  const PartView& root = m.parts[0];
  CHECK(m.raw.substr(root.body_begin, root.preamble_end - root.body_begin) ==
        "preamble");
  CHECK(m.raw.substr(root.epilogue_begin,
                     root.body_end - root.epilogue_begin) == "epilogue" + nl);
  // Empty preamble and epilogue of the inner multipart; leaves have none.
  CHECK(m.parts[1].preamble_end == m.parts[1].body_begin);
  CHECK(m.parts[1].epilogue_begin == m.parts[1].body_end);
  CHECK(m.parts[2].preamble_end == m.parts[2].body_begin);
  CHECK(m.parts[2].epilogue_begin == m.parts[2].body_end);

  const PartView& pdf = m.parts[4];
  CHECK(pdf.encoding == TransferEncoding::kBase64);
  CHECK(pdf.disposition == Disposition::kAttachment);
  CHECK(pdf.filename == "report.pdf");
  CHECK(pdf.name == "r.pdf");
  CHECK(pdf.FileName() == "report.pdf");
  CHECK(m.parts[2].charset == "utf-8");
  CHECK(m.parts[0].boundary == "outer");
  CHECK_FALSE(m.parts[0].type_defaulted);

  Result<Decoded> d = DecodeBody(m, pdf, 100);
  REQUIRE(d.ok());
  CHECK(d->bytes == "%PDF-");

  // Header fields are byte ranges.
  const HeaderField* cte = m.FindField(pdf, "content-transfer-encoding");
  REQUIRE(cte != nullptr);
  CHECK(FieldName(m.raw, *cte) == "Content-Transfer-Encoding");
  CHECK(FieldRawValue(m.raw, *cte) == " base64");
  CHECK(m.raw.substr(cte->begin, cte->end - cte->begin) ==
        "Content-Transfer-Encoding: base64" + nl);
}

TEST_CASE("ParseMime single-part messages", "[mime][parser]") {
  const std::string raw = Crlf(
      "From: a@example.com\n"
      "Subject: folded\n"
      " subject\n"
      "\n"
      "body\n");
  const ParsedMime m = MustParse(raw);
  REQUIRE(m.parts.size() == 1);
  const PartView& p = m.root();
  CHECK(p.path == "1");
  CHECK(p.MimeType() == "text/plain");
  CHECK(p.type_defaulted);
  CHECK(p.headers.size() == 2);
  CHECK(FieldRawValue(m.raw, p.headers[1]) == " folded\r\n subject");
  CHECK(UnfoldValue(FieldRawValue(m.raw, p.headers[1])) == "folded subject");
  CHECK(m.HeaderBytes(p) ==
        "From: a@example.com\r\nSubject: folded\r\n subject\r\n");
  CHECK(m.BodyBytes(p) == "body\r\n");
  CHECK(m.warnings.empty());
}

TEST_CASE("UnfoldedView gives UnfoldValue's text, copying only folds",
          "[mime][parser]") {
  const std::string cases[] = {
      "",
      "   ",
      " \r\n\t\r\n ",
      "plain value",
      "  padded \t",
      " folded\r\n subject",
      " many\r\n\tfolds\r\n  in\r\n one",
      "lone\rcr and lone\nlf",
      "\r\n\r\n",
      "trailing fold\r\n ",
      std::string(100000, 'x') + "\r\n " + std::string(100000, 'y'),
      std::string("nul\0inside", 11),
      "\xff\xfe 8-bit \xc3\xa9",
  };
  for (const std::string& raw : cases) {
    std::string storage = "stale";
    const std::string_view view = UnfoldedView(raw, storage);
    CHECK(view == UnfoldValue(raw));
  }
  // Nothing to drop inside the value: a view into it, no copy.
  const std::string plain = "  padded value \t";
  std::string storage;
  const std::string_view view = UnfoldedView(plain, storage);
  CHECK(view == "padded value");
  CHECK(view.data() == plain.data() + 2);
  CHECK(storage.empty());
  // A fold inside: the unfolded text is in the storage.
  const std::string folded = " folded\r\n subject";
  const std::string_view unfolded = UnfoldedView(folded, storage);
  CHECK(storage == "folded subject");
  CHECK(static_cast<const void*>(unfolded.data()) ==
        static_cast<const void*>(storage.data()));
}

TEST_CASE("ParseMime encapsulated messages follow IMAP numbering",
          "[mime][parser]") {
  const std::string raw = Crlf(
      "Content-Type: multipart/mixed; boundary=b\n"
      "\n"
      "--b\n"
      "\n"
      "see attached\n"
      "--b\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "Subject: inner multipart\n"
      "Content-Type: multipart/alternative; boundary=c\n"
      "\n"
      "--c\n"
      "\n"
      "inner text\n"
      "--c--\n"
      "--b\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "Subject: inner single\n"
      "\n"
      "single text\n"
      "--b--\n");
  const ParsedMime m = MustParse(raw);
  CHECK(m.warnings.empty());
  std::vector<std::string> paths, types;
  for (const PartView& p : m.parts) {
    paths.push_back(p.path);
    types.push_back(p.MimeType());
  }
  CHECK(paths ==
        std::vector<std::string>{"", "1", "2", "2", "2.1", "3", "3.1"});
  CHECK(types == std::vector<std::string>{"multipart/mixed", "text/plain",
                                          "message/rfc822",
                                          "multipart/alternative", "text/plain",
                                          "message/rfc822", "text/plain"});
  CHECK(m.parts[2].IsEncapsulatedMessage());
  CHECK(m.BodyBytes(m.parts[4]) == "inner text");
  CHECK(m.BodyBytes(m.parts[6]) == "single text");
  CHECK(m.parts[6].depth == 2);
  CHECK(m.HeaderBytes(m.parts[6]) == "Subject: inner single\r\n");
  // The encapsulated message is the whole body of its message/rfc822 part.
  CHECK(m.parts[6].header_begin == m.parts[5].body_begin);
  CHECK(m.parts[6].body_end == m.parts[5].body_end);
}

TEST_CASE("ParseMime defaults digest parts to message/rfc822",
          "[mime][parser]") {
  const std::string raw = Crlf(
      "Content-Type: multipart/digest; boundary=d\n"
      "\n"
      "--d\n"
      "\n"
      "Subject: one\n"
      "\n"
      "first\n"
      "--d--\n");
  const ParsedMime m = MustParse(raw);
  REQUIRE(m.parts.size() == 3);
  CHECK(m.parts[1].MimeType() == "message/rfc822");
  CHECK(m.parts[1].type_defaulted);
  CHECK(m.parts[2].path == "1.1");
  CHECK(m.BodyBytes(m.parts[2]) == "first");
}

TEST_CASE("ParseMime boundary matching details", "[mime][parser]") {
  const std::string raw = Crlf(
      "Content-Type: multipart/mixed; boundary=\"b\"\n"
      "\n"
      "--b  \n"
      "\n"
      "--bx is not a boundary\n"
      "-- b neither\n"
      "--b--x neither\n"
      "--b--\t\n"
      "after close: --b\n"
      "--b\n"
      "ignored: boundary after the close\n");
  const ParsedMime m = MustParse(raw);
  REQUIRE(m.parts.size() == 2);
  CHECK(m.BodyBytes(m.parts[1]) ==
        "--bx is not a boundary\r\n-- b neither\r\n--b--x neither");
  CHECK(m.warnings.empty());
}

TEST_CASE("ParseMime repairs malformed structure", "[mime][parser]") {
  struct Case {
    const char* name;
    std::string raw;  // LF; converted to CRLF
    std::vector<std::string> paths;
    std::vector<std::string> bodies;  // leaf bodies in order
    const char* warning;
  };
  const std::vector<Case> cases = {
      {"no closing boundary",
       "Content-Type: multipart/mixed; boundary=b\n\n--b\n\ntext\n",
       {"", "1"},
       {"text\r\n"},
       "message: no closing boundary"},
      {"boundary never found",
       "Content-Type: multipart/mixed; boundary=b\n\n--c\n\ntext\n",
       {""},
       {"--c\r\n\r\ntext\r\n"},
       "message: boundary never found"},
      {"no boundary parameter",
       "Content-Type: multipart/mixed\n\nbody\n",
       {""},
       {"body\r\n"},
       "multipart without a usable boundary"},
      {"empty boundary parameter",
       "Content-Type: multipart/mixed; boundary=\"\"\n\nbody\n",
       {""},
       {"body\r\n"},
       "multipart without a usable boundary"},
      {"inner closed by outer",
       "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
       "Content-Type: multipart/alternative; boundary=i\n\n--i\n\na\n"
       "--o\n\nb\n--o--\n",
       {"", "1", "1.1", "2"},
       {"a", "b"},
       "part 1: no closing boundary"},
      {"part header without blank line",
       "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
       "Content-Type: text/plain\nHello\n--b--\n",
       {"", "1"},
       {"Hello"},
       "part 1: header not ended by a blank line"},
      {"part without header or blank line",
       "Content-Type: multipart/mixed; boundary=b\n\n--b\nHello\n--b--\n",
       {"", "1"},
       {"Hello"},
       "part 1: no header block"},
      {"part header cut by boundary",
       "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
       "Content-Type: text/plain\n--b--\n",
       {"", "1"},
       {""},
       "part 1: header without body (cut by a boundary)"},
      {"truncated in part header",
       "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: te",
       {"", "1"},
       {""},
       "header without body (message truncated)"},
      {"invalid content type",
       "Content-Type: garbage\n\nbody\n",
       {"1"},
       {"body\r\n"},
       "invalid Content-Type, using text/plain"},
      {"duplicate content type",
       "Content-Type: text/html\nContent-Type: text/plain\n\nx\n",
       {"1"},
       {"x\r\n"},
       "duplicate Content-* header"},
      {"nul in header",
       std::string("Subject: a\0b\n\nx\n", 16),
       {"1"},
       {"x\r\n"},
       "NUL byte in header"},
      {"mbox From line",
       "From alice@example.com Mon Jan 1 00:00:00 2024\nSubject: x\n\nbody\n",
       {"1"},
       {"body\r\n"},
       "skipped a leading mbox From line"},
      {"not a message",
       "just some text\nmore text\n",
       {"1"},
       {"just some text\r\nmore text\r\n"},
       "part 1: no header block"},
      {"unknown transfer encoding",
       "Content-Transfer-Encoding: x-uuencode\n\nbegin\n",
       {"1"},
       {"begin\r\n"},
       "unknown Content-Transfer-Encoding"},
      {"continuation without field",
       " folded\nSubject: x\n\nb\n",
       {"1"},
       {"b\r\n"},
       "continuation line without a header field"},
      {"message/rfc822 truncated",
       "Content-Type: message/rfc822\n\nSubject: x",
       {"1", "1.1"},
       {""},
       "part 1.1: header without body (message truncated)"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string raw = Crlf(c.raw);
    const ParsedMime m = MustParse(raw);
    std::vector<std::string> paths, bodies;
    for (const PartView& p : m.parts) {
      paths.push_back(p.path);
      if (p.children.empty()) bodies.push_back(std::string(m.BodyBytes(p)));
    }
    CHECK(paths == c.paths);
    CHECK(bodies == c.bodies);
    CHECK(HasWarning(m.warnings, c.warning));
    for (const PartView& p : m.parts) {
      CHECK(p.header_begin <= p.header_end);
      CHECK(p.header_end <= p.body_begin);
      CHECK(p.body_begin <= p.body_end);
      CHECK(p.body_end <= m.raw.size());
    }
  }
}

TEST_CASE("ParseMime edge inputs", "[mime][parser]") {
  struct Case {
    const char* name;
    std::string raw;
    size_t header_fields;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"empty", "", 0, ""},
      {"only a blank line", "\r\n", 0, ""},
      {"no header", "\r\nbody", 0, "body"},
      {"header only, no blank line", "Subject: x", 1, ""},
      {"header only, final CRLF", "Subject: x\r\n", 1, ""},
      {"bare LF", "Subject: x\n\nbody\n", 1, "body\n"},
      {"mixed endings", "A: 1\r\nB: 2\n\r\nbody", 2, "body"},
      {"space before colon", "Subject : x\r\n\r\nb", 1, "b"},
      {"NUL in body", std::string("A: 1\r\n\r\n\0\0", 10), 1,
       std::string("\0\0", 2)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const ParsedMime m = MustParse(c.raw);
    REQUIRE(m.parts.size() == 1);
    CHECK(m.root().headers.size() == c.header_fields);
    CHECK(m.BodyBytes(m.root()) == c.body);
    CHECK(m.warnings.empty());
  }
}

TEST_CASE("ParseMime decodes part bodies", "[mime][parser]") {
  const std::string raw = Crlf(
      "Content-Type: multipart/mixed; boundary=b\n"
      "\n"
      "--b\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "caf=C3=A9 =\n"
      "ok\n"
      "--b\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "w6k=\n"
      "--b\n"
      "Content-Transfer-Encoding: 8bit\n"
      "\n"
      "\xC3\xA9\n"
      "--b--\n");
  const ParsedMime m = MustParse(raw);
  REQUIRE(m.parts.size() == 4);
  const std::vector<std::string> want = {"caf\xC3\xA9 ok", "\xC3\xA9",
                                         "\xC3\xA9"};
  for (size_t i = 0; i < want.size(); ++i) {
    Result<Decoded> d = DecodeBody(m, m.parts[i + 1], 1000);
    REQUIRE(d.ok());
    CHECK(d->bytes == want[i]);
  }
  // A container's "decoded" body is its raw body.
  Result<Decoded> root = DecodeBody(m, m.root(), 1 << 20);
  REQUIRE(root.ok());
  CHECK(root->bytes == m.BodyBytes(m.root()));
}

}  // namespace
}  // namespace seal::mime

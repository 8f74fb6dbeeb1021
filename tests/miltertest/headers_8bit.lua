-- headers_8bit.lua: header fields with folding (CRLF and bare-LF
-- continuation lines, as Postfix and Sendmail pass them), 8-bit bytes (raw
-- UTF-8, Latin-1, bytes that are not UTF-8, control characters), empty and
-- very long values; an 8-bit envelope (SMTPUTF8) and a body holding every
-- byte value including NUL. Each message is accepted unchanged, and the
-- size the daemon logs proves it spooled exactly the bytes received (bare
-- LF in a folded value becomes CRLF, nothing else is touched).
-- @config: spool.memory_limit = "1K"
-- @expect-log-count: 17 info: s1/H8-\d+: passed unchanged:
-- @forbid-log: Grüße|Köln|crème|R3LDvMOfZ

local T = dofile(common)

local long = {}  -- 12 lines of 70 characters
for i = 1, 12 do
  long[#long + 1] = string.rep(string.char(96 + (i % 26) + 1), 70)
end

-- name, value (sent after "Name:"; miltertest adds the leading space).
local cases = {
  {"Subject", "folded with CRLF\r\n\tand a tab"},
  {"Subject", "folded with bare LF\n and a space"},
  {"To", "a@example.net,\r\n b@example.net,\n\tc@example.net,\r\n"
         .. "    d@example.net"},
  {"Subject", "Grüße aus Köln — ✓ 日本語"},
  {"Subject", "caf\233 cr\232me br\251l\233e"},               -- Latin-1
  {"X-Not-UTF8", "\255\254\128\192\193\245\248 end"},
  {"Subject", "=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?="},
  -- miltertest copies a header into a 1024-byte buffer (and aborts when
  -- it is longer): longer headers are in test_replies.py.
  {"X-Long", table.concat(long, "\r\n ")},            -- 12 folded lines
  {"X-Long-Unfolded", string.rep("u", 990)},
  {"X-Empty", ""},
  {"X-Blank", "   \t "},
  {"X-Colons", "a: b; c=\"d:e\"; f"},
  {"X-Weird_Name.1", "name with _ and ."},
  {"X-Controls", "bell\7 del\127 tab\tend"},
  {"X-Bare-CR", "bare\rCR inside"},
}

T.main(function()
  local conn = T.open()
  for i, c in ipairs(cases) do
    local m = {qid = "H8-" .. i,
               headers = {{"From", "a@example.org"}, {c[1], c[2]}},
               body = "8-bit header " .. i .. "\r\n"}
    T.accept_unchanged(conn, m, "case " .. i .. " (" .. c[1] .. ")")
    local r = T.log_result(m.qid)
    local want = T.spooled_size(conn, m)
    T.check(r.size == want, "case %d (%s): size=%d, expected %d", i, c[1],
            r.size, want)
  end

  -- All of them in one header block.
  local all = {qid = "H8-16", headers = {}, body = "all\r\n"}
  for _, c in ipairs(cases) do all.headers[#all.headers + 1] = c end
  T.accept_unchanged(conn, all, "all headers at once")
  local r = T.log_result(all.qid)
  T.check(r.size == T.spooled_size(conn, all), "all: size=%d, expected %d",
          r.size, T.spooled_size(conn, all))
  T.check(r.spilled == "yes", "all: spilled=%s", r.spilled)

  -- 8-bit envelope and a binary body with every byte value, NUL included
  -- (mt.bodystring stops at NUL; mt.bodyfile sends the file as it is).
  local path = work_dir .. "/binary-body"
  local f = assert(io.open(path, "wb"))
  local bytes = {}
  for b = 0, 255 do bytes[#bytes + 1] = string.char(b) end
  local blob = string.rep(table.concat(bytes), 40)   -- 10240 bytes
  f:write(blob)
  f:close()
  local rcpts = {"<jörg@exämple.org>", "<用户@例子.广告>"}
  T.ok(mt.macro(conn, SMFIC_MAIL, "i", "H8-17"), "macro")
  T.ok(mt.mailfrom(conn, "<sénder@exämple.org>", "SMTPUTF8",
                   "BODY=8BITMIME"), "mailfrom")
  T.expect(conn, SMFIR_CONTINUE, "8-bit MAIL FROM")
  for _, rc in ipairs(rcpts) do
    T.ok(mt.rcptto(conn, rc), "rcptto")
    T.expect(conn, SMFIR_CONTINUE, "8-bit RCPT TO")
  end
  local m = {qid = "H8-17", headers = {{"Subject", "binary"}}}
  T.headers(conn, m)
  T.ok(mt.bodyfile(conn, path), "bodyfile")
  T.expect(conn, SMFIR_CONTINUE, "binary body")
  T.ok(mt.eom(conn), "eom")
  T.expect(conn, SMFIR_ACCEPT, "binary message")
  T.expect_unchanged(conn, rcpts, "binary message")
  r = T.log_result("H8-17")
  local want = T.spooled_size(conn, {headers = m.headers, body = blob})
  T.check(r.size == want, "binary: size=%d, expected %d", r.size, want)
  T.check(r.rcpts == 2, "binary: rcpts=%d", r.rcpts)
  T.ok(mt.disconnect(conn), "disconnect")
end)

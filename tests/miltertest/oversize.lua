-- oversize.lua: a message larger than spool.max_size is rejected with
-- 552 5.3.4 at the step that crosses the limit (header or body chunk), and
-- the connection stays usable: the next message on it is accepted. Exactly
-- max_size bytes is still accepted. The reply arrives before end of
-- message, so it shows as SMFIR_REPLYCODE on that step; mt.eom_check
-- (MT_SMTPREPLY) only sees end-of-message replies, so the exact text
-- "552 5.3.4 Message too big for content inspection" is checked by
-- test_replies.py and here through the daemon's log.
-- @config: spool.memory_limit = "1K"
-- @config: spool.max_size = "4K"
-- @allow-replies: y
-- @expect-log-count: 4 warning: s1/OV-REJ-\d: (body|header): resource-exhausted: message is larger than spool\.max_size \(4096 bytes\); answering 552 5\.3\.4$
-- @expect-log-count: 1 info: s1/OV-EXACT: passed unchanged: size=4096 rcpts=1 spilled=yes
-- @expect-log-count: 5 info: s\d/OV-AFTER-\d: passed unchanged:
-- @forbid-log: OV-REJ-\d: passed

local T = dofile(common)

local headers = {{"From", "a@example.org"}, {"Subject", "oversize"}}

-- Sends body chunks; returns the index of the first chunk not answered
-- CONTINUE and that reply.
local function send_until_reply(conn, chunks)
  for i, chunk in ipairs(chunks) do
    T.ok(mt.bodystring(conn, chunk), "bodystring")
    local r = mt.getreply(conn)
    if r ~= SMFIR_CONTINUE then return i, r end
  end
  return nil, SMFIR_CONTINUE
end

local function after(conn, n)
  local m = {qid = "OV-AFTER-" .. n, headers = headers, body = "ok\r\n"}
  T.accept_unchanged(conn, m, "message after rejected message " .. n)
end

T.main(function()
  local conn = T.open()
  local hbytes = T.spooled_size(conn, {headers = headers, body = ""})

  -- Exactly max_size: accepted.
  local exact = {qid = "OV-EXACT", headers = headers,
                 body = {string.rep("e", 2000),
                         string.rep("e", 4096 - 2000 - hbytes)}}
  T.accept_unchanged(conn, exact)

  -- One byte over, in one chunk: the chunk is answered with the reply code.
  local m = {qid = "OV-REJ-1", headers = headers}
  T.envelope(conn, m); T.headers(conn, m)
  local i, r = send_until_reply(conn, {string.rep("x", 4096 - hbytes + 1)})
  T.check(i == 1 and r == SMFIR_REPLYCODE, "one byte over: chunk %s got %s",
          tostring(i), T.reply_name(r))
  T.ok(mt.abort(conn), "abort")   -- what Postfix does after a reject
  after(conn, 1)

  -- Crossing the limit in the third chunk of several.
  m = {qid = "OV-REJ-2", headers = headers}
  T.envelope(conn, m); T.headers(conn, m)
  i, r = send_until_reply(conn, {string.rep("a", 1500), string.rep("b", 1500),
                                 string.rep("c", 1500), string.rep("d", 1500)})
  T.check(i == 3 and r == SMFIR_REPLYCODE,
          "crossing in chunk 3: chunk %s got %s", tostring(i), T.reply_name(r))
  T.ok(mt.abort(conn), "abort")
  after(conn, 2)

  -- A huge body (1 MB in 64 KiB chunks): rejected at the first chunk, no
  -- abort this time: the next MAIL FROM starts a fresh message.
  m = {qid = "OV-REJ-3", headers = headers}
  T.envelope(conn, m); T.headers(conn, m)
  i, r = send_until_reply(conn, {string.rep("h", 65535)})
  T.check(i == 1 and r == SMFIR_REPLYCODE, "huge body: chunk %s got %s",
          tostring(i), T.reply_name(r))
  after(conn, 3)

  -- The header block alone is larger than max_size: rejected at the header
  -- that crosses it.
  m = {qid = "OV-REJ-4"}
  T.envelope(conn, m)
  local crossed = nil
  for n = 1, 10 do
    T.ok(mt.header(conn, "X-Filler-" .. n, string.rep("f", 900)), "header")
    local reply = mt.getreply(conn)
    if reply ~= SMFIR_CONTINUE then
      T.check(reply == SMFIR_REPLYCODE, "header %d got %s", n,
              T.reply_name(reply))
      crossed = n
      break
    end
  end
  T.check(crossed == 5, "headers crossed max_size at %s, expected 5",
          tostring(crossed))
  T.ok(mt.abort(conn), "abort")
  after(conn, 4)

  -- And a fresh connection is served normally too.
  T.ok(mt.disconnect(conn), "disconnect")
  conn = T.open()
  local m2 = {qid = "OV-AFTER-5", headers = headers, body = "ok\r\n"}
  T.envelope(conn, m2)
  T.headers(conn, m2)
  T.body(conn, m2.body)
  T.ok(mt.eom(conn), "eom")
  T.expect(conn, SMFIR_ACCEPT, "new connection")
  T.ok(mt.disconnect(conn), "disconnect")
end)

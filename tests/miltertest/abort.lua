-- abort.lua: the MTA aborts a message (RSET, client gone from SMTP, or a
-- reject elsewhere) at different points; the next message on the same
-- connection is accepted unchanged and counts only its own recipients and
-- bytes. An aborted message is never logged as passed, and its spool file
-- (spilled to disk) is released at once, not at the end of the connection.
-- @config: spool.memory_limit = "1K"
-- @expect-log-count: 1 info: s1/AB-NEXT-1: passed unchanged: size=\d+ rcpts=1 spilled=no
-- @expect-log-count: 6 info: s1/AB-NEXT-\d: passed unchanged: size=\d+ rcpts=1
-- @forbid-log: /AB-ABORT-\d: passed

local T = dofile(common)

-- Where to abort: after these steps of the aborted message.
local cases = {
  {"after MAIL", function(conn, m)
     T.envelope(conn, {qid = m.qid, rcpts = {}})
   end},
  {"after RCPT", function(conn, m) T.envelope(conn, m) end},
  {"mid headers", function(conn, m)
     T.envelope(conn, m)
     T.ok(mt.header(conn, "From", "x@example.org"), "header")
     T.expect(conn, SMFIR_CONTINUE, "header")
   end},
  {"after EOH", function(conn, m) T.envelope(conn, m); T.headers(conn, m) end},
  {"mid body, in memory", function(conn, m)
     T.envelope(conn, m); T.headers(conn, m); T.body(conn, "short\r\n")
   end},
  {"mid body, spilled", function(conn, m)
     T.envelope(conn, m); T.headers(conn, m)
     T.body(conn, {string.rep("a", 30000), string.rep("b", 30000)})
   end},
}

T.main(function()
  local conn = T.open()
  -- One message first, so lazily created process state exists before the
  -- fd baseline is taken.
  T.accept_unchanged(conn, {qid = "AB-WARM",
                            body = string.rep("w", 4000)})
  local base_fds = T.fd_count()
  for i, c in ipairs(cases) do
    local what, steps = c[1], c[2]
    local aborted = {qid = "AB-ABORT-" .. i,
                     rcpts = {"<x1@example.net>", "<x2@example.net>",
                              "<x3@example.net>"}}
    steps(conn, aborted)
    T.ok(mt.abort(conn), "abort " .. what)
    -- The aborted message's spool file is closed at once: back to the
    -- baseline, taken on this same connection.
    local fds = T.wait_bounded(base_fds, 1000, 5)
    T.check(fds <= base_fds, "%s: %d fds after abort, %d before", what, fds,
            base_fds)
    local next_m = {qid = "AB-NEXT-" .. i, rcpts = {"<y@example.net>"},
                    headers = {{"Subject", "after abort " .. i}},
                    body = "next\r\n"}
    T.accept_unchanged(conn, next_m, "message after abort " .. what)
    local r = T.log_result(next_m.qid)
    T.check(r.rcpts == 1, "%s: next message rcpts=%d", what, r.rcpts)
    T.check(r.size == T.spooled_size(conn, next_m),
            "%s: next message size=%d, expected %d", what, r.size,
            T.spooled_size(conn, next_m))
  end
  T.ok(mt.disconnect(conn), "disconnect")
end)

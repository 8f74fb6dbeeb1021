-- abrupt_disconnect.lua: the MTA side vanishes (crash, timeout, network)
-- at every stage of a connection, without QUIT, including in the middle of
-- a body that spilled to a spool file. The daemon survives each time, the
-- next connection is served normally, and once the connections are gone
-- the daemon is back to its baseline of descriptors and threads: sessions,
-- spool files and sockets of dropped connections are all released.
-- @config: spool.memory_limit = "1K"
-- @expect-log-count: 9 info: s\d+/AD-NEXT-\d+: passed unchanged:
-- @forbid-log: AD-DROP-[1-7]b?: passed
-- @expect-log-count: 1 AD-DROP-8: passed

local T = dofile(common)

local function begin(conn, qid)
  local m = {qid = qid, rcpts = {"<r1@example.net>", "<r2@example.net>"},
             headers = {{"From", "a@example.org"}, {"Subject", "drop"}}}
  T.envelope(conn, m)
  return m
end

-- What the dropped connection does before it goes away, and whether it
-- says QUIT.
local cases = {
  {"after negotiation", false, function(conn)
     T.ok(mt.negotiate(conn, nil, nil, nil), "negotiate")
   end},
  {"after connect", false, function(conn)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
   end},
  {"after MAIL", false, function(conn, qid)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
     T.ok(mt.helo(conn, "h"), "helo")
     T.ok(mt.macro(conn, SMFIC_MAIL, "i", qid), "macro")
     T.ok(mt.mailfrom(conn, "<a@example.org>"), "mailfrom")
   end},
  {"mid headers", false, function(conn, qid)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
     T.ok(mt.helo(conn, "h"), "helo")
     begin(conn, qid)
     T.ok(mt.header(conn, "From", "a@example.org"), "header")
   end},
  {"mid body, in memory", false, function(conn, qid)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
     T.ok(mt.helo(conn, "h"), "helo")
     local m = begin(conn, qid)
     T.headers(conn, m)
     T.body(conn, "short\r\n")
   end},
  {"mid body, spilled", false, function(conn, qid)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
     T.ok(mt.helo(conn, "h"), "helo")
     local m = begin(conn, qid)
     T.headers(conn, m)
     T.body(conn, {string.rep("s", 40000), string.rep("t", 40000)})
   end},
  {"second message after an abort, mid body", false, function(conn, qid)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
     T.ok(mt.helo(conn, "h"), "helo")
     local m = begin(conn, qid)
     T.headers(conn, m)
     T.body(conn, string.rep("u", 5000))
     T.ok(mt.abort(conn), "abort")
     m = begin(conn, qid .. "b")
     T.headers(conn, m)
     T.body(conn, string.rep("u", 5000))
   end},
  -- The message itself completes (and is logged) before the drop.
  {"after end of message, no QUIT", false, function(conn, qid)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
     T.ok(mt.helo(conn, "h"), "helo")
     local m = begin(conn, qid)
     T.headers(conn, m)
     T.body(conn, string.rep("v", 3000))
     T.ok(mt.eom(conn), "eom")
     T.expect(conn, SMFIR_ACCEPT, "eom")
   end},
  {"QUIT mid body, spilled", true, function(conn, qid)
     T.ok(mt.conninfo(conn, "h.example.org", "192.0.2.20"), "conninfo")
     T.ok(mt.helo(conn, "h"), "helo")
     local m = begin(conn, qid)
     T.headers(conn, m)
     T.body(conn, string.rep("w", 5000))
   end},
}

T.main(function()
  -- Warm-up: the first connection creates libmilter's lazily built state.
  local conn = T.open()
  T.accept_unchanged(conn, {qid = "AD-WARM", body = string.rep("x", 3000)})
  T.ok(mt.disconnect(conn), "disconnect")
  mt.sleep(0.5)
  local base_fds, base_threads = T.fd_count(), T.thread_count()

  for i, c in ipairs(cases) do
    local what, polite, steps = c[1], c[2], c[3]
    local drop = T.connect()
    steps(drop, "AD-DROP-" .. i)
    T.ok(mt.disconnect(drop, polite), "disconnect " .. what)

    local next_conn = T.open()
    local m = {qid = "AD-NEXT-" .. i, rcpts = {"<n@example.net>"},
               body = string.rep("n", 2000)}
    T.accept_unchanged(next_conn, m, "after drop " .. what)
    T.ok(mt.disconnect(next_conn), "disconnect")
  end

  local fds, threads = T.wait_bounded(base_fds, base_threads, 15)
  T.check(fds <= base_fds, "%d descriptors after the drops, baseline %d",
          fds, base_fds)
  T.check(threads <= base_threads, "%d threads after the drops, baseline %d",
          threads, base_threads)
end)

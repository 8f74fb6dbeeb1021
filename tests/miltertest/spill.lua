-- spill.lua: messages larger than spool.memory_limit spill to an unlinked
-- temporary file and are still accepted unchanged. Boundary table: a
-- message of exactly memory_limit bytes stays in memory, one byte more
-- spills. While a spilled message is in progress the daemon holds exactly
-- one more descriptor (the temporary file) and the spool directory stays
-- empty (the file has no name); after end of message the descriptor is
-- gone.
-- @config: spool.memory_limit = "1K"
-- @config: spool.max_size = "8M"
-- @expect-log-count: 7 info: s1/SP\d+: passed unchanged:

local T = dofile(common)

local function spool_entries()
  local p = io.popen("ls -A '" .. spool_dir .. "' 2>&1")
  local out = p:read("a")
  p:close()
  return out
end

-- The header block is fixed; body sizes are chosen so that the total
-- spooled size is the one in the table.
local headers = {{"From", "a@example.org"}, {"Subject", "spill"}}

-- qid, total spooled size, expected spilled, body chunk size.
local cases = {
  {"SP1", 1023, "no", 60000},
  {"SP2", 1024, "no", 60000},
  {"SP3", 1025, "yes", 60000},
  {"SP4", 4096, "yes", 97},         -- many small odd-sized chunks
  {"SP5", 65536, "yes", 65535},     -- libmilter's largest chunk
  {"SP6", 3 * 1024 * 1024, "yes", 65535},
  {"SP7", 8 * 1024 * 1024 - 1, "yes", 65535},  -- just under max_size
}

T.main(function()
  local conn = T.open()
  local header_bytes = T.spooled_size(conn, {headers = headers, body = ""})
  local base_fds = T.fd_count()
  for _, c in ipairs(cases) do
    local qid, total, spilled, chunk = c[1], c[2], c[3], c[4]
    local m = {qid = qid, headers = headers}
    T.envelope(conn, m)
    T.headers(conn, m)
    local left = total - header_bytes
    local sent_any = false
    while left > 0 do
      local n = math.min(left, chunk)
      T.body(conn, string.rep(string.char(65 + (left % 26)), n))
      left = left - n
      sent_any = true
    end
    T.check(sent_any, "%s: no body", qid)
    if spilled == "yes" then
      local fds = T.fd_count()
      T.check(fds == base_fds + 1, "%s: %d fds while spilled, expected %d",
              qid, fds, base_fds + 1)
      T.check(spool_entries() == "",
              "%s: spool directory not empty: %s", qid, spool_entries())
    else
      T.check(T.fd_count() == base_fds, "%s: fd count changed in memory", qid)
    end
    T.ok(mt.eom(conn), "eom")
    T.expect(conn, SMFIR_ACCEPT, qid .. ": end of message")
    T.expect_unchanged(conn, {"<rcpt@example.net>"}, qid)
    local r = T.log_result(qid)
    T.check(r.size == total, "%s: size=%d, expected %d", qid, r.size, total)
    T.check(r.spilled == spilled, "%s: spilled=%s, expected %s", qid,
            r.spilled, spilled)
    local fds = T.wait_bounded(base_fds, 1000, 5)
    T.check(fds == base_fds, "%s: %d fds after end of message, %d before",
            qid, fds, base_fds)
  end
  T.ok(mt.disconnect(conn), "disconnect")
end)

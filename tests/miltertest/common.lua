-- common.lua: helpers shared by the sealmilter miltertest scripts.
--
-- Each script starts with `local T = dofile(common)`. run_miltertest.py
-- defines these globals with -D:
--   socket      the daemon's milter socket ("unix:/...")
--   common      the path of this file
--   daemon_pid  the daemon's process id (for /proc checks)
--   daemon_log  the daemon's log file (its standard error, -e)
--   spool_dir   the daemon's spool.directory
--
-- Conventions: every mt.* call is checked (they return nil on success, an
-- error string on failure) and every milter reply is compared with the one
-- expected, so a script fails at the first surprise with a message saying
-- which step went wrong. The runner also checks the whole reply transcript
-- (miltertest -vv): any modification request (add/change/delete header,
-- replace body, add/delete recipient, quarantine) or reply code fails the
-- test unless the script declares it with "-- @allow-replies:".
--
-- miltertest quirks handled here (miltertest 2.11.0~beta2, Debian 12):
--  * SMFIC_MAIL macros must be sent after mt.helo (a HELO clears them), and
--    an implicit HELO would clear them too: T.open always sends HELO.
--  * mt.negotiate(conn, version, PROTOCOL_OPTIONS, ACTIONS): the third and
--    fourth arguments are the other way round from the manual page.
--  * Steps the milter negotiated away (we ask for SMFIP_NODATA and
--    SMFIP_NOUNKNOWN) make miltertest error out: never call mt.data or
--    mt.unknown without checking mt.test_option first.
--  * Once SMFIP_HDR_LEADSPC is negotiated, mt.header puts a space before
--    the value itself: pass values without it.
--  * mt.eom_check(MT_RCPTADD/MT_RCPTDELETE) needs a recipient and
--    MT_SMTPREPLY needs a code: T.expect_unchanged checks the recipients it
--    knows; the transcript check covers the rest.

local T = {}

local reply_names = {}
for _, n in ipairs({"SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
                    "SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE",
                    "SMFIR_SKIP"}) do
  if _G[n] ~= nil then reply_names[_G[n]] = n end
end

function T.reply_name(r)
  if r == nil then return "nil" end
  local name = reply_names[r]
  if name then return name end
  if r == 0 then return "none" end
  return string.format("'%s' (%d)", string.char(math.floor(r)), math.floor(r))
end

-- Runs the script body; miltertest exits 1 without a word on a Lua error,
-- so the error and its traceback are printed first.
function T.main(fn)
  local ok, err = xpcall(fn, debug.traceback)
  if not ok then
    print("LUA ERROR: " .. tostring(err))
    error(err, 0)
  end
end

function T.fail(fmt, ...)
  error(string.format(fmt, ...), 2)
end

-- An mt.* call returned `err`: nil means success.
function T.ok(err, what)
  if err ~= nil then error(what .. " failed: " .. tostring(err), 2) end
end

function T.expect(conn, want, what)
  local got = mt.getreply(conn)
  if got ~= want then
    error(string.format("%s: milter replied %s, expected %s", what,
                        T.reply_name(got), T.reply_name(want)), 2)
  end
end

function T.check(cond, fmt, ...)
  if not cond then error(string.format(fmt, ...), 2) end
end

function T.connect()
  local conn = mt.connect(socket, 100, 0.05)
  if conn == nil then error("cannot connect to " .. tostring(socket), 2) end
  return conn
end

-- A connection as an MTA opens it: negotiation (implicit, miltertest's
-- defaults offer everything), connection information, HELO.
function T.open(opts)
  opts = opts or {}
  local conn = T.connect()
  T.ok(mt.conninfo(conn, opts.host or "client.example.org",
                   opts.ip or "192.0.2.10"), "mt.conninfo")
  T.expect(conn, SMFIR_CONTINUE, "connect")
  T.ok(mt.helo(conn, opts.helo or "client.example.org"), "mt.helo")
  T.expect(conn, SMFIR_CONTINUE, "HELO")
  return conn
end

-- True when miltertest puts a space before every header value it sends
-- (it does so itself once SMFIP_HDR_LEADSPC is negotiated, as an MTA passes
-- the space after the colon through).
function T.leadspc(conn)
  return mt.test_option(conn, SMFIP_HDR_LEADSPC)
end

-- MAIL FROM with the queue id macro; RCPT TO for each recipient.
function T.envelope(conn, m)
  T.ok(mt.macro(conn, SMFIC_MAIL, "i", m.qid, "{auth_authen}",
                m.auth or ""), "mt.macro(MAIL)")
  T.ok(mt.mailfrom(conn, m.from or "<sender@example.org>"), "mt.mailfrom")
  T.expect(conn, SMFIR_CONTINUE, "MAIL FROM (" .. m.qid .. ")")
  for _, r in ipairs(m.rcpts or {"<rcpt@example.net>"}) do
    T.ok(mt.macro(conn, SMFIC_RCPT, "i", m.qid, "{rcpt_addr}", r),
         "mt.macro(RCPT)")
    T.ok(mt.rcptto(conn, r), "mt.rcptto")
    T.expect(conn, SMFIR_CONTINUE, "RCPT TO " .. r)
  end
end

-- Headers ({{name, value}, ...}) and end of headers.
function T.headers(conn, m)
  for _, h in ipairs(m.headers or {{"Subject", "test " .. m.qid}}) do
    T.ok(mt.header(conn, h[1], h[2]), "mt.header(" .. h[1] .. ")")
    T.expect(conn, SMFIR_CONTINUE, "header " .. h[1])
  end
  T.ok(mt.eoh(conn), "mt.eoh")
  T.expect(conn, SMFIR_CONTINUE, "end of headers")
end

-- Body chunks (a string or a list of strings), each answered CONTINUE.
function T.body(conn, body)
  if type(body) == "string" then body = {body} end
  for i, chunk in ipairs(body) do
    T.ok(mt.bodystring(conn, chunk), "mt.bodystring")
    T.expect(conn, SMFIR_CONTINUE, "body chunk " .. i)
  end
end

-- A whole message up to and including end of message; returns the eom
-- reply. m = {qid=, from=, rcpts={}, headers={{n,v}}, body=}.
function T.message(conn, m)
  T.envelope(conn, m)
  T.headers(conn, m)
  T.body(conn, m.body or "Hello.\r\n")
  T.ok(mt.eom(conn), "mt.eom")
  return mt.getreply(conn)
end

-- After mt.eom: nothing was changed, for any of the recipients in `rcpts`
-- (and the sender): no header added, inserted, changed or deleted, no body
-- replacement, no recipient added or removed, no quarantine.
function T.expect_unchanged(conn, rcpts, what)
  what = what or "message"
  local checks = {
    {MT_HDRADD, "a header was added"},
    {MT_HDRINSERT, "a header was inserted"},
    {MT_HDRCHANGE, "a header was changed"},
    {MT_BODYCHANGE, "the body was replaced"},
    {MT_QUARANTINE, "the message was quarantined"},
  }
  for _, c in ipairs(checks) do
    T.check(not mt.eom_check(conn, c[1]), "%s: %s", what, c[2])
  end
  for _, r in ipairs(rcpts or {}) do
    T.check(not mt.eom_check(conn, MT_RCPTDELETE, r),
            "%s: recipient %s was removed", what, r)
    T.check(not mt.eom_check(conn, MT_RCPTADD, r),
            "%s: recipient %s was added", what, r)
  end
end

function T.accept_unchanged(conn, m, what)
  local reply = T.message(conn, m)
  T.check(reply == SMFIR_ACCEPT, "%s: end of message answered %s, expected "
          .. "SMFIR_ACCEPT", what or m.qid, T.reply_name(reply))
  T.expect_unchanged(conn, m.rcpts or {"<rcpt@example.net>"}, what or m.qid)
end

-- The bytes the daemon spools for these headers (+ end of headers) and
-- body, i.e. the size= in its log line: "Name:" [space] value CRLF per
-- header, a bare LF in a folded value becoming CRLF.
function T.spooled_size(conn, m)
  local n = 0
  for _, h in ipairs(m.headers) do
    local value = h[2]
    if T.leadspc(conn) then value = " " .. value end
    local _, bare_lf = value:gsub("\n", "")
    local _, crlf = value:gsub("\r\n", "")
    n = n + #h[1] + 1 + #value + (bare_lf - crlf) + 2
  end
  n = n + 2
  local body = m.body
  if type(body) == "string" then body = {body} end
  for _, chunk in ipairs(body) do n = n + #chunk end
  return n
end

---------------------------------------------------------------------------
-- The daemon's side: its log and /proc.

function T.read_file(path)
  local f = io.open(path, "rb")
  if f == nil then return "" end
  local text = f:read("a")
  f:close()
  return text
end

-- The "passed unchanged" line for queue id `qid` as
-- {size=, rcpts=, spilled=}, waiting up to `timeout` seconds for it.
function T.log_result(qid, timeout)
  local needle = "/" .. qid .. ": passed unchanged: "
  local waited = 0
  timeout = timeout or 10
  while true do
    for line in T.read_file(daemon_log):gmatch("[^\n]+") do
      local at = line:find(needle, 1, true)
      if at then
        local size, rcpts, spilled =
            line:match("size=(%d+) rcpts=(%d+) spilled=(%a+)")
        return {size = tonumber(size), rcpts = tonumber(rcpts),
                spilled = spilled, line = line}
      end
    end
    if waited >= timeout then
      error("no 'passed unchanged' log line for " .. qid, 2)
    end
    mt.sleep(0.05)
    waited = waited + 0.05
  end
end

-- Waits until the daemon's log contains `text` (plain) at least `count`
-- times; returns the number of occurrences.
function T.wait_log(text, count, timeout)
  count = count or 1
  timeout = timeout or 10
  local waited = 0
  while true do
    local n, pos = 0, 1
    local log = T.read_file(daemon_log)
    while true do
      local s, e = log:find(text, pos, true)
      if not s then break end
      n = n + 1
      pos = e + 1
    end
    if n >= count then return n end
    if waited >= timeout then
      error(string.format("log has %q %d times, expected %d", text, n,
                          count), 2)
    end
    mt.sleep(0.05)
    waited = waited + 0.05
  end
end

function T.fd_count()
  local p = io.popen("ls -1 /proc/" .. daemon_pid .. "/fd 2>/dev/null")
  local n = 0
  for _ in p:lines() do n = n + 1 end
  p:close()
  T.check(n > 0, "cannot read /proc/%s/fd", tostring(daemon_pid))
  return n
end

function T.thread_count()
  local status = T.read_file("/proc/" .. daemon_pid .. "/status")
  return tonumber(status:match("Threads:%s*(%d+)"))
end

-- Waits until fd and thread counts fall to at most the limits (connections
-- are torn down asynchronously after the client closes); returns them.
function T.wait_bounded(max_fds, max_threads, timeout)
  timeout = timeout or 15
  local waited = 0
  while true do
    local fds, threads = T.fd_count(), T.thread_count()
    if fds <= max_fds and threads <= max_threads then return fds, threads end
    if waited >= timeout then return fds, threads end
    mt.sleep(0.1)
    waited = waited + 0.1
  end
end

return T

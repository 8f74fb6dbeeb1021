-- reload_in_flight.lua: SIGUSR1 reloads the configuration while messages
-- are in progress. A message keeps the snapshot it started with (its
-- spool.memory_limit does not change half-way); the next message, on the
-- same or a new connection, uses the new one. A broken file on a later
-- reload changes nothing: the running message completes, the next one
-- still uses generation 2, the error names file:line:column.
-- @config: spool.memory_limit = "64K"
-- @expect-errors: 1
-- @expect-log-count: 1 error: reload: configuration reload failed, keeping generation 2: /\S+/sealmilter\.conf:\d+:\d+: 
-- @expect-log-count: 1 notice: reload: configuration reloaded from /\S+/sealmilter\.conf \(generation 2\)$
-- @expect-log-count: 1 info: s1/RF-OLD: passed unchanged: size=\d+ rcpts=1 spilled=no
-- @expect-log-count: 1 info: s1/RF-NEW: passed unchanged: size=\d+ rcpts=1 spilled=yes
-- @expect-log-count: 1 info: s2/RF-NEWCONN: passed unchanged: size=\d+ rcpts=1 spilled=yes
-- @expect-log-count: 1 info: s2/RF-DURING-BROKEN: passed unchanged: size=\d+ rcpts=1 spilled=yes
-- @expect-log-count: 1 info: s2/RF-AFTER-BROKEN: passed unchanged: size=\d+ rcpts=1 spilled=yes

local T = dofile(common)

local original = T.read_file(config_path)

local function write_config(text)
  local f = assert(io.open(config_path, "wb"))
  f:write(text)
  f:close()
end

local function reload()
  T.check(os.execute("kill -USR1 " .. daemon_pid), "kill -USR1 failed")
end

T.main(function()
  local conn = T.open()
  local old = {qid = "RF-OLD", headers = {{"Subject", "old"}}}
  T.envelope(conn, old)
  T.headers(conn, old)
  T.body(conn, string.rep("o", 3000))

  local smaller, n = original:gsub('memory_limit = "64K"',
                                   'memory_limit = "1K"')
  T.check(n == 1, "memory_limit not found in %s", config_path)
  write_config(smaller)
  reload()
  T.wait_log("(generation 2)")

  -- Same message: still 64 KiB in memory.
  T.body(conn, string.rep("o", 3000))
  T.ok(mt.eom(conn), "eom")
  T.expect(conn, SMFIR_ACCEPT, "message begun before the reload")

  -- Next message: 1 KiB.
  T.accept_unchanged(conn, {qid = "RF-NEW", body = string.rep("n", 3000)})
  T.ok(mt.disconnect(conn), "disconnect")
  conn = T.open()
  T.accept_unchanged(conn, {qid = "RF-NEWCONN", body = string.rep("n", 3000)})

  -- A broken file: the reload fails, nothing changes.
  local during = {qid = "RF-DURING-BROKEN", headers = {{"Subject", "b"}}}
  T.envelope(conn, during)
  T.headers(conn, during)
  T.body(conn, string.rep("d", 3000))
  write_config(smaller .. "\n[spool\nbroken = \n")
  reload()
  T.wait_log("configuration reload failed, keeping generation 2")
  T.body(conn, string.rep("d", 3000))
  T.ok(mt.eom(conn), "eom")
  T.expect(conn, SMFIR_ACCEPT, "message during the failed reload")
  T.accept_unchanged(conn, {qid = "RF-AFTER-BROKEN",
                            body = string.rep("a", 3000)})
  T.ok(mt.disconnect(conn), "disconnect")
  write_config(original)
end)

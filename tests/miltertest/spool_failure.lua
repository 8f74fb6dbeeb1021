-- spool_failure.lua: the spool directory becomes unusable while the daemon
-- runs (full disk, wrong permissions after a restore). A message that has
-- to spill is answered with a temporary failure (4.3.0) at the chunk that
-- needed the disk, never accepted half-inspected; messages that fit in
-- memory still pass; once the directory is usable again, spilling works.
-- The exact reply text is checked by test_replies.py.
-- @config: spool.memory_limit = "2K"
-- @allow-replies: y
-- @expect-log-count: 2 warning: s1/SF-FAIL-\d: body: .*cannot create spool file in .*; answering 451 4\.3\.0$
-- @expect-log-count: 1 info: s1/SF-SMALL: passed unchanged: size=\d+ rcpts=1 spilled=no
-- @expect-log-count: 1 info: s1/SF-AGAIN: passed unchanged: size=\d+ rcpts=1 spilled=yes
-- @forbid-log: SF-FAIL-\d: passed

local T = dofile(common)

local function sh(cmd)
  local ok = os.execute(cmd)
  T.check(ok, "command failed: %s", cmd)
end

T.main(function()
  local conn = T.open()
  T.accept_unchanged(conn, {qid = "SF-BEFORE", body = string.rep("b", 5000)})

  sh("chmod 000 '" .. spool_dir .. "'")
  local ok, err = pcall(function()
    for i = 1, 2 do
      local m = {qid = "SF-FAIL-" .. i}
      T.envelope(conn, m)
      T.headers(conn, m)
      T.body(conn, string.rep("a", 1500))          -- fits in memory
      T.ok(mt.bodystring(conn, string.rep("b", 1500)), "bodystring")
      T.expect(conn, SMFIR_REPLYCODE, "chunk that needs the spool file")
      if i == 1 then T.ok(mt.abort(conn), "abort") end
    end
    T.accept_unchanged(conn, {qid = "SF-SMALL", body = "small\r\n"})
  end)
  sh("chmod 700 '" .. spool_dir .. "'")
  if not ok then error(err, 0) end

  T.accept_unchanged(conn, {qid = "SF-AGAIN", body = string.rep("c", 5000)})
  T.ok(mt.disconnect(conn), "disconnect")
end)

-- smoke.lua: one ordinary transaction, accepted unchanged. Used by the
-- Python daemon tests (test_*.py) to prove the daemon is serving, e.g.
-- after a failed reload; pass -D qid=... to name the message (default
-- SMOKE1) and -D body_size=N for its body size.
-- @expect-log-count: 1 info: s1/SMOKE1: passed unchanged: size=\d+ rcpts=2

local T = dofile(common)

T.main(function()
  local q = qid or "SMOKE1"
  local size = tonumber(body_size or "100")
  local conn = T.open()
  local m = {qid = q, rcpts = {"<a@example.net>", "<b@example.net>"},
             headers = {{"From", "smoke@example.org"}, {"Subject", "smoke"}},
             body = string.rep("s", size)}
  T.accept_unchanged(conn, m)
  local r = T.log_result(q)
  T.check(r.size == T.spooled_size(conn, m), "size=%d, expected %d", r.size,
          T.spooled_size(conn, m))
  T.ok(mt.disconnect(conn), "disconnect")
end)

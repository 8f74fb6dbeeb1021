-- interleaved.lua: 25 connections open at the same time, their protocol
-- steps interleaved round-robin (as smtpd processes of a busy Postfix
-- talk to one milter), so libmilter serves them on concurrent threads.
-- Every message keeps its own envelope and bytes: each log line carries
-- its connection's recipient count and exact size, and all threads and
-- descriptors are released afterwards.
-- @config: spool.memory_limit = "4K"
-- @expect-log-count: 50 info: s\d+/IL\d+-[ab]: passed unchanged:

local T = dofile(common)

local N = 25

T.main(function()
  local warm = T.open()
  T.accept_unchanged(warm, {qid = "IL0-w"})
  T.ok(mt.disconnect(warm), "disconnect")
  mt.sleep(0.5)
  local base_fds, base_threads = T.fd_count(), T.thread_count()

  local conns, msgs = {}, {}
  for i = 1, N do conns[i] = T.open({host = "c" .. i .. ".example.org"}) end
  local open_fds, open_threads = T.fd_count(), T.thread_count()
  T.check(open_fds >= base_fds + N, "%d connections open but %d fds (base %d)",
          N, open_fds, base_fds)

  for round, suffix in ipairs({"a", "b"}) do
    for i = 1, N do
      local rcpts = {}
      for r = 1, (i % 6) + 1 do
        rcpts[r] = "<c" .. i .. "r" .. r .. "@example.net>"
      end
      msgs[i] = {qid = "IL" .. i .. "-" .. suffix, rcpts = rcpts,
                 headers = {{"From", "c" .. i .. "@example.org"},
                            {"Subject", "interleaved " .. i .. suffix}},
                 -- Some stay in memory, some spill, sizes all different.
                 chunks = {string.rep("p", 1000 * i + round),
                           string.rep("q", 777 * (N - i) + 1)}}
    end
    for i = 1, N do T.envelope(conns[i], msgs[i]) end
    for i = 1, N do T.headers(conns[i], msgs[i]) end
    for c = 1, 2 do
      for i = 1, N do T.body(conns[i], msgs[i].chunks[c]) end
    end
    for i = 1, N do
      T.ok(mt.eom(conns[i]), "eom")
      T.expect(conns[i], SMFIR_ACCEPT, msgs[i].qid)
      T.expect_unchanged(conns[i], msgs[i].rcpts, msgs[i].qid)
    end
    for i = 1, N do
      local m = msgs[i]
      local r = T.log_result(m.qid)
      local want = T.spooled_size(conns[i], {headers = m.headers,
                                             body = m.chunks})
      T.check(r.size == want, "%s: size=%d, expected %d", m.qid, r.size, want)
      T.check(r.rcpts == #m.rcpts, "%s: rcpts=%d, expected %d", m.qid,
              r.rcpts, #m.rcpts)
      local spill = want > 4096 and "yes" or "no"
      T.check(r.spilled == spill, "%s: spilled=%s", m.qid, r.spilled)
    end
  end
  for i = 1, N do
    T.ok(mt.disconnect(conns[i], i % 2 == 0), "disconnect")
  end
  local fds, threads = T.wait_bounded(base_fds, base_threads, 20)
  print(string.format("INFO %d concurrent connections: fds %d -> %d -> %d, "
                      .. "threads %d -> %d -> %d", N, base_fds, open_fds, fds,
                      base_threads, open_threads, threads))
  T.check(fds <= base_fds, "%d fds after closing, baseline %d", fds, base_fds)
  T.check(threads <= base_threads, "%d threads after closing, baseline %d",
          threads, base_threads)
end)

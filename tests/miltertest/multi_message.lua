-- multi_message.lua: several messages on one connection (as after RSET or a
-- new MAIL FROM). Each is accepted unchanged and logged once with its own
-- queue id, its own recipient count and its own size: nothing carries over
-- from the previous message, small or spilled to disk.
-- @config: spool.memory_limit = "2K"
-- @expect-log-count: 6 info: s1/MM\d: passed unchanged:
-- @expect-log-count: 1 debug: s1: connect from
-- @forbid-log: debug: s2:

local T = dofile(common)

-- qid, recipients, body size (memory_limit is 2 KiB).
local cases = {
  {"MM1", 1, 10},
  {"MM2", 3, 5000},     -- spills
  {"MM3", 2, 100},      -- small again after a spilled one
  {"MM4", 5, 200000},   -- several chunks, spills
  {"MM5", 1, 2},        -- body of one empty line (miltertest cannot send
                        -- an empty body: with no chunk it sends its own
                        -- default body, and libmilter drops a connection
                        -- that sends a zero-length chunk; test_replies.py
                        -- covers the empty body)
  {"MM6", 7, 1500},
}

local function body_of(size, tag)
  if size == 2 then return {"\r\n"} end
  local chunks, left = {}, size
  while left > 0 do
    local n = math.min(left, 60000)
    chunks[#chunks + 1] = string.rep(tag, n)
    left = left - n
  end
  return chunks
end

T.main(function()
  local conn = T.open()
  for _, c in ipairs(cases) do
    local qid, nrcpt, size = c[1], c[2], c[3]
    local rcpts = {}
    for i = 1, nrcpt do
      rcpts[i] = "<" .. qid .. "-r" .. i .. "@example.net>"
    end
    local m = {qid = qid, rcpts = rcpts, from = "<s-" .. qid .. "@example.org>",
               headers = {{"From", "s@example.org"}, {"Subject", qid}},
               body = body_of(size, qid:sub(-1))}
    T.accept_unchanged(conn, m)
    local r = T.log_result(qid)
    T.check(r.rcpts == nrcpt, "%s: rcpts=%d, expected %d", qid, r.rcpts, nrcpt)
    local want = T.spooled_size(conn, m)
    T.check(r.size == want, "%s: size=%d, expected %d", qid, r.size, want)
    local spill = want > 2048 and "yes" or "no"
    T.check(r.spilled == spill, "%s: spilled=%s, expected %s", qid, r.spilled,
            spill)
  end
  T.ok(mt.disconnect(conn), "disconnect")
end)

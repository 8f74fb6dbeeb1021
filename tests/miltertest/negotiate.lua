-- negotiate.lua: option negotiation. sealmilter asks for exactly the milter
-- actions later stages need (headers, body, recipients, quarantine, macro
-- lists) and the protocol options HDR_LEADSPC, NOUNKNOWN and NODATA; it
-- never asks for more than the MTA offers, and a transaction still passes
-- unchanged whatever was negotiated.
-- @expect-log-count: 1 warning: milter: the MTA does not offer every milter action sealmilter uses \(offered 0x11,
-- @expect-log-count: 1 warning: milter: the MTA does not offer every milter action sealmilter uses \(offered 0x20,
-- @expect-log-count: 1 warning: milter: the MTA does not offer every milter action sealmilter uses \(offered 0xf,
-- @expect-log-count: 3 warning: milter: the MTA does not offer
-- @expect-log-count: 8 info: s\d+/NEG\d: passed unchanged: size=\d+ rcpts=2 spilled=no
-- @config: spool.memory_limit = "64K"

local T = dofile(common)

local ALL_ACTIONS = SMFIF_ADDHDRS + SMFIF_CHGBODY + SMFIF_ADDRCPT +
    SMFIF_DELRCPT + SMFIF_CHGHDRS + SMFIF_QUARANTINE + SMFIF_CHGFROM +
    SMFIF_ADDRCPT_PAR + SMFIF_SETSYMLIST
-- Every protocol option an MTA (Postfix, Sendmail 8.14+) may offer.
local ALL_OPTIONS = SMFIP_NOCONNECT + SMFIP_NOHELO + SMFIP_NOMAIL +
    SMFIP_NORCPT + SMFIP_NOBODY + SMFIP_NOHDRS + SMFIP_NOEOH + SMFIP_NR_HDR +
    SMFIP_NOUNKNOWN + SMFIP_NODATA + SMFIP_SKIP + SMFIP_RCPT_REJ +
    SMFIP_NR_CONN + SMFIP_NR_HELO + SMFIP_NR_MAIL + SMFIP_NR_RCPT +
    SMFIP_NR_DATA + SMFIP_NR_UNKN + SMFIP_NR_EOH + SMFIP_NR_BODY +
    SMFIP_HDR_LEADSPC

local ACTION_NAMES = {"SMFIF_ADDHDRS", "SMFIF_CHGHDRS", "SMFIF_CHGBODY",
                      "SMFIF_ADDRCPT", "SMFIF_DELRCPT", "SMFIF_QUARANTINE",
                      "SMFIF_SETSYMLIST", "SMFIF_CHGFROM",
                      "SMFIF_ADDRCPT_PAR"}
local OPTION_NAMES = {"SMFIP_HDR_LEADSPC", "SMFIP_NOUNKNOWN", "SMFIP_NODATA",
                      "SMFIP_NOCONNECT", "SMFIP_NOHELO", "SMFIP_NOMAIL",
                      "SMFIP_NORCPT", "SMFIP_NOBODY", "SMFIP_NOHDRS",
                      "SMFIP_NOEOH", "SMFIP_NR_HDR", "SMFIP_SKIP",
                      "SMFIP_RCPT_REJ", "SMFIP_NR_CONN", "SMFIP_NR_HELO",
                      "SMFIP_NR_MAIL", "SMFIP_NR_RCPT", "SMFIP_NR_DATA",
                      "SMFIP_NR_UNKN", "SMFIP_NR_EOH", "SMFIP_NR_BODY"}

-- What sealmilter wants when everything is offered.
local WANT_ACTIONS = {SMFIF_ADDHDRS = true, SMFIF_CHGHDRS = true,
                      SMFIF_CHGBODY = true, SMFIF_ADDRCPT = true,
                      SMFIF_DELRCPT = true, SMFIF_QUARANTINE = true,
                      SMFIF_SETSYMLIST = true}
local WANT_OPTIONS = {SMFIP_HDR_LEADSPC = true, SMFIP_NOUNKNOWN = true,
                      SMFIP_NODATA = true}

local function has(mask, bit)
  return math.floor(mask / bit) % 2 == 1
end

-- Expected = wanted AND offered.
local function expected(want, offered_mask, name)
  return want[name] == true and has(offered_mask, _G[name])
end

-- name, protocol version, offered options, offered actions[, the actions
-- libmilter then assumes were offered]. nil means miltertest's default.
local cases = {
  {"miltertest defaults (SMFI_CURR_*)", nil, nil, nil},
  {"everything offered, v6", 6, ALL_OPTIONS, ALL_ACTIONS},
  {"everything offered, v2", 2, ALL_OPTIONS, ALL_ACTIONS},
  {"no HDR_LEADSPC offered", 6, ALL_OPTIONS - SMFIP_HDR_LEADSPC, ALL_ACTIONS},
  {"no NODATA/NOUNKNOWN offered", 6,
   ALL_OPTIONS - SMFIP_NODATA - SMFIP_NOUNKNOWN, ALL_ACTIONS},
  {"only ADDHDRS+CHGHDRS offered", 6, ALL_OPTIONS,
   SMFIF_ADDHDRS + SMFIF_CHGHDRS},
  {"only QUARANTINE and HDR_LEADSPC offered", 6, SMFIP_HDR_LEADSPC,
   SMFIF_QUARANTINE},
  -- libmilter reads 0 as "a protocol-v1 MTA": actions SMFI_V1_ACTS
  -- (ADDHDRS, CHGBODY, ADDRCPT, DELRCPT); no protocol option we want.
  {"nothing offered (libmilter: v1 sets)", 6, 0, 0,
   SMFIF_ADDHDRS + SMFIF_CHGBODY + SMFIF_ADDRCPT + SMFIF_DELRCPT},
}

T.main(function()
  for i, c in ipairs(cases) do
    local what, version, options, actions = c[1], c[2], c[3], c[4]
    local effective_actions = c[5]
    local conn = T.connect()
    -- miltertest: mt.negotiate(conn, version, OPTIONS, ACTIONS).
    T.ok(mt.negotiate(conn, version, options, actions), "negotiate: " .. what)
    T.expect(conn, string.byte("O"), "negotiate: " .. what)
    local offered_actions = effective_actions or actions or ALL_ACTIONS
    local offered_options = options or ALL_OPTIONS
    for _, name in ipairs(ACTION_NAMES) do
      local want = expected(WANT_ACTIONS, offered_actions, name)
      T.check(mt.test_action(conn, _G[name]) == want,
              "%s: action %s requested=%s, expected %s", what, name,
              tostring(mt.test_action(conn, _G[name])), tostring(want))
    end
    for _, name in ipairs(OPTION_NAMES) do
      local want = expected(WANT_OPTIONS, offered_options, name)
      T.check(mt.test_option(conn, _G[name]) == want,
              "%s: option %s requested=%s, expected %s", what, name,
              tostring(mt.test_option(conn, _G[name])), tostring(want))
    end

    -- Whatever was negotiated, a message passes unchanged. Steps that were
    -- not negotiated away are sent, as an MTA would.
    local qid = "NEG" .. i
    T.ok(mt.conninfo(conn, "client.example.org", "192.0.2.10"), "conninfo")
    T.expect(conn, SMFIR_CONTINUE, what .. ": connect")
    T.ok(mt.helo(conn, "client.example.org"), "helo")
    T.expect(conn, SMFIR_CONTINUE, what .. ": HELO")
    if not mt.test_option(conn, SMFIP_NOUNKNOWN) then
      T.ok(mt.unknown(conn, "XFOO bar"), "unknown")
      T.expect(conn, SMFIR_CONTINUE, what .. ": unknown command")
    end
    local rcpts = {"<a@example.net>", "<b@example.net>"}
    T.envelope(conn, {qid = qid, rcpts = rcpts})
    if not mt.test_option(conn, SMFIP_NODATA) then
      T.ok(mt.data(conn), "data")
      T.expect(conn, SMFIR_CONTINUE, what .. ": DATA")
    end
    local m = {qid = qid, headers = {{"From", "<sender@example.org>"},
                                     {"Subject", "negotiation " .. i}},
               body = "body\r\n"}
    T.headers(conn, m)
    T.body(conn, m.body)
    T.ok(mt.eom(conn), "eom")
    T.expect(conn, SMFIR_ACCEPT, what .. ": end of message")
    T.expect_unchanged(conn, rcpts, what)
    -- With or without the leading space, the spooled header bytes are what
    -- the MTA sent.
    local r = T.log_result(qid)
    T.check(r.size == T.spooled_size(conn, m), "%s: size=%d, expected %d",
            what, r.size, T.spooled_size(conn, m))
    mt.disconnect(conn)
  end
end)

--[[
shakenstack.lua: KEMI Lua shim for Kamailio (app_lua). It asks shakenstack for the SIP Identity header
of a call (POST /api/stir-shaken/sign) through the http_client module and adds it to the request; for a
call it forwards, it asks for the div PASSporT of the hop (POST /api/stir-shaken/div, RFC 8946) and adds it
beside the Identity headers the call arrived with.

  local shakenstack = dofile("/etc/kamailio/shakenstack.lua")
  shakenstack.configure({ url = "http://127.0.0.1:8080", api_key = os.getenv("SHAKENSTACK_API_KEY") })
  local ok, why = shakenstack.sign("14045266060", "18001234567", "A")   -- adds "Identity: ..." on success
  -- or, the whole gateway step (numbers and X-Attestation from the INVITE, failure policy):
  if not shakenstack.sign_request() then return end                      -- it already answered 503
  -- a call this proxy forwards to another number (Identity headers kept, div added, Diversion, new R-URI):
  if not shakenstack.forward_request("12025550199") then return end       -- it already answered 503

What it needs from Kamailio: the modules http_client (with query_result 0), textops (KSR.hdr) and, for
sign_request(), pv and sl/tm. The HTTP timeout is http_client's connection_timeout (whole seconds,
1 at least): the worker running the request is blocked for that long at most.

On failure (service down, timeout, 4xx/5xx, an answer without identity) sign() logs one line at error
level naming the cause and returns false plus the reason; it never adds a header then. sign_request()
then applies `on_failure`: "forward" (default) lets the call go on unsigned, "reject" answers
503 Service Unavailable. The API key is never logged.
]]

local M = {}

local settings = {
  url = "http://127.0.0.1:8080",
  api_key = nil,
  on_failure = "forward",
  -- The pv that receives http_client's answer; private to this module.
  result_var = "$var(shakenstack_answer)",
}

local function log_err(msg)
  KSR.err("shakenstack: " .. msg .. "\n")
end

--- Sets `url`, `api_key` and `on_failure` ("forward" | "reject"). Unknown keys or bad values are an error.
function M.configure(opts)
  for k, v in pairs(opts) do
    if k == "url" then
      if type(v) ~= "string" or not v:match("^https?://[^%s]+$") then error("shakenstack.configure: url must be an http(s) URL") end
      settings.url = v:gsub("/+$", "")
    elseif k == "api_key" then
      if v ~= nil and (type(v) ~= "string" or v:find("[%c ]")) then error("shakenstack.configure: api_key must be a string without spaces or control characters") end
      settings.api_key = v
    elseif k == "on_failure" then
      if v ~= "forward" and v ~= "reject" then error("shakenstack.configure: on_failure must be \"forward\" or \"reject\"") end
      settings.on_failure = v
    else
      error("shakenstack.configure: unknown setting " .. tostring(k))
    end
  end
end

--- A Kamailio define's text without the quotes of a string define, or nil when it is not defined.
local function define(name)
  local v = KSR.kx.get_def(name)
  if type(v) ~= "string" or v == "" then return nil end
  return (v:gsub('^"(.*)"$', "%1"))
end

--- Reads the settings from Kamailio: defines SHAKENSTACK_URL and SHAKENSTACK_ON_FAILURE (-A on the
--- command line), the API key from the environment variable SHAKENSTACK_API_KEY (never a define: the
--- command line is visible to every user of the machine).
function M.configure_from_kamailio()
  M.configure({
    url = define("SHAKENSTACK_URL") or settings.url,
    on_failure = define("SHAKENSTACK_ON_FAILURE") or settings.on_failure,
    api_key = type(KSR.kx.get_env("SHAKENSTACK_API_KEY")) == "string" and KSR.kx.get_env("SHAKENSTACK_API_KEY") or nil,
  })
end

--- Minimal canonical form (RFC 8224 §8.3): one leading "+" dropped. The service removes visual
--- separators itself; anything but digits, *, # and separators is refused here, so nothing from a SIP
--- message can change the structure of the JSON request.
function M.canonical_tn(s)
  if type(s) ~= "string" then return nil end
  s = s:gsub("^%+", "")
  if #s < 1 or #s > 32 or not s:match("^[0-9*#().-]+$") then return nil end
  return s
end

--- The string value of a top-level member of the service's JSON answer (which is flat), with JSON
--- escapes decoded; nil when absent. Enough JSON for this one answer, not a general parser.
local function json_string_member(body, name)
  local start = body:find('"' .. name .. '"%s*:%s*"')
  if not start then return nil end
  local i = body:find('"', start + #name + 2, true) + 1
  local out = {}
  while i <= #body do
    local c = body:sub(i, i)
    if c == '"' then return table.concat(out) end
    if c == "\\" then
      local e = body:sub(i + 1, i + 1)
      local simple = ({ ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" })[e]
      if simple then
        out[#out + 1] = simple
        i = i + 2
      elseif e == "u" then
        local code = tonumber(body:sub(i + 2, i + 5), 16)
        if not code then return nil end
        -- Only ASCII can be part of a valid Identity header; anything else is rejected later.
        out[#out + 1] = code < 128 and string.char(code) or "\0"
        i = i + 6
      else
        return nil
      end
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return nil
end

--- An Identity header value: header.payload.signature;params in printable ASCII, so no CR/LF can reach
--- the forwarded request.
local function is_identity(v)
  return type(v) == "string" and v:match("^[%w_-]+%.[%w_-]+%.[%w_-]+;[ -~]+$") ~= nil
end

--- A function that logs "<what> (Call-ID ...): <reason>" and returns false and the reason: how each step gives up.
local function failing(what)
  return function(reason)
    log_err(what .. " (Call-ID " .. tostring(KSR.pv.get("$ci")) .. "): " .. reason)
    return false, reason
  end
end

--- POSTs a JSON body to shakenstack and returns the answer's `identity`, or nil and why.
local function post_for_identity(path, body)
  -- http_client hands the header text to libcurl as one entry: Content-Type first so that libcurl adds
  -- no form type of its own, Authorization on the next line.
  local hdrs = "Content-Type: application/json\r\nAuthorization: Bearer " .. settings.api_key
  local url = settings.url .. path
  KSR.pv.sets(settings.result_var, "")
  local rc = KSR.http_client.query_post_hdrs(url, body, hdrs, settings.result_var)
  local answer = KSR.pv.get(settings.result_var) or ""
  if rc ~= 200 then
    if rc < 100 then
      local curl = rc > 0 and KSR.pv.get("$curlerror(" .. rc .. ")") or "request failed"
      return nil, "no answer from " .. url .. " (" .. tostring(curl) .. ")"
    end
    -- The service's error (code, field, reason) holds no secrets; cut it short all the same.
    return nil, "HTTP " .. rc .. " " .. answer:sub(1, 300):gsub("%c", " ")
  end
  local identity = json_string_member(answer, "identity")
  if not is_identity(identity) then return nil, "the answer has no usable identity" end
  return identity
end

--- Asks shakenstack to sign and adds the Identity header to the current request.
--- orig: calling number; dest: called number or a list of them; attest: "A", "B", "C" or nil (the
--- account's default). Returns true, or false and the reason (already logged).
function M.sign(orig, dest, attest)
  local fail = failing("cannot sign")
  if not settings.api_key or settings.api_key == "" then return fail("no API key configured") end
  local o = M.canonical_tn(orig)
  if not o then return fail("the calling party is not a telephone number") end
  local dests = type(dest) == "table" and dest or { dest }
  local d = {}
  for _, v in ipairs(dests) do
    local tn = M.canonical_tn(v)
    if not tn then return fail("the called party is not a telephone number") end
    d[#d + 1] = '"' .. tn .. '"'
  end
  if #d == 0 then return fail("no called party") end
  local body = '{"orig":{"tn":"' .. o .. '"},"dest":{"tn":[' .. table.concat(d, ",") .. ']}'
  if attest ~= nil and attest ~= "" then
    if not tostring(attest):match("^[ABC]$") then return fail("attestation must be A, B or C") end
    body = body .. ',"attest":"' .. attest .. '"'
  end
  body = body .. "}"

  local identity, why = post_for_identity("/api/stir-shaken/sign", body)
  if not identity then return fail(why) end
  -- This proxy is the authentication service for the call: an Identity from upstream is replaced.
  KSR.hdr.remove("Identity")
  KSR.hdr.append("Identity: " .. identity .. "\r\n")
  return true
end

--- The gateway step for an initial INVITE: orig from P-Asserted-Identity else From, dest from To else
--- the Request-URI, attestation from an X-Attestation header (removed before forwarding), then sign().
--- Returns true when the call may go on (signed, or unsigned with on_failure "forward") and false when
--- it has been answered 503 (on_failure "reject").
function M.sign_request()
  local orig
  if KSR.hdr.is_present("P-Asserted-Identity") > 0 then
    orig = KSR.pv.get("$(ai{uri.user})")
  else
    orig = KSR.pv.get("$fU")
  end
  local dest = KSR.pv.get("$tU")
  if dest == nil or dest == "" then dest = KSR.pv.get("$rU") end
  local attest
  if KSR.hdr.is_present("X-Attestation") > 0 then
    attest = (KSR.pv.get("$hdr(X-Attestation)") or ""):match("^%s*(.-)%s*$")
    KSR.hdr.remove("X-Attestation")
  end
  if attest ~= nil and not attest:match("^[ABC]$") then
    KSR.warn("shakenstack: ignoring X-Attestation other than A, B or C\n")
    attest = nil
  end
  local ok = M.sign(orig, dest, attest)
  if ok then return true end
  if settings.on_failure == "reject" then
    KSR.sl.send_reply(503, "Service Unavailable")
    return false
  end
  KSR.warn("shakenstack: forwarding Call-ID " .. tostring(KSR.pv.get("$ci")) .. " unsigned\n")
  return true
end

--- Asks shakenstack for the div PASSporT (RFC 8946) of a call being forwarded to `target`, drawn from the
--- Identity headers it arrived with (`identities`, every one), and adds it beside them; the received ones
--- stay. Returns true, or false and the reason (already logged).
function M.sign_div(identities, target)
  local fail = failing("cannot sign div")
  if not settings.api_key or settings.api_key == "" then return fail("no API key configured") end
  local t = M.canonical_tn(target)
  if not t then return fail("the forwarding target is not a telephone number") end
  local quoted = {}
  for i, v in ipairs(identities) do
    -- Each value goes into the JSON request as it is: a quote or backslash could change its structure.
    if not is_identity(v) or v:find('["\\]') then return fail("received Identity header " .. i .. " is not of the form header.payload.signature;params") end
    quoted[#quoted + 1] = '"' .. v .. '"'
  end
  if #quoted == 0 then return fail("the call has no Identity header") end
  local body = '{"identity":[' .. table.concat(quoted, ",") .. '],"dest":{"tn":["' .. t .. '"]}}'
  local identity, why = post_for_identity("/api/stir-shaken/div", body)
  if not identity then return fail(why) end
  -- RFC 8946 §3: the div PASSporT goes beside the received ones, which the terminating side verifies too.
  KSR.hdr.append("Identity: " .. identity .. "\r\n")
  return true
end

--- The Identity header values of the current request, in order.
function M.received_identities()
  local out = {}
  local n = tonumber(KSR.pv.get("$hdrc(Identity)")) or 0
  for i = 0, n - 1 do
    local v = KSR.pv.get("$(hdr(Identity)[" .. i .. "])")
    if v then out[#out + 1] = v end
  end
  return out
end

--- The gateway step for an initial INVITE to a number this proxy forwards to `target`: the div PASSporT
--- of the hop when the call is signed (sign_div), a Diversion entry (RFC 5806 §3: the number the call was
--- sent to, newest first, reason unconditional), and the Request-URI's user changed to `target` (RFC 3261
--- §16.5: From and To stay). Returns true when the call may go on, false when it has been answered 503
--- (on_failure "reject" and the div could not be signed).
function M.forward_request(target)
  local from = M.canonical_tn(KSR.pv.get("$rU"))
  local to = M.canonical_tn(target)
  if not from or not to then
    log_err("cannot forward (Call-ID " .. tostring(KSR.pv.get("$ci")) .. "): the called number or the target is not a number")
    KSR.sl.send_reply(500, "Bad Forwarding Target")
    return false
  end
  local identities = M.received_identities()
  if #identities > 0 then
    if not M.sign_div(identities, to) then
      if settings.on_failure == "reject" then
        KSR.sl.send_reply(503, "Service Unavailable")
        return false
      end
      -- The received Identity headers stay: the terminating side sees a call retargeted without div.
      KSR.warn("shakenstack: forwarding without div (Call-ID " .. tostring(KSR.pv.get("$ci")) .. ")\n")
    end
  else
    -- RFC 8946 §3: a div PASSporT extends a signed call; an unsigned call is retargeted as it is.
    KSR.info("shakenstack: forwarding unsigned call " .. from .. " -> " .. to .. " without div\n")
  end
  local diversion = "Diversion: <sip:" .. from .. "@" .. tostring(KSR.pv.get("$rd")) .. ">;reason=unconditional;counter=1\r\n"
  if KSR.hdr.is_present("Diversion") > 0 then
    KSR.hdr.insert_before(diversion, "Diversion")
  else
    KSR.hdr.append(diversion)
  end
  KSR.pv.sets("$rU", to)
  KSR.info("shakenstack: forwarded " .. from .. " -> " .. to .. " (Call-ID " .. tostring(KSR.pv.get("$ci")) .. ")\n")
  return true
end

return M

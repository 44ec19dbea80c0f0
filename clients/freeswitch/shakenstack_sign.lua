--[[
shakenstack_sign.lua: FreeSWITCH (mod_lua) script that asks shakenstack for the SIP Identity header of
the call and sets sip_h_Identity, so the bridge that follows sends it to the carrier.

Dialplan, before the bridge (mod_curl and mod_lua loaded):

  <action application="set" data="shakenstack_url=http://127.0.0.1:8080"/>
  <action application="lua" data="shakenstack_sign.lua"/>
  <action application="bridge" data="sofia/gateway/carrier/${destination_number}"/>

Channel variables it reads (all optional except the API key):
  shakenstack_url         base URL of shakenstack (default http://127.0.0.1:8080)
  shakenstack_api_key     API key; else the global variable shakenstack_api_key (vars.xml), else the
                          environment variable SHAKENSTACK_API_KEY. Never logged.
  shakenstack_orig        calling number; default caller_id_number (FreeSWITCH fills it from
                          P-Asserted-Identity when the profile trusts it, else from From)
  shakenstack_dest        called number; default destination_number
  shakenstack_attest      A, B or C; default the X-Attestation header of the call (sip_h_X-Attestation,
                          which the script unsets so it is not passed on), else the account's default
  shakenstack_timeout     whole seconds for the HTTP request (default 1; mod_curl's unit)
  shakenstack_on_failure  "forward" (default): the call goes on unsigned; "reject": it is answered 503
It sets:
  sip_h_Identity          the header value, on success
  shakenstack_result      signed | unsigned | rejected
  shakenstack_error       why it could not sign (no secrets)
]]

local DEFAULT_URL = "http://127.0.0.1:8080"

local function log(level, msg)
  freeswitch.consoleLog(level, "shakenstack: " .. msg .. "\n")
end

local function var(name)
  local v = session:getVariable(name)
  if v == nil or v == "" or v == "_undef_" then return nil end
  return v
end

--- Minimal canonical form (RFC 8224 §8.3): one leading "+" dropped; the service removes visual
--- separators. Anything else than a number is refused, so no call data can change the JSON request.
local function canonical_tn(s)
  if not s then return nil end
  s = s:gsub("^%+", "")
  if #s < 1 or #s > 32 or not s:match("^[0-9*#().-]+$") then return nil end
  return s
end

--- mod_curl URL-decodes its post data, so every byte that is not plainly safe goes percent-encoded.
local function url_encode(s)
  return (s:gsub("[^%w{}%[%]\":,._-]", function(c) return string.format("%%%02X", c:byte()) end))
end

--- The string value of a top-level member of the service's (flat) JSON answer, escapes decoded.
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

local function sign()
  local url = (var("shakenstack_url") or DEFAULT_URL):gsub("/+$", "")
  if not url:match("^https?://[^%s']+$") then return nil, "shakenstack_url is not an http(s) URL" end
  local key = var("shakenstack_api_key") or freeswitch.getGlobalVariable("shakenstack_api_key") or os.getenv("SHAKENSTACK_API_KEY")
  if not key or key == "" then return nil, "no API key (shakenstack_api_key)" end
  if key:find("[%s'\\]") then return nil, "the API key has spaces, quotes or backslashes" end
  local timeout = tonumber(var("shakenstack_timeout") or "1")
  if not timeout or timeout < 1 then return nil, "shakenstack_timeout must be a whole number of seconds, 1 or more" end
  timeout = math.floor(timeout)

  local orig = canonical_tn(var("shakenstack_orig") or var("caller_id_number"))
  if not orig then return nil, "the calling party is not a telephone number" end
  local dest = canonical_tn(var("shakenstack_dest") or var("destination_number"))
  if not dest then return nil, "the called party is not a telephone number" end
  local attest = var("shakenstack_attest") or var("sip_h_X-Attestation")
  -- Received X- headers are passed on to the bridged leg; the carrier must not see this one.
  if var("sip_h_X-Attestation") then session:execute("unset", "sip_h_X-Attestation") end
  if attest then
    attest = attest:match("^%s*(.-)%s*$")
    if not attest:match("^[ABC]$") then
      log("WARNING", "ignoring attestation other than A, B or C")
      attest = nil
    end
  end

  local body = '{"orig":{"tn":"' .. orig .. '"},"dest":{"tn":["' .. dest .. '"]}'
  if attest then body = body .. ',"attest":"' .. attest .. '"' end
  body = body .. "}"

  -- mod_curl splits its arguments on spaces; the quoted header stays one argument.
  local args = table.concat({
    url .. "/api/stir-shaken/sign",
    "timeout", tostring(timeout), "connect-timeout", tostring(timeout),
    "content-type", "application/json",
    "append_headers", "'Authorization: Bearer " .. key .. "'",
    "post", url_encode(body),
  }, " ")
  local answer = freeswitch.API():execute("curl", args) or ""
  local identity = json_string_member(answer, "identity")
  if identity then
    -- header.payload.signature;params in printable ASCII: nothing else may reach a SIP header.
    if not identity:match("^[%w_-]+%.[%w_-]+%.[%w_-]+;[ -~]+$") then return nil, "the answer has no usable identity" end
    return identity
  end
  if answer == "" then return nil, "no answer from " .. url .. " within " .. timeout .. " s" end
  local code = json_string_member(answer, "code") or "unknown error"
  local reason = json_string_member(answer, "reason") or ""
  -- Decoded JSON may hold line breaks: none go into the log or a channel variable.
  return nil, ("refused: " .. code .. " " .. reason:sub(1, 200)):gsub("%c", " ")
end

local identity, err = sign()
if identity then
  session:setVariable("sip_h_Identity", identity)
  session:setVariable("shakenstack_result", "signed")
  log("INFO", "signed call " .. tostring(var("uuid")))
else
  session:setVariable("shakenstack_error", err)
  if (var("shakenstack_on_failure") or "forward") == "reject" then
    session:setVariable("shakenstack_result", "rejected")
    log("ERR", "cannot sign (" .. err .. "); answering 503")
    session:execute("respond", "503 Service Unavailable")
  else
    session:setVariable("shakenstack_result", "unsigned")
    log("ERR", "cannot sign (" .. err .. "); forwarding unsigned")
  end
end

--[[
gateway.lua: KEMI routing of the shakenstack signing gateway (loaded by kamailio-gateway-kemi.cfg).
The same behaviour as kamailio-gateway.cfg: initial requests only from PBX_NET (or FORWARD_NET),
record-routed, INVITEs signed by shakenstack.lua, forwarded to CARRIER (or the Request-URI), in-dialog
requests routed by their Route headers. An INVITE from FORWARD_NET to a number in the forwarding table
is retargeted instead (shakenstack.forward_request: div PASSporT beside the received Identity, Diversion).
]]

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local shakenstack = dofile(here .. "shakenstack.lua")

local cfg

local function define(name, default)
  local v = KSR.kx.get_def(name)
  if type(v) ~= "string" or v == "" then return default end
  return (v:gsub('^"(.*)"$', "%1"))
end

--- The forwarding table, number -> new target, from the define FORWARDS ("number=target;number=target").
--- This is where a carrier plugs in its own forwarding logic: replace this map (or forward_target below)
--- with a lookup in its database, an htable (KSR.htable.sht_get) or its routing engine.
local function parse_forwards(text)
  local map = {}
  for from, to in text:gmatch("([^;=]+)=([^;]+)") do
    local f, t = shakenstack.canonical_tn(from), shakenstack.canonical_tn(to)
    if not f or not t then error("FORWARDS: " .. from .. "=" .. to .. " is not number=number") end
    map[f] = t
  end
  return map
end

local function load_settings()
  shakenstack.configure_from_kamailio()
  cfg = {
    carrier = define("CARRIER", ""),
    pbx_net = define("PBX_NET", "127.0.0.1/32"),
    forward_net = define("FORWARD_NET", ""),
    forwards = parse_forwards(define("FORWARDS", "")),
  }
end

--- Whether the request comes from FORWARD_NET (never, when it is empty).
local function from_forward_net()
  return cfg.forward_net ~= "" and KSR.ipops.is_in_subnet(KSR.pv.get("$si"), cfg.forward_net) > 0
end

--- The new target of a call from FORWARD_NET to a forwarded number, else nil.
local function forward_target()
  if not from_forward_net() then return nil end
  local called = shakenstack.canonical_tn(KSR.pv.get("$rU"))
  return called and cfg.forwards[called] or nil
end

local function relay()
  if KSR.siputils.has_totag() < 0 and KSR.is_INVITE() and cfg.carrier ~= "" then
    KSR.setdsturi(cfg.carrier)
  end
  if KSR.tm.t_relay() < 0 then
    KSR.sl.sl_reply_error()
  end
end

local function within_dialog()
  if KSR.rr.loose_route() > 0 then
    relay()
    return
  end
  if KSR.is_ACK() then
    -- ACK of a non-2xx final reply: hop by hop, tm matches it to its transaction.
    if KSR.tm.t_check_trans() > 0 then relay() end
    return
  end
  KSR.sl.sl_send_reply(404, "Not Here")
end

function ksr_request_route()
  -- Read on each worker's first request: KSR functions do not work yet while the script loads. A bad
  -- setting raises an error naming it, logged by app_lua for every request until it is fixed.
  if not cfg then load_settings() end

  if KSR.maxfwd.process_maxfwd(10) < 0 then
    KSR.sl.sl_send_reply(483, "Too Many Hops")
    return
  end
  if KSR.sanity.sanity_check_defaults() < 0 then
    KSR.warn("shakenstack-gateway: malformed request from " .. KSR.pv.get("$si") .. "\n")
    return
  end

  if KSR.is_CANCEL() then
    if KSR.tm.t_check_trans() > 0 then relay() end
    return
  end

  if KSR.siputils.has_totag() > 0 then
    within_dialog()
    return
  end

  -- A retransmission while another worker is still signing the same INVITE is absorbed here.
  if not KSR.is_ACK() then
    if KSR.tmx.t_precheck_trans() > 0 then
      KSR.tm.t_check_trans()
      return
    end
    if KSR.tm.t_check_trans() == 0 then return end
  end

  local from_pbx = KSR.ipops.is_in_subnet(KSR.pv.get("$si"), cfg.pbx_net) > 0
  if not from_pbx and not from_forward_net() then
    KSR.warn("shakenstack-gateway: refused " .. KSR.pv.get("$rm") .. " from " .. KSR.pv.get("$si") .. " (not in PBX_NET or FORWARD_NET)\n")
    KSR.sl.sl_send_reply(403, "Forbidden")
    return
  end

  if KSR.is_OPTIONS() and KSR.is_myself_ruri() and (KSR.pv.get("$rU") == nil) then
    KSR.sl.sl_send_reply(200, "OK")
    return
  end

  KSR.hdr.remove("Route")
  KSR.rr.record_route()

  if KSR.is_INVITE() then
    -- The transaction exists from here on: retransmissions during the HTTP call get this 100 again.
    KSR.tm.t_newtran()
    KSR.sl.send_reply(100, "Trying")
    local target = forward_target()
    if target then
      if not shakenstack.forward_request(target) then return end
    elseif from_pbx then
      if not shakenstack.sign_request() then return end
    else
      -- From the interconnect side, for a number this gateway does not forward: not ours to handle.
      KSR.sl.send_reply(404, "Not Found")
      return
    end
  end
  KSR.hdr.remove("X-Attestation")
  relay()
end

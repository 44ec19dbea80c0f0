--[[
Runs clients/freeswitch/shakenstack_sign.lua under a plain Lua 5.4 with the part of the FreeSWITCH API it
uses stood in: session:getVariable/setVariable/execute, freeswitch.consoleLog, getGlobalVariable, and
freeswitch.API():execute("curl", args). The curl stand-in reads its arguments the way mod_curl does
(blank-separated, single quotes group, post data URL-decoded) and really performs the request with
curl(1), so the script's HTTP path meets the running service.

  lua5.4 freeswitch-stub.lua <script>
  env FS_VARS: channel variables, one name=value a line; FS_GLOBALS: global variables, same form.
  stdout: "SET name=value" per variable the script set, "EXEC app data" per application it ran,
          "CURL <argument count>" per curl API call.
]]

local script = assert(arg[1], "usage: lua5.4 freeswitch-stub.lua <script>")

local function parse_lines(text)
  local t = {}
  for line in (text or ""):gmatch("[^\n]+") do
    local k, v = line:match("^([^=]+)=(.*)$")
    if k then t[k] = v end
  end
  return t
end

local vars = parse_lines(os.getenv("FS_VARS"))
local globals = parse_lines(os.getenv("FS_GLOBALS"))

--- FreeSWITCH's blank-delimited split (switch_separate_string with ' '): single quotes group a
--- token and are removed, a backslash escapes the next character.
local function fs_split(s)
  local out, cur, quoted, i, have = {}, {}, false, 1, false
  while i <= #s do
    local c = s:sub(i, i)
    if c == "\\" and i < #s then
      cur[#cur + 1] = s:sub(i + 1, i + 1)
      have = true
      i = i + 2
    else
      if c == "'" and (quoted or s:find("'", i + 1, true)) then
        quoted = not quoted
        have = true
      elseif c == " " and not quoted then
        if have then out[#out + 1] = table.concat(cur) end
        cur, have = {}, false
      else
        cur[#cur + 1] = c
        have = true
      end
      i = i + 1
    end
  end
  if have then out[#out + 1] = table.concat(cur) end
  return out
end

local function url_decode(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- mod_curl's `curl` API: url [content-type T] [timeout N] [connect-timeout N] [append_headers H]... [post DATA]
local function curl_api(args)
  local argv = fs_split(args)
  io.write("CURL ", #argv, "\n")
  local cmd = { "curl", "-sS", "--noproxy", "*" }
  local url = assert(argv[1], "curl: no url")
  local i = 2
  while i <= #argv do
    local a = argv[i]
    if a == "content-type" then
      cmd[#cmd + 1] = "-H " .. shell_quote("Content-Type: " .. argv[i + 1]); i = i + 2
    elseif a == "timeout" then
      cmd[#cmd + 1] = "--max-time " .. shell_quote(argv[i + 1]); i = i + 2
    elseif a == "connect-timeout" then
      cmd[#cmd + 1] = "--connect-timeout " .. shell_quote(argv[i + 1]); i = i + 2
    elseif a == "append_headers" then
      cmd[#cmd + 1] = "-H " .. shell_quote(argv[i + 1]); i = i + 2
    elseif a == "post" then
      cmd[#cmd + 1] = "-X POST --data-raw " .. shell_quote(url_decode(argv[i + 1] or "")); i = i + 2
    else
      error("curl stand-in: argument not understood: " .. a)
    end
  end
  cmd[#cmd + 1] = shell_quote(url)
  -- curl(1)'s own errors go to stderr; mod_curl answers an empty string in that case, as here.
  local p = assert(io.popen(table.concat(cmd, " ") .. " 2>/dev/null", "r"))
  local body = p:read("a")
  p:close()
  return body
end

freeswitch = {
  consoleLog = function(level, msg) io.stderr:write("[", level, "] ", msg) end,
  getGlobalVariable = function(name) return globals[name] end,
  API = function()
    return {
      execute = function(_, cmd, args)
        if cmd ~= "curl" then error("API stand-in: only curl, not " .. tostring(cmd)) end
        return curl_api(args)
      end,
    }
  end,
}

session = {
  getVariable = function(_, name) return vars[name] end,
  setVariable = function(_, name, value)
    vars[name] = value
    io.write("SET ", name, "=", tostring(value), "\n")
  end,
  execute = function(_, app, data) io.write("EXEC ", app, " ", tostring(data), "\n") end,
  ready = function() return true end,
}

dofile(script)

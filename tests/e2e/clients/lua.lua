-- One GET through Lua-curl, following redirects; prints the status (this
-- binding has no getinfo: the last status line tells).
local curl = require "curl"
local c = curl.easy_init()
local code = "none"
c:setopt(curl.OPT_URL, arg[1])
c:setopt(curl.OPT_FOLLOWLOCATION, 1)
c:setopt(curl.OPT_WRITEFUNCTION, function(s) return #s end)
c:setopt(curl.OPT_HEADERFUNCTION, function(s)
	local n = s:match("^HTTP/[%d.]+ (%d+)")
	if n then code = n end
	return #s
end)
local ok, err = c:perform()
print(ok and code or ("error " .. tostring(err)))

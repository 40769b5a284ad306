-- KEYS[1] take-over record; ARGV agent, new record JSON (or '' to delete).
-- Only the agent holding an active take-over may change it.
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local current = cjson.decode(raw)
if current['status'] ~= 'active' or current['agent'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1

-- KEYS[1] hash, KEYS[2] leases; ARGV id, token, lease ms
if redis.call('HGET', KEYS[1], 'status') ~= 'claimed'
   or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], server_ms + tonumber(ARGV[3]), ARGV[1])
return 1

-- KEYS: queue, expiry. ARGV: ticket. 1 = ours now, 0 = wait, -1 = our ticket expired.
-- Millisecond clock of the Redis server: replicas on different hosts agree on it.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if first == ARGV[1] then return 1 end
return 0

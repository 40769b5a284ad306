-- KEYS: queue, expiry, seq. ARGV: lifetime_ms. Returns the new ticket number.
-- Millisecond clock of the Redis server: replicas on different hosts agree on it.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ticket = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], ticket, ticket)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ticket)
local keep = tonumber(ARGV[1]) + 60000
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], keep) end
return ticket

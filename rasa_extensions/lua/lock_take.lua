-- KEYS: queue, expiry, seq. ARGV: lifetime_ms.
-- Issue a ticket and try it at once: {ticket, 1} when the turn is ours, {ticket, 0} when
-- others are ahead (then lock_acquire.lua polls). One round trip for the usual turn.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end
local ticket = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], ticket, ticket)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ticket)
local keep = tonumber(ARGV[1]) + 60000
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], keep) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if tonumber(first) == ticket then return {ticket, 1} end
return {ticket, 0}

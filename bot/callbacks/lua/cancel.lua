-- KEYS[1] hash, KEYS[2] due, KEYS[3] leases, KEYS[4] placed, KEYS[5] log; ARGV id, event
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' and status ~= 'claimed' and status ~= 'placed' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'token', '')
redis.call('RPUSH', KEYS[5], ARGV[2])
return 1

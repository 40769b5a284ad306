-- KEYS[1] hash, KEYS[2] leases, KEYS[3] due, KEYS[4] log; ARGV id, token, due ms, event
if redis.call('HGET', KEYS[1], 'status') ~= 'claimed'
   or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'pending', 'token', '', 'due_ms', ARGV[3])
redis.call('RPUSH', KEYS[4], ARGV[4])
return 1

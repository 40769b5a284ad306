-- KEYS[1] idempotency key, KEYS[2] record key, KEYS[3..] index zsets
-- ARGV[1] id, ARGV[2] json, ARGV[3] idempotency TTL, ARGV[4..] one score per index zset
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
if redis.call('EXISTS', KEYS[2]) == 1 then return '!TAKEN' end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2])
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[i + 1], ARGV[1])
end
return ARGV[1]

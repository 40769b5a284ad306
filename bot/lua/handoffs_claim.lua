-- KEYS[1] record, KEYS[2] waiting index, KEYS[3] events; ARGV id, agent, now iso, maxlen.
-- Leaving the waiting index is the claim: ZREM answers 1 to exactly one caller.
local raw = redis.call('GET', KEYS[1])
if not raw then return {0} end
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return {0, raw} end
local record = cjson.decode(raw)
record['claimed_by'] = ARGV[2]
record['claimed_at'] = ARGV[3]
local updated = cjson.encode(record)
redis.call('SET', KEYS[1], updated)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'claimed', 'data', updated)
return {1, updated}

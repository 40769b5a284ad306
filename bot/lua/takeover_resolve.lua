-- KEYS[1] hand-off record, KEYS[2] waiting index, KEYS[3] events; ARGV id, agent, now, maxlen.
-- The hand-off is closed: off the queue, `resolved_by`/`resolved_at` added, announced.
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
local record = cjson.decode(raw)
record['resolved_by'] = ARGV[2]
record['resolved_at'] = ARGV[3]
local updated = cjson.encode(record)
redis.call('SET', KEYS[1], updated)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'resolved', 'data', updated)
return 1

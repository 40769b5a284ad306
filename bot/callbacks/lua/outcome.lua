-- KEYS[1] hash, KEYS[2] placed, KEYS[3] due, KEYS[4] log
-- ARGV id, attempt, new status, due ms ('' unless pending), outcome, actor, note, now ms, event
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'placed' then
  if redis.call('HGET', KEYS[1], 'last_outcome_attempt') == ARGV[2] then return 'recorded' end
  return 'not_placed'
end
if redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[2] then return 'stale' end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'last_outcome', ARGV[5],
  'last_outcome_attempt', ARGV[2], 'last_outcome_actor', ARGV[6], 'last_outcome_note', ARGV[7],
  'last_outcome_ms', ARGV[8])
if ARGV[3] == 'pending' then
  redis.call('HSET', KEYS[1], 'due_ms', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
end
redis.call('RPUSH', KEYS[4], ARGV[9])
return 'ok'

-- KEYS[1] hash, KEYS[2] leases, KEYS[3] placed, KEYS[4] log; ARGV id, agent, now ms, now iso
-- The agent is calling: their held callback becomes `placed` (one more attempt) unless the
-- worker placed it already. Replies {result, attempts}.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
local t = redis.call('TIME')
local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held_until = tonumber(redis.call('HGET', KEYS[1], 'agent_until_ms') or '0') or 0
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] or held_until <= server_ms then
  return {'not_held', 0}
end
if status == 'claimed' then
  if redis.call('HGET', KEYS[1], 'worker') ~= 'agent:' .. ARGV[2] then return {'busy', 0} end
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[1], 'status', 'placed', 'token', '', 'placed_ms', ARGV[3])
  local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('RPUSH', KEYS[4], cjson.encode({event = 'placed', worker = 'agent:' .. ARGV[2],
    actor = ARGV[2], attempt = attempts, at = ARGV[4]}))
  return {'ok', attempts}
end
if status ~= 'placed' then return {'finished', 0} end
return {'ok', tonumber(redis.call('HGET', KEYS[1], 'attempts'))}

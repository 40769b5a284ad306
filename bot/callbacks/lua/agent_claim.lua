-- Agent holds. KEYS[1] hash, KEYS[2] due, KEYS[3] leases, KEYS[4] log
-- ARGV id, agent, hold ms, token, now iso
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', ''} end
local t = redis.call('TIME')
local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holder = redis.call('HGET', KEYS[1], 'agent') or ''
local held_until = tonumber(redis.call('HGET', KEYS[1], 'agent_until_ms') or '0') or 0
if holder ~= '' and holder ~= ARGV[2] and held_until > server_ms then
  return {'taken', holder}
end
local me = 'agent:' .. ARGV[2]
local hold_end = server_ms + tonumber(ARGV[3])
if status == 'pending' or status == 'claimed' then
  local worker = redis.call('HGET', KEYS[1], 'worker') or ''
  if status == 'claimed' and string.sub(worker, 1, 6) ~= 'agent:' then
    return {'busy', worker}
  end
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], hold_end, ARGV[1])
  if status == 'pending' or worker ~= me then
    redis.call('HSET', KEYS[1], 'status', 'claimed', 'token', ARGV[4], 'worker', me)
    redis.call('HINCRBY', KEYS[1], 'claims', 1)
  end
elseif status ~= 'placed' then
  return {'finished', status}
end
redis.call('HSET', KEYS[1], 'agent', ARGV[2], 'agent_until_ms', hold_end)
redis.call('RPUSH', KEYS[4], cjson.encode({event = 'agent_claimed', actor = ARGV[2],
  status = status, at = ARGV[5]}))
return {'ok', ARGV[2]}

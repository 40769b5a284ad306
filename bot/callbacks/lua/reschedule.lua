-- KEYS[1] hash, KEYS[2] due, KEYS[3] leases, KEYS[4] placed, KEYS[5] log
-- ARGV id, agent, due ms, event; a held callback may only be moved by its holder, and a
-- worker's in-flight claim not at all.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'pending' and status ~= 'claimed' and status ~= 'placed' then return 'finished' end
local t = redis.call('TIME')
local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holder = redis.call('HGET', KEYS[1], 'agent') or ''
local held_until = tonumber(redis.call('HGET', KEYS[1], 'agent_until_ms') or '0') or 0
if holder ~= '' and holder ~= ARGV[2] and held_until > server_ms then return 'taken' end
local worker = redis.call('HGET', KEYS[1], 'worker') or ''
if status == 'claimed' and string.sub(worker, 1, 6) ~= 'agent:' then return 'busy' end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'pending', 'token', '', 'due_ms', ARGV[3], 'agent', '',
  'agent_until_ms', 0)
redis.call('RPUSH', KEYS[5], ARGV[4])
return 'ok'

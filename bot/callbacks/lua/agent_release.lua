-- KEYS[1] hash, KEYS[2] leases, KEYS[3] due, KEYS[4] log; ARGV id, agent, event
-- The holder lets go: a callback they claimed while pending goes back to `due`.
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[1], 'status') == 'claimed'
   and redis.call('HGET', KEYS[1], 'worker') == 'agent:' .. ARGV[2] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'due_ms'), ARGV[1])
  redis.call('HSET', KEYS[1], 'status', 'pending', 'token', '')
end
redis.call('HSET', KEYS[1], 'agent', '', 'agent_until_ms', 0)
redis.call('RPUSH', KEYS[4], ARGV[3])
return 1

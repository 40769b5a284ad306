-- KEYS[1] due, KEYS[2] leases
-- ARGV: business now ms, lease ms, token prefix, limit, hash prefix, worker, business now iso
local t = redis.call('TIME')
local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', server_ms)) do
  local h = ARGV[5] .. id
  redis.call('ZREM', KEYS[2], id)
  if redis.call('HGET', h, 'status') == 'claimed' then
    local holder = redis.call('HGET', h, 'worker')
    redis.call('HSET', h, 'status', 'pending', 'token', '')
    redis.call('HINCRBY', h, 'lease_expiries', 1)
    redis.call('ZADD', KEYS[1], redis.call('HGET', h, 'due_ms'), id)
    redis.call('RPUSH', h .. ':log', cjson.encode({event = 'lease_expired', worker = holder,
      at = ARGV[7]}))
  end
end
local claimed = {}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
for i, id in ipairs(ids) do
  local h = ARGV[5] .. id
  redis.call('ZREM', KEYS[1], id)
  if redis.call('HGET', h, 'status') == 'pending' then
    local token = ARGV[3] .. ':' .. i
    redis.call('ZADD', KEYS[2], server_ms + tonumber(ARGV[2]), id)
    redis.call('HSET', h, 'status', 'claimed', 'token', token, 'worker', ARGV[6])
    redis.call('HINCRBY', h, 'claims', 1)
    redis.call('RPUSH', h .. ':log', cjson.encode({event = 'claimed', worker = ARGV[6],
      at = ARGV[7]}))
    table.insert(claimed, id)
    table.insert(claimed, token)
  end
end
return claimed

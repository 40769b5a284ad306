-- KEYS[1] take-over record; ARGV record JSON, agent. Returns {0, record} when this agent
-- took it now, {1, record} when it already had it, {2, record} when another agent has it.
local raw = redis.call('GET', KEYS[1])
if raw then
  local current = cjson.decode(raw)
  if current['status'] == 'active' then
    if current['agent'] == ARGV[2] then return {1, raw} end
    return {2, raw}
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return {0, ARGV[1]}

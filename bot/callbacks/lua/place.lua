-- KEYS[1] dedupe key, KEYS[2] stream; ARGV[1] ttl, ARGV[2..] field/value pairs
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
end
return false

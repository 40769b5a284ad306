-- KEYS: tracker, closed flag. ARGV: sha1 of the tracker value the turn read, the new
-- value, the closed flag (1/0), expiry in seconds (0: none).
-- Writes both only while the stored tracker is still the one read (1), else nothing (0:
-- someone else wrote it meanwhile, and the caller merges as Rasa does).
local stored = redis.call('GET', KEYS[1])
if not stored or redis.sha1hex(stored) ~= ARGV[1] then return 0 end
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
  redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('SET', KEYS[2], ARGV[3])
end
return 1

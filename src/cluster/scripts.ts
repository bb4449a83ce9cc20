/**
 * The cluster's Lua scripts. Each touches the keys of one breaker, which share a hash tag, so it
 * runs on a single Redis and on Redis Cluster alike. Names never reach Lua as code: a breaker's
 * key is an argument, and messages are built with cjson. Times are Redis's own clock (TIME), so
 * hosts whose clocks disagree still agree on deadlines.
 *
 * KEYS: 1 the nodes' windows (hash: node id -> "calls failures slow tripped expiresAtMs options"),
 *       2 the cluster's state (hash: state, until, epoch, reopens), 3 the probe lease (string).
 *
 * A breaker's epochs (the order of its decisions) start from Redis's clock in ms when Redis holds
 * nothing of it, and count up by one per decision: a Redis restarted empty, a failover that lost
 * the key, or an expired state key start above every epoch a node has seen, so no node takes the
 * new decisions for old ones. The state key expires once nothing needs it.
 */

/** The time now in ms on Redis's clock. */
const NOW = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * A node's sync of one breaker: stores its window, sums the fresh windows of every node, opens
 * the cluster when the sum crosses the thresholds (aggregate) or enough nodes tripped (quorum),
 * and grants the probe lease once an open period is over.
 * ARGV: 1 node, 2 calls, 3 failures, 4 slow calls, 5 tripped here (0/1), 6 ms a window stays
 * fresh, 7 minimumCalls, 8 failure rate (0..1, 0 off), 9 slow-call rate, 10 recovery ms,
 * 11 mode (aggregate | quorum), 12 quorum, 13 lease ms, 14 channel, 15 breaker key, 16 a
 * fingerprint of the options the node judges by (hex; a window stored without one is not compared).
 * Returns: open (0/1), remaining ms, epoch, probe lease held (0/1), opened now (0/1), the
 * cluster's calls, failures, and tripped nodes, and whether a fresh window was judged by other
 * options (0/1).
 */
export const SYNC_SCRIPT = `${NOW}
local fresh = tonumber(ARGV[6])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. (now + fresh) .. ' ' .. ARGV[16])
redis.call('PEXPIRE', KEYS[1], fresh * 2)
local calls, failures, slow, tripped, differs = 0, 0, 0, 0, 0
local windows = redis.call('HGETALL', KEYS[1])
for i = 1, #windows, 2 do
  local c, f, s, t, e, o = string.match(windows[i + 1], '^(%d+) (%d+) (%d+) (%d+) (%d+) ?(%x*)$')
  if c == nil or tonumber(e) < now then
    redis.call('HDEL', KEYS[1], windows[i])
  else
    calls = calls + tonumber(c)
    failures = failures + tonumber(f)
    slow = slow + tonumber(s)
    tripped = tripped + tonumber(t)
    if o ~= '' and o ~= ARGV[16] then differs = 1 end
  end
end
local saved = redis.call('HMGET', KEYS[2], 'state', 'until', 'epoch')
local open = saved[1] == 'open'
local untilMs = tonumber(saved[2] or '0') or 0
local epoch = tonumber(saved[3] or '')
if epoch == nil then
  epoch = now
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local opened = 0
if not open then
  local trip
  if ARGV[11] == 'quorum' then
    trip = tripped >= tonumber(ARGV[12])
  else
    local minimum, failureRate, slowRate = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
    trip = calls > 0 and calls >= minimum and
      ((failureRate > 0 and failures / calls >= failureRate) or (slowRate > 0 and slow / calls >= slowRate))
  end
  if trip then
    open = true
    epoch = epoch + 1
    untilMs = now + tonumber(ARGV[10])
    opened = 1
    redis.call('HSET', KEYS[2], 'state', 'open', 'until', untilMs, 'epoch', epoch, 'reopens', 0)
    redis.call('DEL', KEYS[1], KEYS[3])
    redis.call('PUBLISH', ARGV[14], cjson.encode({ key = ARGV[15], state = 'open', remainingMs = untilMs - now, epoch = epoch }))
  end
end
local probe = 0
if open and untilMs <= now then
  if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[13]) then
    probe = 1
  elseif redis.call('GET', KEYS[3]) == ARGV[1] then
    probe = 1
  end
end
local remaining = 0
if open and untilMs > now then remaining = untilMs - now end
redis.call('PEXPIRE', KEYS[2], remaining + fresh * 2)
return { open and 1 or 0, remaining, epoch, probe, opened, calls, failures, tripped, differs }`;

/**
 * The probing node's verdict: closes the cluster, or opens it again for ARGV[3] ms, when this
 * node still holds the probe lease of epoch ARGV[5] (a later decision wins otherwise).
 * ARGV: 1 node, 2 closed | open, 3 recovery ms, 4 channel, 5 epoch, 6 breaker key.
 * Returns: 1 when the verdict was taken, else 0.
 */
export const VERDICT_SCRIPT = `${NOW}
local saved = redis.call('HMGET', KEYS[2], 'state', 'epoch')
if saved[1] ~= 'open' or tonumber(saved[2] or '0') ~= tonumber(ARGV[5]) then return 0 end
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
local epoch = tonumber(ARGV[5]) + 1
redis.call('DEL', KEYS[3])
if ARGV[2] == 'closed' then
  redis.call('HSET', KEYS[2], 'state', 'closed', 'until', 0, 'epoch', epoch, 'reopens', 0)
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[4], cjson.encode({ key = ARGV[6], state = 'closed', remainingMs = 0, epoch = epoch }))
else
  local untilMs = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[2], 'state', 'open', 'until', untilMs, 'epoch', epoch)
  redis.call('HINCRBY', KEYS[2], 'reopens', 1)
  redis.call('PUBLISH', ARGV[4], cjson.encode({ key = ARGV[6], state = 'open', remainingMs = tonumber(ARGV[3]), epoch = epoch }))
end
return 1`;

/**
 * The cluster's Lua scripts. A breaker's three keys share a hash tag, so a script given one
 * breaker runs on a single Redis and on Redis Cluster alike (a sync batches breakers on a single
 * Redis only). Names never reach Lua as code: a breaker's key is an argument, and messages are
 * built with cjson. Times are Redis's own clock (TIME), so hosts whose clocks disagree still
 * agree on deadlines.
 *
 * A breaker's keys: its nodes' windows (hash: node id -> "calls failures slow tripped expiresAtMs
 * fingerprint"), the cluster's state (hash: state, until, epoch, reopens), the probe lease (string).
 *
 * A breaker's epochs (the order of its decisions) start from Redis's clock in ms when Redis holds
 * nothing of it, and count up by one per decision: a Redis restarted empty, a failover that lost
 * the key, or an expired state key start above every epoch a node has seen, so no node takes the
 * new decisions for old ones. The state key expires once nothing needs it.
 *
 * A PUBLISH that Redis refuses (a user without the channel) fails neither script: the decision
 * stands, and each other node learns it with its next sync of the breaker.
 */

/** The time now in ms on Redis's clock. */
const NOW = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * A node's sync of a batch of breakers (one on Redis Cluster, where each breaker's keys live in
 * their own slot; many on a single Redis, so 10,000 breakers are a few hundred commands, not
 * 10,000). For each breaker: stores the node's window, sums the fresh windows of every node,
 * opens the cluster when the sum crosses the thresholds (aggregate) or enough nodes tripped
 * (quorum), and grants the probe lease once an open period is over, to a node that wants a probe.
 * KEYS: the three keys of each breaker in turn.
 * ARGV: 1 node, 2 mode (aggregate | quorum), 3 quorum, 4 lease ms, 5 channel; then two per
 * breaker: its key, and "calls failures slow tripped-here(0/1) wants-probe(0/1) held-ms
 * longest-open-ms fresh-ms minimumCalls failure-rate slow-call-rate recovery-ms fingerprint"
 * (wants-probe: the node refused calls since its last sync, and only such a node is granted a
 * free lease; held-ms: how long the node still holds the breaker open for the cluster, 0 when it
 * does not; longest-open-ms: its maxRecoveryTimeout; rates 0..1, 0 off; fresh-ms: how long a
 * window stays in the sum; the fingerprint, hex, of the options the node judges by: a window
 * stored without one is not compared).
 *
 * What Redis holds is not trusted blindly: a key of another type than the script keeps there (a
 * hand edit, another program) is deleted, so one bad key fails no other breaker's sync; an open
 * period longer than the node's longest is cut to it (a garbage deadline, or Redis's clock
 * stepping back), a deadline that is no number (NaN parses) is over, and an epoch that is no
 * whole number a reply can carry (Redis turns a script's numbers into 64-bit integers) starts
 * again from the clock, as a lost one does. Redis that lost a breaker's decision (restarted
 * empty, flushed, a failover that lost the key) has no state: a node still holding the breaker
 * open for the cluster opens it again for what its hold has left, under a new epoch, so the
 * nodes keep one prober.
 * Returns eleven numbers per breaker: open (0/1), remaining ms, epoch, probe lease held (0/1),
 * opened now (0/1), the cluster's calls, failures, and tripped nodes, whether a fresh window was
 * judged by other options (0/1), whether the cluster has a decision of the breaker (0/1: none, as
 * after Redis lost it), and which keys were deleted as the wrong type (1 windows, 2 state, 4 probe).
 */
export const SYNC_SCRIPT = `${NOW}
local node, mode, quorum, leaseMs, channel = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local function repair(key, kind, bit)
  local found = redis.call('TYPE', key)['ok']
  if found == 'none' or found == kind then return 0 end
  redis.call('DEL', key)
  return bit
end
local replies = {}
for b = 0, #KEYS / 3 - 1 do
  local windowsKey, stateKey, probeKey = KEYS[3 * b + 1], KEYS[3 * b + 2], KEYS[3 * b + 3]
  local key = ARGV[6 + 2 * b]
  local ownCalls, ownFailures, ownSlow, ownTripped, wantsProbe, heldMs, longestMs, fresh, minimum, failureRate, slowRate, recovery, fingerprint =
    string.match(ARGV[7 + 2 * b], '^(%d+) (%d+) (%d+) ([01]) ([01]) (%d+) (%d+) (%d+) (%d+) (%S+) (%S+) (%d+) (%x*)$')
  if ownCalls == nil then return redis.error_reply('breakwater: a sync line the script cannot read') end
  local repaired = repair(windowsKey, 'hash', 1) + repair(stateKey, 'hash', 2) + repair(probeKey, 'string', 4)
  fresh, heldMs, longestMs = tonumber(fresh), tonumber(heldMs), tonumber(longestMs)
  redis.call('HSET', windowsKey, node, ownCalls .. ' ' .. ownFailures .. ' ' .. ownSlow .. ' ' .. ownTripped .. ' ' .. (now + fresh) .. ' ' .. fingerprint)
  redis.call('PEXPIRE', windowsKey, fresh * 2)
  local calls, failures, slow, tripped, differs = 0, 0, 0, 0, 0
  local windows = redis.call('HGETALL', windowsKey)
  for i = 1, #windows, 2 do
    local c, f, s, t, e, o = string.match(windows[i + 1], '^(%d+) (%d+) (%d+) (%d+) (%d+) ?(%x*)$')
    if c == nil or tonumber(e) < now then
      redis.call('HDEL', windowsKey, windows[i])
    else
      calls = calls + tonumber(c)
      failures = failures + tonumber(f)
      slow = slow + tonumber(s)
      tripped = tripped + tonumber(t)
      if o ~= '' and o ~= fingerprint then differs = 1 end
    end
  end
  local saved = redis.call('HMGET', stateKey, 'state', 'until', 'epoch')
  local open = saved[1] == 'open'
  local decided = open or saved[1] == 'closed'
  local untilMs = tonumber(saved[2] or '0') or 0
  if untilMs ~= untilMs then untilMs = 0 end
  local epoch = tonumber(saved[3] or '')
  if epoch ~= nil and not (epoch >= 0 and epoch <= 9007199254740991 and epoch % 1 == 0) then epoch = nil end
  if epoch == nil then
    epoch = now
    redis.call('HSET', stateKey, 'epoch', epoch)
  end
  if open and untilMs > now + longestMs then
    untilMs = now + longestMs
    redis.call('HSET', stateKey, 'until', untilMs)
  end
  local opened = 0
  if not decided and heldMs > 0 then
    open, decided = true, true
    epoch = epoch + 1
    untilMs = now + math.min(heldMs, longestMs)
    redis.call('HSET', stateKey, 'state', 'open', 'until', untilMs, 'epoch', epoch, 'reopens', 0)
    redis.call('DEL', probeKey)
    redis.pcall('PUBLISH', channel, cjson.encode({ key = key, state = 'open', remainingMs = untilMs - now, epoch = epoch }))
  end
  if not open then
    local trip
    if mode == 'quorum' then
      trip = tripped >= quorum
    else
      local least, failing, slowing = tonumber(minimum), tonumber(failureRate), tonumber(slowRate)
      trip = calls > 0 and calls >= least and
        ((failing > 0 and failures / calls >= failing) or (slowing > 0 and slow / calls >= slowing))
    end
    if trip then
      open = true
      epoch = epoch + 1
      untilMs = now + tonumber(recovery)
      opened, decided = 1, true
      redis.call('HSET', stateKey, 'state', 'open', 'until', untilMs, 'epoch', epoch, 'reopens', 0)
      redis.call('DEL', windowsKey, probeKey)
      redis.pcall('PUBLISH', channel, cjson.encode({ key = key, state = 'open', remainingMs = untilMs - now, epoch = epoch }))
    end
  end
  local probe = 0
  if open and untilMs <= now then
    if wantsProbe == '1' and redis.call('SET', probeKey, node, 'NX', 'PX', leaseMs) then
      probe = 1
    elseif redis.call('GET', probeKey) == node then
      probe = 1
    end
  end
  local remaining = 0
  if open and untilMs > now then remaining = untilMs - now end
  redis.call('PEXPIRE', stateKey, remaining + fresh * 2)
  local r = 11 * b
  replies[r + 1], replies[r + 2], replies[r + 3], replies[r + 4] = open and 1 or 0, remaining, epoch, probe
  replies[r + 5], replies[r + 6], replies[r + 7], replies[r + 8], replies[r + 9] = opened, calls, failures, tripped, differs
  replies[r + 10], replies[r + 11] = decided and 1 or 0, repaired
end
return replies`;

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
  redis.pcall('PUBLISH', ARGV[4], cjson.encode({ key = ARGV[6], state = 'closed', remainingMs = 0, epoch = epoch }))
else
  local untilMs = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[2], 'state', 'open', 'until', untilMs, 'epoch', epoch)
  redis.call('HINCRBY', KEYS[2], 'reopens', 1)
  redis.pcall('PUBLISH', ARGV[4], cjson.encode({ key = ARGV[6], state = 'open', remainingMs = tonumber(ARGV[3]), epoch = epoch }))
end
return 1`;

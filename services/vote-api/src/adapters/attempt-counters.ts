import type { RedisClient } from '@onevote/platform';
import type { WindowCount } from '../domain/rate-limits.ts';
import { subnetOf } from '../domain/risk.ts';
import { within } from './deadline.ts';
import { parseHint, type VotedHint, votedHintKey } from './voted-hints.ts';


/** What Redis knows about one ballot attempt; `undefined` when Redis did not answer in time. */
export interface AttemptCounts {
  requests: { ip: WindowCount; voter: WindowCount; key: WindowCount };
  /** Distinct voters seen with this DPoP key in the risk window, this one included. */
  votersPerKey: WindowCount;
  /** Distinct voters seen from this IP's network in the risk window. */
  votersPerSubnet: WindowCount;
  /** Vote requests from this IP in the risk window. */
  ipVelocity: WindowCount;
  /** The "already voted" hint, if this voter's ballot was committed earlier. */
  hint: VotedHint | undefined;
}

export interface AttemptCounterOptions {
  prefix: string;
  rateWindowSeconds: number;
  riskWindowSeconds: number;
  deadlineMs: number;
}

/*
 * One script runs every operation on the keys of one hash slot: the keys of a call share a `{tag}`
 * (the IP, the DPoP key, the voter or the network), so it works unchanged on a Redis cluster.
 * KEYS[i] goes with three ARGV entries: the operation, a window in ms, a member.
 *   hits      INCR; the window starts at the first hit        -> count, ms left in the window
 *   distinct  PFADD member (HyperLogLog: constant memory)     -> distinct members, ms left
 *   get       GET                                             -> value or '', 0
 */
const countScript = `
local out = {}
for i, key in ipairs(KEYS) do
  local op, window, member = ARGV[3 * i - 2], tonumber(ARGV[3 * i - 1]), ARGV[3 * i]
  if op == 'get' then
    out[#out + 1] = redis.call('GET', key) or ''
    out[#out + 1] = 0
  else
    local n
    if op == 'hits' then
      n = redis.call('INCR', key)
    else
      redis.call('PFADD', key, member)
      n = redis.call('PFCOUNT', key)
    end
    local left = redis.call('PTTL', key)
    if left < 0 then
      redis.call('PEXPIRE', key, window)
      left = window
    end
    out[#out + 1] = n
    out[#out + 1] = left
  end
end
return out`;

type Op = ['hits' | 'distinct' | 'get', string, number, string?];

type Reply = (string | number)[];

/**
 * The script as one command per number of keys (1 or 2), each declaring its key count. Declared,
 * the first argument is a key, and that is what ioredis's auto-pipelining on a Redis Cluster groups
 * commands by: with the count passed as the first argument instead (`countAttempt(2, ...)`) it
 * took the count for the key, put calls for different nodes in one pipeline, and every call failed
 * ("All keys in the pipeline should belong to the same slots allocation group"; ioredis issue
 * #2109). One server sends exactly the same EVALSHA either way.
 */
type CountingRedis = RedisClient & {
  countAttempt1(...keysAndArgs: (string | number)[]): Promise<Reply>;
  countAttempt2(...keysAndArgs: (string | number)[]): Promise<Reply>;
};
const maxKeysPerCall = 2;

/**
 * Counts a ballot attempt for the rate limits and the risk rules and reads the "already voted"
 * hint, in one round trip: four single-slot script calls, pipelined by ioredis. It replaced one
 * rate-limiter script per budget, an eight-command risk pipeline and a GET, each waited for in turn
 * (docs/benchmarks.md).
 */
export class AttemptCounters {
  private readonly redis: CountingRedis;

  constructor(
    redis: RedisClient,
    private readonly options: AttemptCounterOptions,
  ) {
    for (let keys = 1; keys <= maxKeysPerCall; keys++) {
      if (!(`countAttempt${keys}` in redis)) redis.defineCommand(`countAttempt${keys}`, { lua: countScript, numberOfKeys: keys });
    }
    this.redis = redis as CountingRedis;
  }

  async count(input: { ip: string; voterId: string; jkt: string; electionId: string }): Promise<AttemptCounts | undefined> {
    const p = this.options.prefix;
    const rate = this.options.rateWindowSeconds * 1000;
    const risk = this.options.riskWindowSeconds * 1000;
    const ip = `{${input.ip}}`;
    const key = `{${input.jkt}}`;
    const voter = `{${input.voterId}}`;
    const net = `{${subnetOf(input.ip)}}`;
    const calls: Op[][] = [
      [
        ['hits', `${p}rl:ip:${ip}`, rate],
        ['hits', `${p}risk:vel:${ip}`, risk],
      ],
      [
        ['hits', `${p}rl:key:${key}`, rate],
        ['distinct', `${p}risk:key:${key}`, risk, input.voterId],
      ],
      [
        ['hits', `${p}rl:voter:${voter}`, rate],
        ['get', votedHintKey(p, input.electionId, input.voterId), 0],
      ],
      [['distinct', `${p}risk:net:${net}`, risk, input.voterId]],
    ];
    const replies = await within(this.options.deadlineMs, () =>
      Promise.all(
        calls.map((ops) =>
          this.redis[ops.length === 1 ? 'countAttempt1' : 'countAttempt2'](
            ...ops.map((op) => op[1]),
            ...ops.flatMap(([op, , window, member]) => [op, window, member ?? '']),
          ),
        ),
      ),
    );
    if (!replies) return undefined;
    const [ipReply, keyReply, voterReply, netReply] = replies as [Reply, Reply, Reply, Reply];
    const window = (reply: Reply, at: number): WindowCount => ({ count: Number(reply[at]), msLeft: Number(reply[at + 1]) });
    return {
      requests: { ip: window(ipReply, 0), key: window(keyReply, 0), voter: window(voterReply, 0) },
      ipVelocity: window(ipReply, 2),
      votersPerKey: window(keyReply, 2),
      votersPerSubnet: window(netReply, 0),
      hint: parseHint(String(voterReply[2])),
    };
  }
}

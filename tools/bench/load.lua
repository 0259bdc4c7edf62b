-- wrk script for tools/bench/run.mjs. Configured by environment variables:
--   BENCH_MODE    cycle (BENCH_KEYS warm keys in turn) | zipf (Zipf BENCH_ALPHA over BENCH_KEYS)
--                 | unique (a key never asked before, from BENCH_BASE) | one (the key of rank BENCH_BASE)
--                 | batch (POST /v1/lookup with BENCH_BATCH warm keys) | fixed (GET BENCH_PREFIX)
--   BENCH_PREFIX  path before the hash (/v1/files/), BENCH_SUFFIX after it (?module=…)
--   BENCH_TOKEN   device token (Authorization: Bearer), BENCH_COOKIE (Cookie), BENCH_SEED, BENCH_THREADS
--   BENCH_RATE    if set: open loop, requests/s over all threads, paced per thread (wrk2-like
--                 schedule; latency is measured from the actual send, so a server that falls
--                 behind shows as a missed rate, reported by run.mjs, rather than as latency)
-- Prints one line "BENCH_JSON {...}" with counts and latency percentiles (microseconds).
-- Keys are named like tools/bench/zipf.mjs hashOfRank: ((r+1)·2654435761 mod 2^32) in hex, 8 times.
local ffi = require("ffi")
local bit = require("bit")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local env = os.getenv
local mode = env("BENCH_MODE") or "cycle"
local nkeys = tonumber(env("BENCH_KEYS") or "1000")
local alpha = tonumber(env("BENCH_ALPHA") or "1.0")
local base = tonumber(env("BENCH_BASE") or "0")
local batch = tonumber(env("BENCH_BATCH") or "100")
local prefix = env("BENCH_PREFIX") or "/v1/files/"
local suffix = env("BENCH_SUFFIX") or ""
local token = env("BENCH_TOKEN") or ""
local cookie = env("BENCH_COOKIE") or ""
local rate = tonumber(env("BENCH_RATE") or "0")
local threads = tonumber(env("BENCH_THREADS") or "1")

local function hash_of_rank(r)
  -- Exact in doubles: split the multiplicand in 16-bit halves.
  local a = r + 1
  local lo, hi = a % 65536, math.floor(a / 65536) % 65536
  local x = (((hi * 2654435761) % 65536) * 65536 + lo * 2654435761) % 4294967296
  return string.rep(bit.tohex(x, 8), 8)
end

local counter = 0
local cdf, total
local rng_state

local thread_id = 0
local all_threads = {}
function setup(thread)
  thread:set("tid", #all_threads)
  table.insert(all_threads, thread)
end

function init(args)
  thread_id = tid or 0
  local seed = tonumber(env("BENCH_SEED") or "1") * 7919 + thread_id * 104729
  math.randomseed(seed)
  if mode == "zipf" then
    cdf = {}
    local s = 0
    for i = 1, nkeys do
      s = s + (i ^ -alpha)
      cdf[i] = s
    end
    total = s
  end
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
  if cookie ~= "" then wrk.headers["Cookie"] = cookie end
end

local function zipf_rank()
  local u = math.random() * total
  local lo, hi = 1, nkeys
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo - 1
end

-- Batch requests are built once (the keys repeat every nkeys / batch requests), so the
-- load generator's own work per request stays small next to the server's.
local batches, nbatches
local function batch_request(n)
  local items = {}
  for i = 1, batch do
    local r = ((n * batch) + i) % nkeys
    items[i] = '{"type":"file","sha256":"' .. hash_of_rank(r) .. '"}'
  end
  local body = '{"module":"file-threat-protection","items":[' .. table.concat(items, ",") .. "]}"
  local h = { ["Content-Type"] = "application/json", ["Host"] = wrk.headers["Host"] }
  if token ~= "" then h["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", "/v1/lookup", h, body)
end

function request()
  counter = counter + 1
  if mode == "batch" then
    if batches == nil then
      -- request n asks for ranks n·batch+1 … n·batch+batch (mod nkeys): a cycle of nkeys / batch
      -- distinct requests when batch divides nkeys, of nkeys at most otherwise.
      nbatches = (nkeys % batch == 0) and (nkeys / batch) or nkeys
      batches = {}
      for n = 0, nbatches - 1 do batches[n + 1] = batch_request(n) end
    end
    return batches[counter % nbatches + 1]
  end
  if mode == "fixed" then return wrk.format(nil, prefix) end
  local r
  if mode == "cycle" then
    r = base + (counter + thread_id * 7) % nkeys
  elseif mode == "zipf" then
    r = zipf_rank()
  elseif mode == "unique" then
    r = base + thread_id * 10000000 + counter
  else
    r = base
  end
  return wrk.format(nil, prefix .. hash_of_rank(r) .. suffix)
end

if rate > 0 then
  local interval = 1000 * threads / rate
  local next_t = nil
  function delay()
    local t = now_ms()
    if next_t == nil then next_t = t end
    next_t = next_t + interval
    local d = next_t - t
    if d < -1000 then next_t = t; d = 0 end
    if d < 1 then return 0 end
    return math.floor(d)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end

-- wrk script for deploy/soak.sh: mixed traffic on one project, every answer counted by request kind and status.
--
--   wrk -t C -c C -d D -s traffic.lua URL -- key=KEY project=PROJECT first=1 stride=S count=N \
--       pool_first=1 pool_stride=S pool_offset=O pool_count=N threads=C tag=TAG delay_ms=MS
--
-- Run with as many wrk threads as connections (-t C -c C): each thread then has one connection, whose requests
-- and answers alternate, so an answer is counted under the kind of the request that this thread sent last.
--
-- Kinds and the status each must get (weights out of 100):
--   get       45  GET /jobs/ID, ID a random job of the project (first + stride * k, k < count)            200
--   list      10  GET /jobs?limit=50&page=P, P in 1..20                                                     200
--   badkey    10  GET /jobs/ID with a key that does not exist                                              401
--   missing    5  GET /jobs/ID of a job that does not exist                                                404
--   cancel    15  DELETE /jobs/ID over this thread's slice of a pool of scheduled jobs, each cancelled once 200
--                 (once the slice is used up, the last job again, counted as kind "recancel": soak.sh sizes
--                 the pool so that this cannot happen, and fails the run if it does)
--   user      15  DELETE /users/soak-TAG-THREAD-N: a user never seen before                                 200
-- delay() waits delay_ms between a thread's answer and its next request, so the load stays a steady trickle
-- rather than whatever the machine can take.
--
-- done() prints one line per kind and status that deploy/soak.sh reads:
--   soak-count KIND STATUS N
-- and one line of totals:
--   soak-total requests=N socket_errors=N p50_us=N p99_us=N

local thread_list = {}
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
    table.insert(thread_list, thread)
end

options = {}
counts = {}  -- "kind status" → answers; global so that done() reads it through thread:get
local good_headers, bad_headers = {}, {}
local base = ""
local next_index, end_index = 0, 0
local counter = 0
local last_kind = "none"

local function number(name)
    local value = tonumber(options[name])
    if value == nil then
        error("traffic.lua: option " .. name .. " is missing or not a number")
    end
    return value
end

function init(args)
    for _, argument in ipairs(args) do
        local name, value = argument:match("^([%w_]+)=(.*)$")
        if name == nil then
            error("traffic.lua: expected NAME=VALUE, got " .. argument)
        end
        options[name] = value
    end
    base = "/public/" .. options.project
    good_headers = { ["Authorization"] = "Bearer " .. options.key }
    bad_headers = { ["Authorization"] = "Bearer jobs_0000000000000000000000000000000000000000" }
    math.randomseed(os.time() + 7919 * (thread_number or 0))
    local threads, offset, count = number("threads"), number("pool_offset"), number("pool_count")
    local thread = thread_number or 1
    next_index = offset + math.floor(count * (thread - 1) / threads)
    end_index = offset + math.floor(count * thread / threads)
end

local function job_id(index)
    return string.format("%d", number("first") + number("stride") * index)
end

local function pool_id(index)
    return string.format("%d", number("pool_first") + number("pool_stride") * index)
end

local function build(kind)
    if kind == "get" then
        return wrk.format("GET", base .. "/jobs/" .. job_id(math.random(0, number("count") - 1)), good_headers)
    elseif kind == "list" then
        return wrk.format("GET", base .. "/jobs?limit=50&page=" .. math.random(1, 20), good_headers)
    elseif kind == "badkey" then
        return wrk.format("GET", base .. "/jobs/" .. job_id(0), bad_headers)
    elseif kind == "missing" then
        return wrk.format("GET", base .. "/jobs/9000000000000", good_headers)
    elseif kind == "cancel" then
        if next_index >= end_index then
            last_kind = "recancel"
            return wrk.format("DELETE", base .. "/jobs/" .. pool_id(end_index - 1), good_headers)
        end
        local request = wrk.format("DELETE", base .. "/jobs/" .. pool_id(next_index), good_headers)
        next_index = next_index + 1
        return request
    else
        counter = counter + 1
        local user = "soak-" .. options.tag .. "-" .. (thread_number or 0) .. "-" .. counter
        return wrk.format("DELETE", base .. "/users/" .. user, good_headers)
    end
end

local weights = { { "get", 45 }, { "list", 10 }, { "badkey", 10 }, { "missing", 5 }, { "cancel", 15 }, { "user", 15 } }

function request()
    local roll = math.random(1, 100)
    local kind = "user"
    for _, entry in ipairs(weights) do
        if roll <= entry[2] then
            kind = entry[1]
            break
        end
        roll = roll - entry[2]
    end
    last_kind = kind
    return build(kind)
end

function response(status, headers, body)
    local key = last_kind .. " " .. status
    counts[key] = (counts[key] or 0) + 1
end

function delay()
    return number("delay_ms")
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(thread_list) do
        for key, count in pairs(thread:get("counts") or {}) do
            total[key] = (total[key] or 0) + count
        end
    end
    for key, count in pairs(total) do
        io.write(string.format("soak-count %s %d\n", key, count))
    end
    local errors = summary.errors
    io.write(string.format("soak-total requests=%d socket_errors=%d p50_us=%d p99_us=%d\n", summary.requests,
        errors.connect + errors.read + errors.write + errors.timeout, latency:percentile(50),
        latency:percentile(99)))
end

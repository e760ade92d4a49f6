-- wrk script for deploy/bench.sh: builds each request of one scenario and counts the answers by status, so that a
-- scenario that answered errors shows up in the results instead of passing for a fast one.
--
--   wrk -t T -c C -d D -s scenario.lua URL -- scenario=NAME expect=STATUS key=... project=... [options]
--
-- Scenarios (PATH is /public/PROJECT):
--   plain     GET PATH/jobs/1 (for the reference servers, which answer anything with a fixed body)
--   job       GET PATH/jobs/ID, ID a random job of the project: first + stride * k, k in [0, count)
--   list      GET PATH/jobs?limit=LIMIT&page=P, P random in [1, pages]
--   cancel    DELETE PATH/jobs/ID over a pool of scheduled jobs (first + stride * k, k in [offset, offset + count)),
--             split into one range per wrk thread, so that every request cancels a job not cancelled before
--   user      DELETE PATH/users/bench-TAG-THREAD-N: a user never seen before, every request
-- Every request carries "Authorization: Bearer KEY" (the reference servers get it too: same request size).
-- wrk builds one request in its first thread to check the script and never sends it: that thread skips one job
-- or user, which changes nothing.
--
-- done() prints one line that deploy/bench.sh reads:
--   bench-result requests=N seconds=S p50_us=N p99_us=N expected=N unexpected=N socket_errors=N exhausted=N
--                no_retry_after=N statuses=200:N,...
-- (no_retry_after: 503 answers without a Retry-After header.)

local thread_list = {}
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
    table.insert(thread_list, thread)
end

-- Per-thread state (each wrk thread runs its own copy of this script; thread_number is set by setup()).
options = {}  -- global: done() reads the expected status through thread:get("options")
local headers = {}
local base = ""
local next_index, end_index = 0, 0
local counter = 0
statuses = {}
exhausted = 0
no_retry_after = 0

local function number(name)
    local value = tonumber(options[name])
    if value == nil then
        error("scenario.lua: option " .. name .. " is missing or not a number")
    end
    return value
end

function init(args)
    for _, argument in ipairs(args) do
        local name, value = argument:match("^([%w_]+)=(.*)$")
        if name == nil then
            error("scenario.lua: expected NAME=VALUE, got " .. argument)
        end
        options[name] = value
    end
    base = "/public/" .. options.project
    headers = { ["Authorization"] = "Bearer " .. options.key }
    math.randomseed(os.time() + 7919 * thread_number)

    if options.scenario == "cancel" then
        -- This thread's share of the pool: [next_index, end_index).
        local threads, offset, count = number("threads"), number("offset"), number("count")
        next_index = offset + math.floor(count * (thread_number - 1) / threads)
        end_index = offset + math.floor(count * thread_number / threads)
    end
end

local function job_id(index)
    return string.format("%d", number("first") + number("stride") * index)
end

local builders = {
    plain = function()
        return wrk.format("GET", base .. "/jobs/1", headers)
    end,
    job = function()
        return wrk.format("GET", base .. "/jobs/" .. job_id(math.random(0, number("count") - 1)), headers)
    end,
    list = function()
        local page = math.random(1, number("pages"))
        return wrk.format("GET", base .. "/jobs?limit=" .. options.limit .. "&page=" .. page, headers)
    end,
    cancel = function()
        if next_index >= end_index then
            -- The pool ran out: ask for a job that cannot be cancelled any more (its 400 counts as unexpected).
            exhausted = exhausted + 1
            return wrk.format("DELETE", base .. "/jobs/" .. job_id(end_index - 1), headers)
        end
        local request = wrk.format("DELETE", base .. "/jobs/" .. job_id(next_index), headers)
        next_index = next_index + 1
        return request
    end,
    user = function()
        counter = counter + 1
        local user = "bench-" .. options.tag .. "-" .. thread_number .. "-" .. counter
        return wrk.format("DELETE", base .. "/users/" .. user, headers)
    end,
}

function request()
    local builder = builders[options.scenario]
    if builder == nil then
        error("scenario.lua: unknown scenario " .. tostring(options.scenario))
    end
    return builder()
end

function response(status, response_headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status == 503 and response_headers["Retry-After"] == nil then
        no_retry_after = no_retry_after + 1
    end
end

function done(summary, latency, requests)
    local by_status = {}
    local expected, unexpected, exhausted_total, no_retry_after_total = 0, 0, 0, 0
    for _, thread in ipairs(thread_list) do
        local counts = thread:get("statuses") or {}
        for status, count in pairs(counts) do
            by_status[status] = (by_status[status] or 0) + count
        end
        exhausted_total = exhausted_total + (thread:get("exhausted") or 0)
        no_retry_after_total = no_retry_after_total + (thread:get("no_retry_after") or 0)
    end
    -- done() runs in the setup environment, where init() never ran: the expected status comes from the thread.
    local expect = tonumber(thread_list[1]:get("options").expect)
    local listed = {}
    for status, count in pairs(by_status) do
        if status == expect then
            expected = expected + count
        else
            unexpected = unexpected + count
        end
        table.insert(listed, status)
    end
    table.sort(listed)
    local parts = {}
    for _, status in ipairs(listed) do
        table.insert(parts, status .. ":" .. by_status[status])
    end
    local errors = summary.errors
    local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
    io.write(string.format(
        "bench-result requests=%d seconds=%.3f p50_us=%d p99_us=%d expected=%d unexpected=%d socket_errors=%d exhausted=%d no_retry_after=%d statuses=%s\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
        expected, unexpected, socket_errors, exhausted_total, no_retry_after_total, table.concat(parts, ",")))
end

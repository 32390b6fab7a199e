-- wrk script: POSTs V2 infer requests, cycling through the bodies in $BODIES (one JSON per line,
-- written by `lctserve-bench wrk-bodies`), each thread starting at its own offset.
--   BODIES=/tmp/full.jsonl wrk -t1 -c2 -d30s --latency -s src/bench/wrk/cycle.lua http://localhost:8080
local bodies = {}
local next_index = 0
local path = "/v2/models/" .. (os.getenv("MODEL") or "fashion-mnist") .. "/infer"
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  next_index = math.random(#bodies) - 1
end

function request()
  next_index = next_index % #bodies + 1
  return wrk.format("POST", path, headers, bodies[next_index])
end

function response(status, headers, body)
  if status ~= 200 then
    error("HTTP " .. status .. ": " .. body)
  end
end
